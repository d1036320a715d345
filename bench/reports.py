"""Reports benchmark (DESIGN.md §4): a school of 1,000 students with a term of journal on PostgreSQL; prints
the time and the number of queries of each report, for one class and for the whole school, data and file.

    uv run python bench/reports.py                       # the benchmark (BENCH_DATABASE_URL, PostgreSQL)
    uv run python bench/reports.py --pictures docs/img   # the README's pictures, from the demo school
    uv run python bench/reports.py --fill sqlite+aiosqlite:///demo.db   # a term of journal into a demo database

The journal is made up the same way every run (a fixed seed): absences with reasons, a few students ill
for a week or more, grades of every kind of work, the first quarter's period grades.
"""

import argparse
import asyncio
import csv
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from common import DEMO, QueryCounter, analyze, fresh_database
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AcademicPeriod,
    Attendance,
    Grade,
    Lesson,
    PeriodGrade,
    Person,
    RoleGrant,
    School,
    SchoolClass,
    Student,
    TimetableSlot,
    WorkType,
)
from models.db import make_engine, make_sessionmaker
from models.migrate import upgrade
from services import clock
from services.averages import rounded
from services.lessons import is_study_day
from services.reports import attendance, card, progress
from services.roles import Viewer
from services.roster import import_roster
from views.documents import attendance_sheet, progress_statement, report_card
from views.documents.render import Format, render

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # Tuesday 1 December 2026, 11:00 in Barnaul: the second quarter
MONTH = date(2026, 11, 1)
OPERATOR = Viewer.command_line()
LAST = ("Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров", "Морозов")
FIRST = ("Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл", "Михаил")
LETTERS = "ГДЕЖИК"  # the demo has 5А, 7Б and 9В already


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def big_roster(target: Path, classes: int, per_class: int = 30) -> Path:
    """The demo school with more classes like its 5А, each with teachers of its own (no clashes)."""
    shutil.copytree(DEMO, target)
    staff, cls, students = _rows(target / "staff.csv"), _rows(target / "classes.csv"), _rows(target / "students.csv")
    teaching, timetable = _rows(target / "teaching.csv"), _rows(target / "timetable.csv")
    model_teaching = [r for r in teaching if r[0] == "C5A"]
    model_timetable = [r for r in timetable if r[0] == "C5A"]
    for i in range(classes):
        class_id = f"X{i:02d}"
        ids = {r[2]: f"T{i:02d}{r[2]}" for r in model_teaching}
        for new in ids.values():
            staff.append([new, "L1", LAST[i % 10], FIRST[(i + len(new)) % 10], "Петрович", "teacher", "yes"])
        cls.append([class_id, "L1", f"{5 + i // 6}{LETTERS[i % 6]}", str(5 + i // 6), ids["S03"], "yes"])
        teaching += [[class_id, r[1], ids[r[2]], r[3]] for r in model_teaching]
        timetable += [[class_id, *r[1:5], r[5], ids[r[6]], *r[7:]] for r in model_timetable]
        for k in range(per_class):
            students.append(
                [f"Y{i:02d}{k:02d}", class_id, LAST[k % 10], FIRST[(k * 7 + i) % 10], "", str(k % 2 + 1), "yes", ""]
            )
    for name, rows in (
        ("staff", staff),
        ("classes", cls),
        ("students", students),
        ("teaching", teaching),
        ("timetable", timetable),
    ):
        _write(target / f"{name}.csv", rows)
    return target


async def _lessons(session: AsyncSession, school_id: int, start: date, end: date) -> list[Lesson]:
    """Every lesson of the timetable on the study days between the dates, written at once."""
    slots = list(
        await session.scalars(
            select(TimetableSlot)
            .join(SchoolClass, SchoolClass.id == TimetableSlot.class_id)
            .where(SchoolClass.school_id == school_id, TimetableSlot.active.is_(True))
        )
    )
    rows: list[dict[str, Any]] = []
    day = start
    while day <= end:
        if await is_study_day(session, school_id, day):
            rows += [
                {
                    "slot_id": s.id,
                    "class_id": s.class_id,
                    "subject_id": s.subject_id,
                    "teacher_id": s.teacher_id,
                    "subgroup": s.subgroup,
                    "on_date": day,
                    "lesson_no": s.lesson_no,
                    "starts_at": s.starts_at,
                    "ends_at": s.ends_at,
                    "room": s.room,
                    "attendance_saved_at": NOW,
                }
                for s in slots
                if s.weekday == day.isoweekday()
            ]
        day += timedelta(days=1)
    for chunk in range(0, len(rows), 2000):
        await session.execute(insert(Lesson), rows[chunk : chunk + 2000])
    return list(await session.scalars(select(Lesson).where(Lesson.on_date >= start, Lesson.on_date <= end)))


async def fill_journal(session: AsyncSession, start: date, end: date, seed: int = 1) -> None:
    """Lessons, attendance and grades of every class between the dates, and the first quarter's grades."""
    rng = random.Random(seed)
    school = await session.scalar(select(School))
    assert school is not None
    lessons = await _lessons(session, school.id, start, end)
    students = (await session.execute(select(Student.id, Student.class_id, Student.subgroup))).all()
    by_class: dict[int, list[tuple[int, str | None]]] = {}
    for sid, class_id, group in students:
        by_class.setdefault(class_id, []).append((sid, group))
    marker = await session.scalar(select(RoleGrant.person_id).where(RoleGrant.role == "admin"))
    kinds = list(await session.scalars(select(WorkType.id).where(WorkType.school_id == school.id)))
    # A first grade takes no grades (003 §2.5): its lessons get attendance only, as in the journal.
    graded = set(await session.scalars(select(SchoolClass.id).where(SchoolClass.grading.is_(True))))
    # A week or two of illness for some, the odd missed lesson for others.
    ill = {sid: start + timedelta(days=rng.randrange(95)) for sid, _c, _g in students if rng.random() < 0.1}
    attendance_rows: list[dict[str, Any]] = []
    grade_rows: list[dict[str, Any]] = []
    for lesson in lessons:
        due = [sid for sid, group in by_class.get(lesson.class_id, []) if lesson.subgroup in (None, group)]
        present = []  # a student marked absent gets no grade in that lesson, as in a real journal
        for sid in due:
            mark, reason = _attendance(rng, ill.get(sid), lesson.on_date)
            if mark != "absent":
                present.append(sid)
            if mark != "present":
                attendance_rows.append(
                    {
                        "lesson_id": lesson.id,
                        "student_id": sid,
                        "mark": mark,
                        "marked_by": lesson.teacher_id,
                        "marked_at": NOW,
                        "reason": reason,
                        "reason_by": marker if reason else None,
                        "reason_at": NOW if reason else None,
                    }
                )
        for sid in rng.sample(present, min(3, len(present))) if lesson.class_id in graded else []:
            grade_rows.append(
                {
                    "student_id": sid,
                    "lesson_id": lesson.id,
                    "subject_id": lesson.subject_id,
                    "on_date": lesson.on_date,
                    "value": rng.choices((5, 4, 3, 2), (35, 40, 20, 5))[0],
                    "work_type_id": rng.choice(kinds),
                    "given_by": lesson.teacher_id,
                    "created_at": NOW,
                }
            )
    for table, rows in ((Attendance, attendance_rows), (Grade, grade_rows)):
        for chunk in range(0, len(rows), 2000):
            await session.execute(insert(table), rows[chunk : chunk + 2000])
    await _first_quarter(session, rng, grade_rows, marker)


def _attendance(rng: random.Random, ill_from: date | None, on: date) -> tuple[str, str | None]:
    if ill_from is not None and ill_from <= on < ill_from + timedelta(days=rng.choice((7, 8, 12))):
        return "absent", "illness"
    roll = rng.random()
    if roll < 0.015:
        return "absent", rng.choice(("excused", "unexcused", None))
    if roll < 0.022:
        return "late", None
    return "present", None


async def _first_quarter(
    session: AsyncSession, rng: random.Random, grades: list[dict[str, Any]], given_by: int | None
) -> None:
    """The first quarter's grades as the averages round, a «н/а» now and then; a few left for later."""
    quarter = await session.scalar(select(AcademicPeriod).where(AcademicPeriod.external_id == "Q1"))
    assert quarter is not None and given_by is not None
    sums: dict[tuple[int, int], list[int]] = {}
    for g in grades:
        if quarter.starts_on <= g["on_date"] <= quarter.ends_on:
            sums.setdefault((g["student_id"], g["subject_id"]), []).append(g["value"])
    rows = []
    for (sid, subject), values in sums.items():
        if rng.random() < 0.03:
            continue  # not given yet: the statement shows the average
        value = "na" if rng.random() < 0.005 else str(rounded(sum(values) / len(values)))
        rows.append(
            {
                "student_id": sid,
                "subject_id": subject,
                "period_id": quarter.id,
                "kind": "period",
                "value": value,
                "given_by": given_by,
                "created_at": NOW,
            }
        )
    for chunk in range(0, len(rows), 2000):
        await session.execute(insert(PeriodGrade), rows[chunk : chunk + 2000])


async def load(session: AsyncSession, roster: Path) -> None:
    await import_roster(session, roster)
    await fill_journal(session, date(2026, 9, 1), NOW.date())
    await session.commit()


async def measure(
    sessionmaker: Any, counter: QueryCounter, label: str, make: Callable[[AsyncSession], Awaitable[Any]], doc: Any
) -> None:
    async with sessionmaker() as session:
        counter.count = 0
        started = time.perf_counter()
        data = await make(session)
        fetched = time.perf_counter()
        queries = counter.count
        document = doc(data, "ru")
        laid_out = time.perf_counter() - fetched
        files = []
        for fmt in Format:
            before = time.perf_counter()
            content, _name = render(document, fmt)
            made = fetched - started + laid_out + time.perf_counter() - before
            files.append(f"{fmt.value.upper()} {made:5.2f} s ({len(content) // 1024} KiB)")
    print(f"{label:<46} data {fetched - started:5.2f} s in {queries:2d} queries; whole file: {', '.join(files)}")


async def bench(classes: int) -> None:
    clock.now = lambda: NOW
    with tempfile.TemporaryDirectory() as tmp:
        roster = big_roster(Path(tmp) / "roster", classes)
        async with fresh_database() as url:
            engine = make_engine(url)
            sessionmaker = make_sessionmaker(engine)
            started = time.perf_counter()
            async with sessionmaker() as session:
                await load(session, roster)
                counts = await _counts(session)
            await analyze(engine)
            print(f"school: {counts} (loaded in {time.perf_counter() - started:.0f} s)")
            counter = QueryCounter(engine)
            async with sessionmaker() as session:
                c5a = await session.scalar(select(SchoolClass.id).where(SchoolClass.external_id == "C5A"))
                q1 = await session.scalar(select(AcademicPeriod.id).where(AcademicPeriod.external_id == "Q1"))
                year = await session.scalar(select(AcademicPeriod.id).where(AcademicPeriod.external_id == "Y"))
                pupil = await session.scalar(
                    select(Student.id).join(Person, Person.id == Student.person_id).where(Person.student_ref == "P020")
                )
            assert c5a and q1 and year and pupil
            await measure(
                sessionmaker,
                counter,
                "attendance sheet, 5А, November",
                lambda s: attendance.class_sheet(s, OPERATOR, c5a, MONTH),
                lambda d, loc: attendance_sheet.document([d], loc),
            )
            await measure(
                sessionmaker,
                counter,
                "attendance sheet, whole school, November",
                lambda s: attendance.school_sheets(s, OPERATOR, None, MONTH),
                attendance_sheet.document,
            )
            await measure(
                sessionmaker,
                counter,
                "progress statement, 5А, 1st quarter",
                lambda s: progress.class_statement(s, OPERATOR, c5a, q1),
                lambda d, loc: progress_statement.document([d], loc),
            )
            await measure(
                sessionmaker,
                counter,
                "progress statement, whole school, 1st quarter",
                lambda s: progress.school_statements(s, OPERATOR, None, q1),
                progress_statement.document,
            )
            await measure(
                sessionmaker,
                counter,
                "report card, one student, the year",
                lambda s: card.report_card(s, OPERATOR, pupil, year),
                report_card.document,
            )
            counter.stop()
            await engine.dispose()


async def _counts(session: AsyncSession) -> str:
    from sqlalchemy import func

    parts = []
    for label, model in (("students", Student), ("lessons", Lesson), ("absences", Attendance), ("grades", Grade)):
        parts.append(f"{await session.scalar(select(func.count()).select_from(model))} {label}")
    return ", ".join(parts)


async def fill(url: str) -> None:
    """A term of journal into a database that holds the demo school (diary-bot demo's), for trying /reports."""
    clock.now = lambda: NOW
    await upgrade(url)
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        if await session.scalar(select(Lesson.id).limit(1)) is None:
            await fill_journal(session, date(2026, 9, 1), NOW.date())
            await session.commit()
    await engine.dispose()


async def pictures(target: Path) -> None:
    """The README's pictures: each report of the demo school as its PDF's first page, at 90 dpi, where a
    month's 31 days still read."""
    clock.now = lambda: NOW
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/demo.db"
        await upgrade(url)
        engine = make_engine(url)
        async with make_sessionmaker(engine)() as session:
            await load(session, DEMO)
            c5a = await session.scalar(select(SchoolClass.id).where(SchoolClass.external_id == "C5A"))
            q1 = await session.scalar(select(AcademicPeriod.id).where(AcademicPeriod.external_id == "Q1"))
            year = await session.scalar(select(AcademicPeriod.id).where(AcademicPeriod.external_id == "Y"))
            pupil = await session.scalar(
                select(Student.id).join(Person, Person.id == Student.person_id).where(Person.student_ref == "P020")
            )
            assert c5a and q1 and year and pupil
            documents = {
                "attendance": attendance_sheet.document(
                    [await attendance.class_sheet(session, OPERATOR, c5a, MONTH)], "ru"
                ),
                "progress": progress_statement.document(
                    [await progress.class_statement(session, OPERATOR, c5a, q1)], "ru"
                ),
                "card": report_card.document(await card.report_card(session, OPERATOR, pupil, year), "ru"),
            }
        await engine.dispose()
        for name, document in documents.items():
            content, _file = render(document, Format.PDF)
            pdf = Path(tmp) / f"{name}.pdf"
            pdf.write_bytes(content)
            stem = target / f"report-{name}"
            subprocess.run(
                ["pdftoppm", "-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)], check=True
            )
            print(f"{stem}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", type=int, default=32, help="classes added to the demo's (30 students each)")
    parser.add_argument("--pictures", type=Path, help="write the README's pictures into this folder")
    parser.add_argument("--fill", help="fill a demo database (its URL) with a term of journal")
    args = parser.parse_args()
    if args.pictures:
        asyncio.run(pictures(args.pictures))
    elif args.fill:
        asyncio.run(fill(args.fill))
    else:
        asyncio.run(bench(args.classes))


if __name__ == "__main__":
    main()
