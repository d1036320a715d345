"""The progress statement (сводная ведомость) of a class for a period: students × subjects with the period
grade (or the running average while none is given), the student's average, the class's «успеваемость» and
«качество знаний», and who has a 2 or is not certified. A subject teacher gets their own subjects only."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AcademicPeriod, School, SchoolClass, TeachingAssignment
from services import clock
from services.errors import N_, NotFound
from services.reports import access
from services.reports.access import Pupil
from services.reports.journal import (
    GOOD,
    Mark,
    Shares,
    averages,
    class_teachers,
    held_lessons,
    mean,
    period_grades,
    pupils,
    signed_name,
    subject_names,
)
from services.roles import Viewer


@dataclass
class Row:
    pupil: Pupil
    marks: dict[int, Mark]  # subject id -> mark

    @property
    def average(self) -> float | None:
        return mean([n for m in self.marks.values() if (n := m.number) is not None])

    @property
    def failing(self) -> list[int]:
        return [subject for subject, mark in self.marks.items() if mark.failing]


@dataclass
class Statement:
    school: str
    class_name: str
    period: str
    starts_on: date
    ends_on: date
    made_on: date
    subjects: list[tuple[int, str]]
    rows: list[Row]
    by_subject: dict[int, Shares]
    overall: Shares
    own_subjects_only: bool  # a subject teacher's: not the whole class's statement
    signer: str = ""  # who signs it, by name: the class teacher, or the subject teacher for their own

    @property
    def failing(self) -> list[tuple[Row, list[int]]]:
        return [(row, failing) for row in self.rows if (failing := row.failing)]


def _shares(rows: list[Row], subject_ids: list[int]) -> tuple[dict[int, Shares], Shares]:
    by_subject = {s: Shares() for s in subject_ids}
    overall = Shares()
    for row in rows:
        for subject in subject_ids:
            mark = row.marks[subject]
            if mark.counted:
                _count(by_subject[subject], [mark])
        counted = [m for m in row.marks.values() if m.counted]
        if counted:
            _count(overall, counted)
    return by_subject, overall


def _count(shares: Shares, marks: list[Mark]) -> None:
    """One student into the shares: passed without a 2 or «н/а» in any mark; good with only 4 and 5."""
    shares.counted += 1
    if not any(m.failing for m in marks):
        shares.passed += 1
    grades = [g for m in marks if (g := m.grade) is not None]
    failing = any(m.failing for m in marks)
    # «н/а» is no whole grade, but it is no good one either: the student stays in the quality's count,
    # which so never reads above the success rate. Only a «зачёт» alone (no grade to judge) is left out.
    if grades or failing:
        shares.graded += 1
        if grades and not failing and all(g >= GOOD for g in grades):
            shares.good += 1


async def _statements(
    session: AsyncSession,
    school: School,
    classes: list[SchoolClass],
    period: AcademicPeriod,
    own: frozenset[int] | None,
    teacher: str = "",
) -> list[Statement]:
    """The classes' statements in six queries whatever their number and size; classes without lessons
    of the period (or of the teacher's subjects in it) are left out."""
    today = clock.school_today(school)
    end = min(period.ends_on, today)
    ids = [c.id for c in classes]
    taught: dict[int, set[int]] = defaultdict(set)
    for c, s in await session.execute(
        select(TeachingAssignment.class_id, TeachingAssignment.subject_id).where(
            TeachingAssignment.class_id.in_(ids), TeachingAssignment.active.is_(True)
        )
    ):
        if own is None or s in own:
            taught[c].add(s)
    every_subject = set().union(*taught.values()) if taught else set()
    lessons = await held_lessons(session, ids, period.starts_on, end, every_subject) if period.starts_on <= end else []
    with_lessons = {lesson.class_id for lesson in lessons}
    students = await pupils(session, with_lessons)
    student_ids = [p.student_id for p in students]
    names = await subject_names(session, every_subject)
    given = await period_grades(session, student_ids, [period.id])
    running = await averages(session, student_ids, period.starts_on, period.ends_on)
    signers = await class_teachers(session, classes) if own is None else {}
    statements = []
    for school_class in classes:
        if school_class.id not in with_lessons:
            continue
        subjects = sorted(taught[school_class.id], key=lambda s: names[s])
        rows = [
            Row(
                p,
                {
                    s: Mark(given.get((p.student_id, s, period.id, "period")), running.get((p.student_id, s)))
                    for s in subjects
                },
            )
            for p in students
            if p.class_id == school_class.id
        ]
        by_subject, overall = _shares(rows, subjects)
        statements.append(
            Statement(
                school.name,
                school_class.name,
                period.name,
                period.starts_on,
                period.ends_on,
                today,
                [(s, names[s]) for s in subjects],
                rows,
                by_subject,
                overall,
                own is not None,
                teacher if own is not None else signers.get(school_class.id, ""),
            )
        )
    return statements


async def class_statement(session: AsyncSession, viewer: Viewer, class_id: int, period_id: int) -> Statement:
    """A class's statement for a period: the whole class for its class teacher and the administration,
    a subject teacher's own subjects for them."""
    school_class, school, own = await access.class_subjects(session, viewer, class_id)
    access.require_graded(school_class)
    period = await access.period_of(session, school, period_id)
    teacher = viewer.person
    signer = signed_name(teacher.last_name, teacher.first_name, teacher.middle_name) if teacher else ""
    found = await _statements(session, school, [school_class], period, own, signer)
    if not found:
        raise NotFound(
            N_("There are no lessons of class {name} in the journal for {period}: nothing to put in the statement."),
            name=school_class.name,
            period=period.name,
        )
    return found[0]


async def school_statements(
    session: AsyncSession, viewer: Viewer, school_ref: str | None, period_id: int
) -> list[Statement]:
    """Every graded class's statement for a period, for the administration."""
    school = await access.school_for(session, viewer, school_ref)
    period = await access.period_of(session, school, period_id)
    classes = list(
        await session.scalars(
            select(SchoolClass)
            .where(SchoolClass.school_id == school.id, SchoolClass.grading.is_(True))
            .order_by(SchoolClass.grade_level, SchoolClass.name)
        )
    )
    found = await _statements(session, school, classes, period, None)
    if not found:
        raise NotFound(N_("There are no lessons in the journal for {period}."), period=period.name)
    return found
