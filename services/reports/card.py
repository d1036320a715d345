"""A student's report card (табель успеваемости) for a period or for the year: each subject's grades (the
running average where none is given yet) and the lessons missed; for the family, the class teacher and the
administration."""

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AcademicPeriod, TeachingAssignment
from services import clock
from services.errors import N_, NotFound
from services.reports import access
from services.reports.access import Pupil
from services.reports.journal import (
    Mark,
    averages,
    class_teachers,
    held_lessons,
    misses,
    period_grades,
    periods_within,
    subject_names,
)
from services.roles import Viewer


@dataclass(frozen=True)
class Column:
    """A column of grades: a term's or the year's own grade, or the year's exam or final grade."""

    period_id: int
    name: str
    kind: str  # period | exam | final
    starts_on: date
    ends_on: date


@dataclass
class Row:
    subject: str
    marks: list[Mark]  # one for each column
    missed: int  # lessons of the subject missed in the card's time
    illness: int


@dataclass
class Card:
    school: str
    class_name: str
    pupil: Pupil
    period: str
    year: bool
    starts_on: date  # the period's (the year's) first and last days
    ends_on: date
    made_on: date
    columns: list[Column]
    rows: list[Row]
    lessons_missed: Counter[str]  # reason -> lessons
    late: int
    signer: str = ""  # the class teacher, by name


def _columns(period: AcademicPeriod, terms: list[AcademicPeriod]) -> list[Column]:
    if period.kind != "year":
        return [Column(period.id, period.name, "period", period.starts_on, period.ends_on)]
    columns = [Column(t.id, t.name, "period", t.starts_on, t.ends_on) for t in terms]
    columns.append(Column(period.id, period.name, "period", period.starts_on, period.ends_on))
    columns += [Column(period.id, period.name, kind, period.starts_on, period.ends_on) for kind in ("exam", "final")]
    return columns


async def _subjects(session: AsyncSession, pupil: Pupil) -> set[int]:
    """The subjects of the student's class: the whole class's and the student's group's."""
    rows = await session.execute(
        select(TeachingAssignment.subject_id, TeachingAssignment.subgroup).where(
            TeachingAssignment.class_id == pupil.class_id, TeachingAssignment.active.is_(True)
        )
    )
    return {s for s, group in rows if group is None or group == pupil.subgroup}


async def report_card(session: AsyncSession, viewer: Viewer, student_id: int, period_id: int) -> Card:
    """The card for a term, or for the year (a period of kind year: every term, the year, exam, final)."""
    pupil, school_class, school = await access.student_card(session, viewer, student_id)
    access.require_graded(school_class)
    period = await access.period_of(session, school, period_id)
    today = clock.school_today(school)
    end = min(period.ends_on, today)
    lessons = (
        [
            lesson
            for lesson in (await held_lessons(session, [pupil.class_id], period.starts_on, end))
            if lesson.for_pupil(pupil)
        ]
        if period.starts_on <= end
        else []
    )
    if not lessons:
        raise NotFound(
            N_("There are no lessons of class {name} in the journal for {period}: nothing to put in the card."),
            name=school_class.name,
            period=period.name,
        )
    columns = _columns(period, await periods_within(session, school.id, period) if period.kind == "year" else [])
    given = await period_grades(session, [pupil.student_id], {c.period_id for c in columns})
    running = {
        (c.period_id, c.kind): await averages(session, [pupil.student_id], c.starts_on, c.ends_on)
        for c in columns
        if c.kind == "period" and c.starts_on <= today
    }
    found = await misses(session, [pupil.class_id], [pupil.student_id], period.starts_on, end)
    subjects = await _subjects(session, pupil) | {lesson.subject_id for lesson in lessons}
    subjects |= {subject for (_s, subject, _p, _k) in given}
    names = await subject_names(session, subjects)
    rows = []
    for subject in sorted(subjects, key=lambda s: names[s]):
        marks = [
            Mark(
                given.get((pupil.student_id, subject, c.period_id, c.kind)),
                running.get((c.period_id, c.kind), {}).get((pupil.student_id, subject)),
            )
            for c in columns
        ]
        absent = [m for m in found if m.subject_id == subject and not m.late]
        rows.append(Row(names[subject], marks, len(absent), sum(1 for m in absent if m.reason == "illness")))
    return Card(
        school.name,
        school_class.name,
        pupil,
        period.name,
        period.kind == "year",
        period.starts_on,
        period.ends_on,
        today,
        columns,
        rows,
        Counter(m.reason for m in found if not m.late),
        sum(1 for m in found if m.late),
        (await class_teachers(session, [school_class])).get(school_class.id, ""),
    )
