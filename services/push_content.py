"""What a push needs to be read: names of students, subjects, periods, homework texts and files.

Looked up in bulk for a batch of pushes at send time, so the text is current and in the reader's
language, in a fixed number of queries whatever the batch size.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AcademicPeriod, Homework, HomeworkAttachment, Person, Student, Subject


@dataclass
class PushContext:
    students: dict[int, str] = field(default_factory=dict)  # student id -> first and last name
    subjects: dict[int, str] = field(default_factory=dict)
    periods: dict[int, str] = field(default_factory=dict)
    homework: dict[int, Homework] = field(default_factory=dict)
    attachments: dict[int, list[HomeworkAttachment]] = field(default_factory=dict)


def _ids(payloads: list[dict[str, Any]], key: str) -> set[int]:
    return {int(p[key]) for p in payloads if p.get(key) is not None}


async def load(session: AsyncSession, payloads: list[dict[str, Any]]) -> PushContext:
    ctx = PushContext()
    if ids := _ids(payloads, "student_id"):
        for sid, first, last in await session.execute(
            select(Student.id, Person.first_name, Person.last_name)
            .join(Person, Person.id == Student.person_id)
            .where(Student.id.in_(ids))
        ):
            ctx.students[sid] = f"{first} {last}"
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
    return ctx
