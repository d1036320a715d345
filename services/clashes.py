"""One teacher, one class at a time: the rule behind substitutions and the roster's timetable.

A clash is one teacher booked for lessons of two different classes whose times overlap on the same
day (start to end, the bell times as written). Lessons of one class at the same time are its
groups: one teacher taking both groups of a class (a gym's boys and girls, or the groups merged
for a day while the other group's teacher is away) is the school's choice, not a double booking,
so they are not a clash. A class overlapping itself is the timetable's own check of the class.
"""

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Lesson, Person, SchoolClass, Subject
from services.errors import N_, DiaryError


def overlaps(a_start: time, a_end: time, b_start: time, b_end: time) -> bool:
    """Two spans of one day share a minute (a lesson ending at 09:10 and one starting then do not)."""
    return a_start < b_end and b_start < a_end


@dataclass(frozen=True)
class Booking:
    """A lesson or a timetable row, as far as the rule sees it (ids of the database or of the roster)."""

    teacher: Hashable
    class_key: Hashable
    starts_at: time
    ends_at: time


def is_clash(a: Booking, b: Booking) -> bool:
    """The rule on two lessons of one day: the same teacher, different classes, overlapping times."""
    return (
        a.teacher == b.teacher
        and a.class_key != b.class_key
        and overlaps(a.starts_at, a.ends_at, b.starts_at, b.ends_at)
    )


@dataclass(frozen=True)
class Clash:
    """The other lesson a teacher already has at that time, named for the refusal."""

    teacher_id: int
    lesson_id: int
    class_name: str
    subgroup: str | None
    subject: str
    on_date: date
    starts_at: time
    ends_at: time


def teacher_of(lesson: Lesson) -> int:
    """Who teaches the lesson now: its substitute, else its own teacher."""
    return lesson.substitute_id or lesson.teacher_id


async def busy_during(session: AsyncSession, lesson: Lesson, school_id: int) -> dict[int, Clash]:
    """Every teacher of the school who teaches another class while this lesson goes on, with that
    lesson. The day's lessons must be made from the timetable first (lessons.lessons_of_school)."""
    rows = await session.execute(
        select(Lesson, SchoolClass.name, Subject.name)
        .join(SchoolClass, SchoolClass.id == Lesson.class_id)
        .join(Subject, Subject.id == Lesson.subject_id)
        .where(
            Lesson.on_date == lesson.on_date,
            SchoolClass.school_id == school_id,
            Lesson.id != lesson.id,
        )
        .order_by(Lesson.starts_at, Lesson.lesson_no, Lesson.id)
    )
    busy: dict[int, Clash] = {}
    for other, class_name, subject in rows:
        teacher = teacher_of(other)
        if teacher not in busy and is_clash(
            Booking(teacher, lesson.class_id, lesson.starts_at, lesson.ends_at),
            Booking(teacher, other.class_id, other.starts_at, other.ends_at),
        ):
            busy[teacher] = Clash(
                teacher,
                other.id,
                class_name,
                other.subgroup,
                subject,
                other.on_date,
                other.starts_at,
                other.ends_at,
            )
    return busy


def refusal(person: Person, clash: Clash) -> DiaryError:
    """The refusal names who, and the lesson they already have: class, subject, day and time."""
    params: dict[str, Any] = {
        "name": person.full_name,
        "class_name": clash.class_name,
        "subject": clash.subject,
        "date": clash.on_date,
        "start": f"{clash.starts_at:%H:%M}",
        "end": f"{clash.ends_at:%H:%M}",
    }
    if clash.subgroup:
        return DiaryError(
            N_(
                "{name} already teaches {class_name} (group {group}), {subject}, on {date} from {start} to {end}: "
                "a teacher cannot take two classes at once. Choose another teacher."
            ),
            group=clash.subgroup,
            **params,
        )
    return DiaryError(
        N_(
            "{name} already teaches {class_name}, {subject}, on {date} from {start} to {end}: "
            "a teacher cannot take two classes at once. Choose another teacher."
        ),
        **params,
    )
