"""Writes examples/demo-school/ (CSV) and examples/demo-school.xlsx from one description.

Run `uv run python examples/make_demo_school.py` after changing it; a test checks both agree.
"""

import csv
import random
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
SCHOOL = "L1"

MALE = [
    "Александр",
    "Максим",
    "Иван",
    "Артём",
    "Дмитрий",
    "Никита",
    "Михаил",
    "Егор",
    "Андрей",
    "Кирилл",
    "Илья",
    "Матвей",
    "Тимофей",
    "Роман",
    "Лев",
]
FEMALE = [
    "Анастасия",
    "Мария",
    "Анна",
    "Виктория",
    "Полина",
    "Елизавета",
    "Екатерина",
    "Дарья",
    "Софья",
    "Алиса",
    "Варвара",
    "Ксения",
    "Вероника",
    "Милана",
    "Ульяна",
]
SURNAMES = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
]
FATHER_NAMES = {
    "Александрович": "Александр",
    "Сергеевич": "Сергей",
    "Андреевич": "Андрей",
    "Дмитриевич": "Дмитрий",
    "Игоревич": "Игорь",
    "Олегович": "Олег",
    "Владимирович": "Владимир",
    "Павлович": "Павел",
    "Николаевич": "Николай",
    "Евгеньевич": "Евгений",
}
FATHERS = list(FATHER_NAMES)


def female(surname: str) -> str:
    return surname + "а"


def female_patronymic(patronymic: str) -> str:
    return patronymic.replace("ович", "овна").replace("евич", "евна")


STAFF = [
    # staff_id, last, first, middle, roles
    ("S01", "Белова", "Галина", "Петровна", "admin"),  # director
    ("S02", "Крылов", "Виктор", "Андреевич", "admin;teacher"),  # deputy, teaches history
    ("S03", "Соколова", "Елена", "Викторовна", "teacher"),  # mathematics, tutor of 5А
    ("S04", "Миронова", "Ольга", "Сергеевна", "teacher"),  # Russian and literature, tutor of 7Б
    ("S05", "Тарасов", "Игорь", "Николаевич", "teacher"),  # physics and mathematics, tutor of 9В
    ("S06", "Лебедева", "Наталья", "Игоревна", "teacher"),  # English, group 1; parent of a student
    ("S07", "Гордеева", "Ирина", "Алексеевна", "teacher"),  # English, group 2
    ("S08", "Кравцова", "Анна", "Михайловна", "teacher"),  # primary teacher, tutor of 1А
    ("S09", "Рябов", "Павел", "Олегович", "teacher"),  # physical education, biology
]
CLASSES = [("C1A", "1А", 1, "S08"), ("C5A", "5А", 5, "S03"), ("C7B", "7Б", 7, "S04"), ("C9V", "9В", 9, "S05")]
SUBJECTS = [
    ("MATH", "Математика"),
    ("RUS", "Русский язык"),
    ("LIT", "Литература"),
    ("ENG", "Английский язык"),
    ("HIST", "История"),
    ("BIO", "Биология"),
    ("PHYS", "Физика"),
    ("PE", "Физическая культура"),
    ("READ", "Литературное чтение"),
    ("WORLD", "Окружающий мир"),
]
# class -> [(subject, teacher, subgroup, lessons a week)]
PLAN = {
    "C1A": [
        ("MATH", "S08", None, 4),
        ("RUS", "S08", None, 5),
        ("READ", "S08", None, 4),
        ("WORLD", "S08", None, 2),
        ("PE", "S09", None, 3),
    ],
    "C5A": [
        ("MATH", "S03", None, 5),
        ("RUS", "S04", None, 5),
        ("LIT", "S04", None, 3),
        ("ENG", "S06", "1", 3),
        ("ENG", "S07", "2", 3),
        ("HIST", "S02", None, 2),
        ("BIO", "S09", None, 1),
        ("PE", "S09", None, 3),
    ],
    "C7B": [
        ("MATH", "S03", None, 5),
        ("RUS", "S04", None, 4),
        ("LIT", "S04", None, 2),
        ("ENG", "S06", "1", 3),
        ("ENG", "S07", "2", 3),
        ("HIST", "S02", None, 2),
        ("BIO", "S09", None, 2),
        ("PHYS", "S05", None, 2),
        ("PE", "S09", None, 3),
    ],
    "C9V": [
        ("MATH", "S05", None, 5),
        ("RUS", "S04", None, 3),
        ("LIT", "S04", None, 3),
        ("ENG", "S06", "1", 3),
        ("ENG", "S07", "2", 3),
        ("HIST", "S02", None, 3),
        ("BIO", "S09", None, 2),
        ("PHYS", "S05", None, 3),
        ("PE", "S09", None, 2),
    ],
}
BELLS = [
    ("08:30", "09:10"),
    ("09:20", "10:00"),
    ("10:20", "11:00"),
    ("11:20", "12:00"),
    ("12:10", "12:50"),
    ("13:00", "13:40"),
    ("13:50", "14:30"),
]
FIRST_GRADE_BELLS = [("08:30", "09:05"), ("09:20", "09:55"), ("10:20", "10:55"), ("11:20", "11:55")]
PERIODS = [
    ("Q1", "1 четверть", "quarter", "2026-09-01", "2026-10-24"),
    ("Q2", "2 четверть", "quarter", "2026-11-05", "2026-12-28"),
    ("Q3", "3 четверть", "quarter", "2027-01-12", "2027-03-20"),
    ("Q4", "4 четверть", "quarter", "2027-03-30", "2027-05-26"),
    ("Y", "Год", "year", "2026-09-01", "2027-05-26"),
]


def build() -> dict[str, list[list[str]]]:
    rnd = random.Random(2026)
    tables: dict[str, list[list[str]]] = {
        "schools": [
            [
                "school_id",
                "name",
                "timezone",
                "grade_min",
                "grade_max",
                "edit_window_days",
                "locale",
                "summary_weekday",
                "summary_time",
            ],
            [SCHOOL, "МБОУ «Лицей № 1»", "Asia/Barnaul", "2", "5", "14", "ru", "6", "12:00"],
        ],
        "staff": [["staff_id", "school_id", "last_name", "first_name", "middle_name", "roles", "active"]]
        + [[sid, SCHOOL, last, first, middle, roles, "yes"] for sid, last, first, middle, roles in STAFF],
        "classes": [["class_id", "school_id", "name", "grade_level", "tutor_id", "grading"]]
        + [
            [cid, SCHOOL, name, str(level), tutor, "no" if level == 1 else "yes"] for cid, name, level, tutor in CLASSES
        ],
        "subjects": [["subject_id", "school_id", "name"]] + [[sid, SCHOOL, name] for sid, name in SUBJECTS],
        "students": [["student_id", "class_id", "last_name", "first_name", "middle_name", "subgroup", "active", "sex"]],
        "parents": [["parent_id", "last_name", "first_name", "middle_name", "student_ids", "staff_id", "active"]],
        "teaching": [["class_id", "subject_id", "staff_id", "subgroup"]],
        "timetable": [
            [
                "class_id",
                "weekday",
                "lesson_no",
                "starts_at",
                "ends_at",
                "subject_id",
                "staff_id",
                "room",
                "subgroup",
                "valid_from",
                "valid_to",
            ]
        ],
        "periods": [["period_id", "school_id", "name", "kind", "starts_on", "ends_on"]]
        + [[pid, SCHOOL, name, kind, start, end] for pid, name, kind, start, end in PERIODS],
    }
    families: list[tuple[str, str, list[str]]] = []  # surname, father's patronymic, children
    number = 0
    for cid, _name, _level, _tutor in CLASSES:
        for i in range(15):
            number += 1
            sid = f"P{number:03d}"
            surname = SURNAMES[(number * 7) % len(SURNAMES)]
            father = FATHERS[number % len(FATHERS)]
            if sid == "P001":  # a family with two children: P001 in 1А is the sibling of P016 in 5А
                surname, father = SURNAMES[(16 * 7) % len(SURNAMES)], FATHERS[16 % len(FATHERS)]
            if sid == "P050":  # a teacher (S06, Лебедева Наталья Игоревна) is the mother of P050 in 9В
                surname, father = "Лебедев", "Андреевич"
            girl = sid != "P050" and rnd.random() < 0.5
            first = rnd.choice(FEMALE if girl else MALE)
            last = female(surname) if girl else surname
            middle = female_patronymic(father) if girl else father
            subgroup = "" if cid == "C1A" else ("1" if i < 8 else "2")
            tables["students"].append([sid, cid, last, first, middle, subgroup, "yes", "ж" if girl else "м"])
            if sid == "P001":
                continue
            families.append((surname, father, [sid] + (["P001"] if sid == "P016" else [])))
    teacher_child = "P050"
    families = [f for f in families if teacher_child not in f[2]]
    pid = 0
    for surname, father, children in families:
        pid += 1
        if pid % 3 == 0 and len(children) == 1:  # some families list only the mother
            continue
        mother_first = rnd.choice(FEMALE)
        tables["parents"].append(
            [
                f"R{pid:03d}",
                female(surname),
                mother_first,
                female_patronymic(rnd.choice(FATHERS)),
                ";".join(children),
                "",
                "yes",
            ]
        )
        if pid % 2 == 0:
            tables["parents"].append(
                [f"R{pid:03d}F", surname, FATHER_NAMES[father], rnd.choice(FATHERS), ";".join(children), "", "yes"]
            )
    tables["parents"].append(["R900", "Лебедева", "Наталья", "Игоревна", teacher_child, "S06", "yes"])
    busy: set[tuple[str, int, int]] = set()
    for cid, plan in PLAN.items():
        for subject, teacher, subgroup, _n in plan:
            tables["teaching"].append([cid, subject, teacher, subgroup or ""])
        bells = FIRST_GRADE_BELLS if cid == "C1A" else BELLS
        # Spread each subject over the week (at most once a day where it fits), at the earliest
        # free bell when its teachers are free too, as a timetable office would.
        taken: dict[int, set[int]] = {d: set() for d in range(1, 6)}
        subjects_on: dict[int, list[str]] = {d: [] for d in range(1, 6)}
        for subject, teacher, subgroup, per_week in sorted(plan, key=lambda p: -p[3]):
            if subgroup == "2":
                continue  # group 2 sits in the same slot as group 1
            partner = next((t for s, t, g, _ in plan if s == subject and g == "2"), None)
            entry = [(subject, teacher, subgroup)] + ([(subject, partner, "2")] if partner else [])
            for _ in range(per_week):
                days = sorted(taken, key=lambda d: (subjects_on[d].count(subject), len(taken[d]), d))
                for weekday in days:
                    free = [
                        n
                        for n in range(1, len(bells) + 1)
                        if n not in taken[weekday] and not any((t, weekday, n) in busy for _s, t, _g in entry)
                    ]
                    if free:
                        slot = free[0]
                        break
                else:
                    raise SystemExit(f"no room for {subject} in {cid}")
                taken[weekday].add(slot)
                subjects_on[weekday].append(subject)
                starts, ends = bells[slot - 1]
                for s, t, g in entry:
                    busy.add((t, weekday, slot))
                    room = {"PE": "Спортзал"}.get(s, str(100 + int(cid[1]) * 10 + (2 if g == "2" else 1)))
                    tables["timetable"].append(
                        [cid, str(weekday), str(slot), starts, ends, s, t, room, g or "", "", ""]
                    )
    header, *rows = tables["timetable"]
    rows.sort(key=lambda r: (r[0], int(r[1]), int(r[2]), r[8]))
    tables["timetable"] = [header, *rows]
    return tables


def main() -> None:
    tables = build()
    folder = HERE / "demo-school"
    folder.mkdir(exist_ok=True)
    for name, rows in tables.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in tables.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(HERE / "demo-school.xlsx")


if __name__ == "__main__":
    main()
