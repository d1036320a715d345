"""What a push needs to be read: names of students, subjects, periods, homework texts and files.

Looked up in bulk for a batch of pushes at send time, so the text is current and in the reader's
language, in a fixed number of queries whatever the batch size.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AcademicPeriod, Grade, Homework, HomeworkAttachment, Person, Student, Subject
from services import averages
from services.family import sex_of


@dataclass
class PushContext:
    students: dict[int, str] = field(default_factory=dict)  # student id -> first and last name
    subjects: dict[int, str] = field(default_factory=dict)
    periods: dict[int, str] = field(default_factory=dict)
    homework: dict[int, Homework] = field(default_factory=dict)
    attachments: dict[int, list[HomeworkAttachment]] = field(default_factory=dict)
    # (student, subject) -> (period name, average) for grade pushes
    averages: dict[tuple[int, int], tuple[str, float]] = field(default_factory=dict)
    # student id -> "m", "f" or None: the verb's form in Russian («отсутствовал», «отсутствовала»)
    sexes: dict[int, str | None] = field(default_factory=dict)


def _ids(payloads: list[dict[str, Any]], key: str) -> set[int]:
    return {int(p[key]) for p in payloads if p.get(key) is not None}


async def load(session: AsyncSession, payloads: list[dict[str, Any]]) -> PushContext:
    ctx = PushContext()
    if ids := _ids(payloads, "student_id"):
        for sid, first, last, sex, middle in await session.execute(
            select(Student.id, Person.first_name, Person.last_name, Person.sex, Person.middle_name)
            .join(Person, Person.id == Student.person_id)
            .where(Student.id.in_(ids))
        ):
            ctx.students[sid] = f"{first} {last}"
            ctx.sexes[sid] = sex_of(sex, middle)
    if ids := _ids(payloads, "subject_id"):
        ctx.subjects = dict((await session.execute(select(Subject.id, Subject.name).where(Subject.id.in_(ids)))).all())
    if ids := _ids(payloads, "period_id"):
        ctx.periods = dict(
            (
                await session.execute(select(AcademicPeriod.id, AcademicPeriod.name).where(AcademicPeriod.id.in_(ids)))
            ).all()
        )
    if ids := _ids(payloads, "homework_id"):
        ctx.homework = {h.id: h for h in await session.scalars(select(Homework).where(Homework.id.in_(ids)))}
        for attachment in await session.scalars(
            select(HomeworkAttachment).where(HomeworkAttachment.homework_id.in_(ids)).order_by(HomeworkAttachment.id)
        ):
            ctx.attachments.setdefault(attachment.homework_id, []).append(attachment)
    await _averages(session, ctx, [p for p in payloads if "grade_id" in p])
    return ctx


async def _averages(session: AsyncSession, ctx: PushContext, grade_payloads: list[dict[str, Any]]) -> None:
    """The subject's average in the period of each graded day: one query per period involved."""
    if not grade_payloads:
        return
    subjects = {int(p["subject_id"]) for p in grade_payloads}
    schools = dict((await session.execute(select(Subject.id, Subject.school_id).where(Subject.id.in_(subjects)))).all())
    periods = list(
        await session.scalars(select(AcademicPeriod).where(AcademicPeriod.school_id.in_(set(schools.values()))))
    )
    wanted: dict[int, set[tuple[int, int]]] = {}
    names: dict[int, AcademicPeriod] = {}
    for p in grade_payloads:
        on = date.fromisoformat(p["on_date"])
        holding = [
            x for x in periods if x.school_id == schools.get(int(p["subject_id"])) and x.starts_on <= on <= x.ends_on
        ]
        if holding:
            period = min(holding, key=lambda x: x.ends_on - x.starts_on)
            names[period.id] = period
            wanted.setdefault(period.id, set()).add((int(p["student_id"]), int(p["subject_id"])))
    for period_id, pairs in wanted.items():
        period = names[period_id]
        stmt = averages.with_weights(
            select(Grade.student_id, Grade.subject_id, *averages.weighted_terms())
            .where(
                Grade.student_id.in_({s for s, _ in pairs}),
                Grade.subject_id.in_({j for _, j in pairs}),
                Grade.deleted_at.is_(None),
                Grade.on_date >= period.starts_on,
                Grade.on_date <= period.ends_on,
            )
            .group_by(Grade.student_id, Grade.subject_id)
        )
        for student_id, subject_id, total, weight in await session.execute(stmt):
            average = averages.mean_of(total, weight)
            if (student_id, subject_id) in pairs and average is not None:
                ctx.averages[(student_id, subject_id)] = (period.name, average)
