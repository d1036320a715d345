"""Checking every cell and cross-reference of a roster, collecting all errors, not the first."""

import re
from collections.abc import Callable
from datetime import date, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.clashes import Booking, is_clash
from services.errors import N_
from services.roster.columns import OPTIONAL, OPTIONAL_TABLES, REQUIRED
from services.roster.issues import RosterIssue, RosterNote
from services.roster.reader import TABLE_NAMES, Table
from services.roster.records import (
    ClassRow,
    ParentRow,
    PeriodRow,
    Roster,
    SchoolRow,
    SlotRow,
    StaffRow,
    StudentRow,
    SubjectRow,
    TeachingRow,
)

T = TypeVar("T")
YES = {"yes", "y", "true", "1", "да", "д"}
NO = {"no", "n", "false", "0", "нет", "н"}
STAFF_ROLES = ("admin", "teacher")
PERIOD_KINDS = ("quarter", "half", "year")
SCHOOL_KINDS = ("school", "college")
SEXES = {
    **dict.fromkeys(("м", "муж", "мужской", "m", "male"), "m"),
    **dict.fromkeys(("ж", "жен", "женский", "f", "female"), "f"),
}
# Latin letters that look like Cyrillic ones, as people type class names on a Latin layout.
LATIN_TO_CYRILLIC = str.maketrans("ABCEHKMOPTXYaceopxyk", "АВСЕНКМОРТХУасеорхук")
CLASS_NAME = re.compile(r"^(\d{1,2})\s*-?\s*([^\d\s-]{1,3})$")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# A timetable row's weekday as a refusal says it (translated where shown).
ON_WEEKDAYS = {
    1: N_("on Mondays"),
    2: N_("on Tuesdays"),
    3: N_("on Wednesdays"),
    4: N_("on Thursdays"),
    5: N_("on Fridays"),
    6: N_("on Saturdays"),
    7: N_("on Sundays"),
}


class RowReader:
    """Reads one row's cells, turning each bad one into an issue and a None."""

    def __init__(self, table: Table, number: int, cells: dict[str, str | None], issues: list[RosterIssue]) -> None:
        self.table, self.number, self.cells, self.issues = table, number, cells, issues
        self.ok = True

    def error(self, column: str | None, message: str, **params: Any) -> None:
        self.ok = False
        self.issues.append(RosterIssue(self.table.source, self.number, column, message, params))

    def text(self, column: str, *, required: bool = True) -> str | None:
        value = self.cells.get(column)
        if value is None and required:
            self.error(column, N_("The cell is empty; this column is required."))
        return value

    def parsed(
        self,
        column: str,
        parse: Callable[[str], T],
        message: str,
        *,
        required: bool = True,
        default: T | None = None,
        **params: Any,
    ) -> T | None:
        value = self.text(column, required=required)
        if value is None:
            return default
        try:
            return parse(value)
        except ValueError:
            self.error(column, message, value=value, **params)
            return default

    def integer(
        self, column: str, low: int, high: int, *, required: bool = True, default: int | None = None
    ) -> int | None:
        def parse(v: str) -> int:
            number = int(v)
            if not low <= number <= high:
                raise ValueError
            return number

        return self.parsed(
            column,
            parse,
            N_("“{value}” is not a whole number from {low} to {high}."),
            required=required,
            default=default,
            low=low,
            high=high,
        )

    def day(self, column: str, *, required: bool = True) -> date | None:
        def parse(v: str) -> date:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
                raise ValueError
            return date.fromisoformat(v)

        return self.parsed(
            column, parse, N_("“{value}” is not a date; write it as YYYY-MM-DD, e.g. 2026-09-01."), required=required
        )

    def clock(self, column: str, *, required: bool = True, default: time | None = None) -> time | None:
        def parse(v: str) -> time:
            match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::00)?", v)
            if not match:
                raise ValueError
            return time(int(match[1]), int(match[2]))

        return self.parsed(
            column,
            parse,
            N_("“{value}” is not a time; write it as HH:MM, e.g. 08:30."),
            required=required,
            default=default,
        )

    def flag(self, column: str, default: bool) -> bool:
        def parse(v: str) -> bool:
            low = v.lower()
            if low in YES:
                return True
            if low in NO:
                return False
            raise ValueError

        value = self.parsed(column, parse, N_("“{value}” is not yes or no."), required=False)
        return default if value is None else value

    def choice(
        self, column: str, options: tuple[str, ...], *, required: bool = True, default: str | None = None
    ) -> str | None:
        def parse(v: str) -> str:
            if v.lower() not in options:
                raise ValueError
            return v.lower()

        return self.parsed(
            column,
            parse,
            N_("“{value}” is not one of: {options}."),
            required=required,
            default=default,
            options=", ".join(options),
        )


class Validator:
    def __init__(self, tables: dict[str, Table], issues: list[RosterIssue]) -> None:
        self.tables = tables
        self.issues = issues
        self.notes: list[RosterNote] = []
        self.roster = Roster()
        # Every id a table names, valid row or not, so one bad row does not echo as bad references.
        self.ids: dict[str, set[str]] = {}

    # --- structure -------------------------------------------------------------------------
    def check_headers(self) -> set[str]:
        """Tables whose header is usable; rows of the others are not read."""
        usable: set[str] = set()
        for name in TABLE_NAMES:
            table = self.tables.get(name)
            if table is None:
                if name not in OPTIONAL_TABLES:
                    self.issues.append(
                        RosterIssue(
                            name,
                            None,
                            None,
                            N_("The table is missing: add the sheet or file “{name}” with its header row."),
                            {"name": name},
                        )
                    )
                continue
            ok = True
            known = set(REQUIRED[name]) | set(OPTIONAL[name])
            seen: set[str] = set()
            for header in table.headers:
                if header in seen:
                    ok = False
                    self.issues.append(RosterIssue(table.source, 1, header, N_("The column appears twice; keep one.")))
                seen.add(header)
                if header not in known:
                    ok = False
                    self.issues.append(
                        RosterIssue(
                            table.source,
                            1,
                            header or "?",
                            N_("Unknown column; the columns of this table are: {columns}."),
                            {"columns": ", ".join(REQUIRED[name] + OPTIONAL[name])},
                        )
                    )
            for column in REQUIRED[name]:
                if column not in seen:
                    ok = False
                    self.issues.append(
                        RosterIssue(
                            table.source, 1, column, N_("A required column is missing; add it to the header row.")
                        )
                    )
            if ok:
                usable.add(name)
                for column, rows in table.trimmed.items():
                    self.notes.append(
                        RosterNote(table.source, column, tuple(rows), N_("spaces around the values removed"))
                    )
        return usable

    def rows(self, name: str, usable: set[str]) -> list[RowReader]:
        if name not in usable:
            return []
        table = self.tables[name]
        readers = []
        for number, cells in table.rows:
            reader = RowReader(table, number, cells, self.issues)
            if "\0extra" in cells:
                reader.error(None, N_("The row has more cells than the header has columns."))
            readers.append(reader)
        return readers

    def unique(self, reader: RowReader, column: str, value: str | None, seen: dict[str, int]) -> None:
        if value is None:
            return
        self.ids.setdefault(reader.table.name, set()).add(value)
        if value in seen:
            reader.error(
                column, N_("The id “{value}” is used twice; row {other} has it too."), value=value, other=seen[value]
            )
        else:
            seen[value] = reader.number

    def reference(self, reader: RowReader, column: str, value: str | None, known: dict[str, Any], table: str) -> None:
        if value is not None and value not in known and value not in self.ids.get(table, ()):
            reader.error(column, N_("“{value}” is not an id in the table {table}."), value=value, table=table)

    # --- tables ----------------------------------------------------------------------------
    def schools(self, usable: set[str]) -> dict[str, SchoolRow]:
        result: dict[str, SchoolRow] = {}
        seen: dict[str, int] = {}
        for r in self.rows("schools", usable):
            school_id, name, tz = r.text("school_id"), r.text("name"), r.text("timezone")
            self.unique(r, "school_id", school_id, seen)
            if tz is not None:
                try:
                    ZoneInfo(tz)
                except (ZoneInfoNotFoundError, ValueError):
                    r.error(
                        "timezone",
                        N_("“{value}” is not a time zone; use an IANA name such as Europe/Moscow or Asia/Barnaul."),
                        value=tz,
                    )
            gmin = r.integer("grade_min", 1, 100, required=False, default=2)
            gmax = r.integer("grade_max", 1, 100, required=False, default=5)
            if gmin is not None and gmax is not None and gmin > gmax:
                r.error("grade_min", N_("grade_min ({low}) is above grade_max ({high})."), low=gmin, high=gmax)
            window = r.integer("edit_window_days", 0, 366, required=False, default=14)
            locale = r.choice("locale", ("ru", "en"), required=False, default="ru")
            weekday = r.integer("summary_weekday", 1, 7, required=False, default=6)
            at = r.clock("summary_time", required=False, default=time(12, 0))
            kind = r.choice("kind", SCHOOL_KINDS, required=False, default="school")
            if r.ok and school_id and name and tz:
                result[school_id] = SchoolRow(
                    r.number,
                    school_id,
                    name,
                    tz,
                    gmin or 2,
                    gmax or 5,
                    window if window is not None else 14,
                    locale or "ru",
                    weekday or 6,
                    at or time(12, 0),
                    kind or "school",
                )
        self.roster.schools = list(result.values())
        return result

    def staff(self, usable: set[str], schools: dict[str, SchoolRow]) -> dict[str, StaffRow]:
        result: dict[str, StaffRow] = {}
        seen: dict[str, int] = {}
        for r in self.rows("staff", usable):
            staff_id, school_id = r.text("staff_id"), r.text("school_id")
            self.unique(r, "staff_id", staff_id, seen)
            self.reference(r, "school_id", school_id, schools, "schools")
            last, first, middle = r.text("last_name"), r.text("first_name"), r.text("middle_name", required=False)
            roles_text = r.text("roles")
            roles: tuple[str, ...] = ()
            if roles_text is not None:
                roles = tuple(dict.fromkeys(p.strip().lower() for p in roles_text.split(";") if p.strip()))
                bad = [p for p in roles if p not in STAFF_ROLES]
                if bad or not roles:
                    r.error(
                        "roles", N_("“{value}” is not a role; use admin, teacher or admin;teacher."), value=roles_text
                    )
            active = r.flag("active", True)
            if r.ok and staff_id and school_id and last and first:
                result[staff_id] = StaffRow(r.number, staff_id, school_id, last, first, middle, roles, active)
        self.roster.staff = list(result.values())
        return result

    def class_name(self, r: RowReader, name: str, locale: str) -> str:
        fixed = name
        reasons: list[str] = []
        match = CLASS_NAME.match(name)
        if match:
            letters = match[2]
            if letters != letters.upper():
                reasons.append(N_("letter capitalised"))
            letters = letters.upper()
            if locale == "ru" or CYRILLIC.search(letters):
                # Capitalised first: a Latin "b" or "t" becomes the В or Т it looks like once upper-case.
                cyrillic = letters.translate(LATIN_TO_CYRILLIC)
                if cyrillic != letters:
                    reasons.append(N_("Latin letters replaced with Cyrillic ones"))
                letters = cyrillic
            fixed = f"{match[1]}{letters}"
            if name != f"{match[1]}{match[2]}":
                reasons.append(N_("space removed"))
        if fixed != name:
            self.notes.append(
                RosterNote(
                    r.table.source,
                    "name",
                    (r.number,),
                    N_("“{before}” read as “{after}”"),
                    {"before": name, "after": fixed, "reasons": reasons},
                )
            )
        return fixed

    def classes(
        self, usable: set[str], schools: dict[str, SchoolRow], staff: dict[str, StaffRow]
    ) -> dict[str, ClassRow]:
        result: dict[str, ClassRow] = {}
        seen: dict[str, int] = {}
        names: dict[tuple[str, str], int] = {}
        for r in self.rows("classes", usable):
            class_id, school_id, name = r.text("class_id"), r.text("school_id"), r.text("name")
            self.unique(r, "class_id", class_id, seen)
            self.reference(r, "school_id", school_id, schools, "schools")
            level = r.integer("grade_level", 1, 11)
            tutor = r.text("tutor_id", required=False)
            self.reference(r, "tutor_id", tutor, staff, "staff")
            if tutor in staff and school_id in schools and staff[tutor].school_id != school_id:
                r.error("tutor_id", N_("The class teacher “{value}” works in another school."), value=tutor)
            grading = r.flag("grading", level != 1)
            if name is not None and school_id in schools:
                name = self.class_name(r, name, schools[school_id].locale)
                key = (school_id, name)
                if key in names:
                    r.error(
                        "name",
                        N_("The class name “{value}” is used twice; row {other} has it too."),
                        value=name,
                        other=names[key],
                    )
                names.setdefault(key, r.number)
            if r.ok and class_id and school_id and name and level:
                result[class_id] = ClassRow(r.number, class_id, school_id, name, level, tutor, grading)
        self.roster.classes = list(result.values())
        return result

    def students(self, usable: set[str], classes: dict[str, ClassRow]) -> dict[str, StudentRow]:
        result: dict[str, StudentRow] = {}
        seen: dict[str, int] = {}
        for r in self.rows("students", usable):
            student_id, class_id = r.text("student_id"), r.text("class_id")
            self.unique(r, "student_id", student_id, seen)
            self.reference(r, "class_id", class_id, classes, "classes")
            last, first = r.text("last_name"), r.text("first_name")
            middle, subgroup = r.text("middle_name", required=False), r.text("subgroup", required=False)
            active = r.flag("active", True)
            sex = self.sex(r)
            if r.ok and student_id and class_id and last and first:
                row = StudentRow(r.number, student_id, class_id, last, first, middle, subgroup, active, sex)
                result[student_id] = row
        self.roster.students = list(result.values())
        return result

    def sex(self, r: RowReader) -> str | None:
        """The optional sex column: М/Ж (м, муж, мужской, ж, жен, женский) or m/f (male, female)."""

        def parse(v: str) -> str:
            found = SEXES.get(v.lower())
            if found is None:
                raise ValueError
            return found

        message = N_("“{value}” is not a sex; write М or Ж (or m or f), or leave the cell empty.")
        return r.parsed("sex", parse, message, required=False)

    def parents(
        self,
        usable: set[str],
        students: dict[str, StudentRow],
        staff: dict[str, StaffRow],
        classes: dict[str, ClassRow],
    ) -> None:
        if "parents" not in self.tables:
            return
        result: list[ParentRow] = []
        seen: dict[str, int] = {}
        for r in self.rows("parents", usable):
            parent_id = r.text("parent_id")
            self.unique(r, "parent_id", parent_id, seen)
            last, first, middle = r.text("last_name"), r.text("first_name"), r.text("middle_name", required=False)
            children_text = r.text("student_ids")
            children: tuple[str, ...] = ()
            if children_text is not None:
                children = tuple(dict.fromkeys(p.strip() for p in children_text.split(";") if p.strip()))
                for child in children:
                    self.reference(r, "student_ids", child, students, "students")
                schools = {
                    classes[students[c].class_id].school_id
                    for c in children
                    if c in students and students[c].class_id in classes
                }
                if len(schools) > 1:
                    r.error("student_ids", N_("The children are in different schools; give one row per school."))
            staff_id = r.text("staff_id", required=False)
            self.reference(r, "staff_id", staff_id, staff, "staff")
            active = r.flag("active", True)
            if r.ok and parent_id and last and first and children:
                result.append(ParentRow(r.number, parent_id, last, first, middle, children, staff_id, active))
        self.roster.parents = result

    def subjects(self, usable: set[str], schools: dict[str, SchoolRow]) -> dict[str, SubjectRow]:
        result: dict[str, SubjectRow] = {}
        seen: dict[str, int] = {}
        for r in self.rows("subjects", usable):
            subject_id, school_id, name = r.text("subject_id"), r.text("school_id"), r.text("name")
            self.unique(r, "subject_id", subject_id, seen)
            self.reference(r, "school_id", school_id, schools, "schools")
            if r.ok and subject_id and school_id and name:
                result[subject_id] = SubjectRow(r.number, subject_id, school_id, name)
        self.roster.subjects = list(result.values())
        return result

    def same_school(self, r: RowReader, class_row: ClassRow | None, **others: tuple[str, str] | None) -> None:
        if class_row is None:
            return
        for column, pair in others.items():
            if pair is not None and pair[1] != class_row.school_id:
                r.error(column, N_("“{value}” belongs to another school than the class."), value=pair[0])

    def teaching(
        self,
        usable: set[str],
        classes: dict[str, ClassRow],
        subjects: dict[str, SubjectRow],
        staff: dict[str, StaffRow],
    ) -> set[tuple[str, str, str]]:
        taught: set[tuple[str, str, str]] = set()
        seen: dict[tuple[str | None, ...], int] = {}
        for r in self.rows("teaching", usable):
            class_id, subject_id, staff_id = r.text("class_id"), r.text("subject_id"), r.text("staff_id")
            subgroup = r.text("subgroup", required=False)
            self.reference(r, "class_id", class_id, classes, "classes")
            self.reference(r, "subject_id", subject_id, subjects, "subjects")
            self.reference(r, "staff_id", staff_id, staff, "staff")
            self.same_school(
                r,
                classes.get(class_id or ""),
                subject_id=(subject_id, subjects[subject_id].school_id) if subject_id in subjects else None,
                staff_id=(staff_id, staff[staff_id].school_id) if staff_id in staff else None,
            )
            if staff_id in staff and "teacher" not in staff[staff_id].roles:
                r.error("staff_id", N_("“{value}” does not have the teacher role in the staff table."), value=staff_id)
            key = (class_id, subject_id, staff_id, subgroup)
            if key in seen:
                r.error(None, N_("The same row is already given in row {other}."), other=seen[key])
            seen.setdefault(key, r.number)
            if r.ok and class_id and subject_id and staff_id:
                self.roster.teaching.append(TeachingRow(r.number, class_id, subject_id, staff_id, subgroup))
                taught.add((class_id, subject_id, staff_id))
        return taught

    def timetable(
        self,
        usable: set[str],
        classes: dict[str, ClassRow],
        subjects: dict[str, SubjectRow],
        staff: dict[str, StaffRow],
        taught: set[tuple[str, str, str]],
    ) -> None:
        for r in self.rows("timetable", usable):
            class_id, subject_id, staff_id = r.text("class_id"), r.text("subject_id"), r.text("staff_id")
            self.reference(r, "class_id", class_id, classes, "classes")
            self.reference(r, "subject_id", subject_id, subjects, "subjects")
            self.reference(r, "staff_id", staff_id, staff, "staff")
            weekday = r.integer("weekday", 1, 7)
            lesson_no = r.integer("lesson_no", 1, 20)
            starts, ends = r.clock("starts_at"), r.clock("ends_at")
            if starts and ends and starts >= ends:
                r.error(
                    "ends_at",
                    N_("The lesson ends ({end}) before it starts ({start})."),
                    start=starts.strftime("%H:%M"),
                    end=ends.strftime("%H:%M"),
                )
            valid_from, valid_to = r.day("valid_from", required=False), r.day("valid_to", required=False)
            if valid_from and valid_to and valid_from > valid_to:
                r.error(
                    "valid_to",
                    N_("valid_to ({end}) is before valid_from ({start})."),
                    start=valid_from.isoformat(),
                    end=valid_to.isoformat(),
                )
            room, subgroup = r.text("room", required=False), r.text("subgroup", required=False)
            if (
                class_id in classes
                and subject_id in subjects
                and staff_id in staff
                and (class_id, subject_id, staff_id) not in taught
            ):
                r.error(
                    "staff_id",
                    N_("“{value}” does not teach this subject in this class by the teaching table."),
                    value=staff_id,
                )
            if r.ok and class_id and subject_id and staff_id and weekday and lesson_no and starts and ends:
                self.roster.timetable.append(
                    SlotRow(
                        r.number,
                        class_id,
                        weekday,
                        lesson_no,
                        starts,
                        ends,
                        subject_id,
                        staff_id,
                        room,
                        subgroup,
                        valid_from,
                        valid_to,
                    )
                )
        self.overlaps()
        self.double_bookings(classes, subjects, staff)

    def overlaps(self) -> None:
        by_day: dict[tuple[str, int], list[SlotRow]] = {}
        for slot in self.roster.timetable:
            by_day.setdefault((slot.class_id, slot.weekday), []).append(slot)
        if not by_day:
            return
        source = self.tables["timetable"].source
        clashing: set[int] = set()
        for slots in by_day.values():
            for i, a in enumerate(slots):
                for b in slots[i + 1 :]:
                    if _clash(a, b):
                        clashing.add(b.row)
                        self.issues.append(
                            RosterIssue(
                                source,
                                b.row,
                                "starts_at",
                                N_("The lesson overlaps row {other} of the same class and subgroup on the same day."),
                                {"other": a.row},
                            )
                        )
        self.roster.timetable = [s for s in self.roster.timetable if s.row not in clashing]

    def double_bookings(
        self, classes: dict[str, ClassRow], subjects: dict[str, SubjectRow], staff: dict[str, StaffRow]
    ) -> None:
        """One teacher in two classes at once (services/clashes.py): each later row is refused once,
        naming the first row it clashes with; a class's groups with one teacher are no clash."""
        by_teacher: dict[tuple[str, int], list[SlotRow]] = {}
        for slot in self.roster.timetable:
            by_teacher.setdefault((slot.staff_id, slot.weekday), []).append(slot)
        if not by_teacher:
            return
        source = self.tables["timetable"].source
        clashing: set[int] = set()
        for slots in by_teacher.values():
            for i, b in enumerate(slots):
                a = next((a for a in slots[:i] if _same_dates(a, b) and is_clash(_booking(a), _booking(b))), None)
                if a is None:
                    continue
                clashing.add(b.row)
                # A row may name an id whose own row is faulty (reported there): then the id stands in.
                teacher = staff.get(b.staff_id)
                name = (
                    " ".join(filter(None, (teacher.last_name, teacher.first_name, teacher.middle_name)))
                    if teacher
                    else b.staff_id
                )
                school_class, subject = classes.get(a.class_id), subjects.get(a.subject_id)
                self.issues.append(
                    RosterIssue(
                        source,
                        b.row,
                        "staff_id",
                        N_(
                            "{teacher} already teaches {class_name}, {subject}, {weekday} from {start} to {end} "
                            "(row {other}): a teacher cannot take two classes at once."
                        ),
                        {
                            "teacher": name,
                            "class_name": school_class.name if school_class else a.class_id,
                            "subject": subject.name if subject else a.subject_id,
                            "weekday": ON_WEEKDAYS[a.weekday],
                            "start": f"{a.starts_at:%H:%M}",
                            "end": f"{a.ends_at:%H:%M}",
                            "other": a.row,
                        },
                    )
                )
        self.roster.timetable = [s for s in self.roster.timetable if s.row not in clashing]

    def periods(self, usable: set[str], schools: dict[str, SchoolRow]) -> None:
        seen: dict[str, int] = {}
        for r in self.rows("periods", usable):
            period_id, school_id, name = r.text("period_id"), r.text("school_id"), r.text("name")
            self.unique(r, "period_id", period_id, seen)
            self.reference(r, "school_id", school_id, schools, "schools")
            kind = r.choice("kind", PERIOD_KINDS)
            starts, ends = r.day("starts_on"), r.day("ends_on")
            if starts and ends and starts > ends:
                r.error(
                    "ends_on",
                    N_("The period ends ({end}) before it starts ({start})."),
                    start=starts.isoformat(),
                    end=ends.isoformat(),
                )
            if r.ok and period_id and school_id and name and kind and starts and ends:
                self.roster.periods.append(PeriodRow(r.number, period_id, school_id, name, kind, starts, ends))


def _same_dates(a: SlotRow, b: SlotRow) -> bool:
    """The two rows' valid_from–valid_to spans share a day (an open end reaches any day)."""
    return not (
        (a.valid_to and b.valid_from and a.valid_to < b.valid_from)
        or (b.valid_to and a.valid_from and b.valid_to < a.valid_from)
    )


def _booking(slot: SlotRow) -> Booking:
    return Booking(slot.staff_id, slot.class_id, slot.starts_at, slot.ends_at)


def _clash(a: SlotRow, b: SlotRow) -> bool:
    if a.subgroup is not None and b.subgroup is not None and a.subgroup != b.subgroup:
        return False
    if not _same_dates(a, b):
        return False
    return (a.starts_at < b.ends_at and b.starts_at < a.ends_at) or a.lesson_no == b.lesson_no


def validate_roster(
    tables: dict[str, Table], issues: list[RosterIssue]
) -> tuple[Roster, list[RosterIssue], list[RosterNote]]:
    v = Validator(tables, list(issues))
    usable = v.check_headers()
    schools = v.schools(usable)
    staff = v.staff(usable, schools)
    classes = v.classes(usable, schools, staff)
    students = v.students(usable, classes)
    v.parents(usable, students, staff, classes)
    subjects = v.subjects(usable, schools)
    taught = v.teaching(usable, classes, subjects, staff)
    v.timetable(usable, classes, subjects, staff, taught)
    v.periods(usable, schools)
    return v.roster, v.issues, v.notes
