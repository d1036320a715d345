"""A known November of 5А for the report tests: who missed what and which grades, written straight into
the journal; each report's figures are checked against it. Also the reading back of XLSX and PDF files."""

import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from pypdf import PdfReader
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import AcademicPeriod, Attendance, Grade, Lesson, PeriodGrade, SchoolClass, Subject, WorkType
from services.lessons import lessons_of_class
from tests.support.journal import MONDAY, freeze, person, student_id

NOVEMBER = date(2026, 11, 1)
ILL_DAYS = [date(2026, 11, d) for d in (9, 10, 11, 12, 13)]  # P020 Алексеев: ill all week
TRUANT_DAY = date(2026, 11, 16)  # P019 Петров: his first lesson, no good reason; late the next day
AWAY_DAY = date(2026, 11, 18)  # P018 Романова: the whole day, no reason given yet


@dataclass
class Known:
    class_id: int
    q2: int
    year: int
    ill: int  # P020
    truant: int  # P019
    away: int  # P018
    lessons: list[Lesson]  # 5А's lessons of November up to Monday 23rd

    def due(self, sid: int, subgroup: str | None, days: list[date] | None = None) -> int:
        """The student's lessons (whole class and their group), on the days given or all."""
        return sum(
            1
            for lesson in self.lessons
            if (days is None or lesson.on_date in days) and lesson.subgroup in (None, subgroup)
        )


async def _mark(session: AsyncSession, lessons: list[Lesson], sid: int, mark: str, reason: str | None) -> None:
    marker = (await person(session, "S03")).id
    for lesson in lessons:
        session.add(
            Attendance(
                lesson_id=lesson.id, student_id=sid, mark=mark, marked_by=marker, marked_at=MONDAY, reason=reason
            )
        )


async def _grade(session: AsyncSession, sid: int, subject: str, value: int, work: str, on: date) -> None:
    subject_id = await session.scalar(select(Subject.id).where(Subject.external_id == subject))
    work_id = await session.scalar(select(WorkType.id).where(WorkType.code == work))
    session.add(
        Grade(
            student_id=sid,
            subject_id=subject_id,
            on_date=on,
            value=value,
            work_type_id=work_id,
            given_by=(await person(session, "S03")).id,
        )
    )


async def _period_grade(session: AsyncSession, sid: int, subject: str, period: int, value: str) -> None:
    subject_id = await session.scalar(select(Subject.id).where(Subject.external_id == subject))
    given_by = (await person(session, "S04")).id
    session.add(PeriodGrade(student_id=sid, subject_id=subject_id, period_id=period, value=value, given_by=given_by))


async def november(session: AsyncSession) -> Known:
    """5А's lessons from the timetable for November up to the frozen Monday, and the known marks and grades."""
    school_class = await session.scalar(select(SchoolClass).where(SchoolClass.external_id == "C5A"))
    assert school_class is not None
    lessons: list[Lesson] = []
    day = NOVEMBER
    while day <= MONDAY.date():
        lessons += await lessons_of_class(session, school_class, day)
        day += timedelta(days=1)
    ill, truant, away = [await student_id(session, ref) for ref in ("P020", "P019", "P018")]
    await _mark(
        session, [x for x in lessons if x.on_date in ILL_DAYS and x.subgroup in (None, "1")], ill, "absent", "illness"
    )
    truant_day = sorted(
        (x for x in lessons if x.on_date == TRUANT_DAY and x.subgroup in (None, "1")), key=lambda x: x.lesson_no
    )
    await _mark(session, truant_day[:1], truant, "absent", "unexcused")
    late_day = [x for x in lessons if x.on_date == TRUANT_DAY + timedelta(days=1) and x.subgroup in (None, "1")]
    await _mark(session, late_day[:1], truant, "late", None)
    await _mark(
        session, [x for x in lessons if x.on_date == AWAY_DAY and x.subgroup in (None, "1")], away, "absent", None
    )
    # A test counts twice in this school: 5 (test) and 4 (oral) average 4,67, not 4,5.
    await session.execute(update(WorkType).where(WorkType.code == "test").values(weight=Decimal(2)))
    await _grade(session, ill, "MATH", 5, "test", date(2026, 11, 17))
    await _grade(session, ill, "MATH", 4, "oral", date(2026, 11, 18))
    for value in (2, 2, 3):
        await _grade(session, truant, "MATH", value, "oral", date(2026, 11, 19))
    q2 = await session.scalar(select(AcademicPeriod.id).where(AcademicPeriod.external_id == "Q2"))
    year = await session.scalar(select(AcademicPeriod.id).where(AcademicPeriod.external_id == "Y"))
    assert q2 is not None and year is not None
    await _period_grade(session, ill, "RUS", q2, "5")
    await _period_grade(session, truant, "RUS", q2, "na")
    await session.commit()
    return Known(school_class.id, q2, year, ill, truant, away, lessons)


@pytest.fixture
async def known(demo: None, session: AsyncSession, monkeypatch: pytest.MonkeyPatch) -> Known:
    """The known November (every report test module has this fixture, on the same data)."""
    freeze(monkeypatch)
    return await november(session)


def sheet_of(content: bytes) -> Worksheet:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert isinstance(sheet, Worksheet)
    return sheet


def row_of(sheet: Worksheet, name: str) -> dict[str, object]:
    """A body row by the name in its second column, as header title -> cell."""
    header = next(r for r in sheet.iter_rows() if any(c.value == "1" for c in r))  # the day numbers' row
    titles = {c.column: str(c.value) for c in header if c.value is not None}
    for row in sheet.iter_rows():
        if row[1].value == name:
            return {titles.get(c.column, f"col{c.column}"): c for c in row}
    raise AssertionError(f"no row {name!r}")


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def test_the_known_month_is_in_the_journal(known: Known, session: AsyncSession) -> None:
    """The figures the other tests expect hold in the database itself."""
    absent = list(await session.scalars(select(Attendance).where(Attendance.student_id == known.ill)))
    assert len(absent) == known.due(known.ill, "1", ILL_DAYS) > 20
    assert {lesson.on_date for lesson in known.lessons} >= set(ILL_DAYS)
