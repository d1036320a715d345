"""Acting as a demo-school person on a fixed school day, for journal tests."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Lesson, Person, SchoolClass, Student, Subject
from services import clock
from services.lessons import lessons_of_teacher
from services.roles import Viewer, roles_of

# Monday 23 November 2026, 10:00 in Barnaul (UTC+7): the second quarter.
MONDAY = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def freeze(monkeypatch: pytest.MonkeyPatch, moment: datetime = MONDAY) -> None:
    monkeypatch.setattr(clock, "now", lambda: moment)


async def person(session: AsyncSession, ref: str) -> Person:
    found = await session.scalar(
        select(Person).where((Person.staff_ref == ref) | (Person.student_ref == ref) | (Person.parent_ref == ref))
    )
    assert found is not None, ref
    return found


async def act_as(session: AsyncSession, ref: str, telegram_user_id: int = 1) -> Viewer:
    viewer = await roles_of(session, await person(session, ref))
    viewer.telegram_user_id = telegram_user_id
    return viewer


async def lesson_of(
    session: AsyncSession, staff_ref: str, on: date, subject: str | None = None, class_name: str | None = None
) -> Lesson:
    lessons = await lessons_of_teacher(session, await person(session, staff_ref), on)
    await session.commit()  # the day's lessons are made on first sight: the bot's sessions must see them
    for lesson in lessons:
        subject_id = await session.scalar(select(Subject.external_id).where(Subject.id == lesson.subject_id))
        name = await session.scalar(select(SchoolClass.name).where(SchoolClass.id == lesson.class_id))
        if (subject is None or subject_id == subject) and (class_name is None or name == class_name):
            return lesson
    raise AssertionError(f"{staff_ref} has no {subject} lesson in {class_name} on {on}")


async def student_id(session: AsyncSession, ref: str) -> int:
    sid = await session.scalar(
        select(Student.id).join(Person, Person.id == Student.person_id).where(Person.student_ref == ref)
    )
    assert sid is not None
    return sid
