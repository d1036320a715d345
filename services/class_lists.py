"""Who sits in a lesson: the class's active students, or one subgroup of them."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Lesson, Person, Student
from services import unit_memo
from services.errors import N_, NotAllowed


async def lesson_students(session: AsyncSession, lesson: Lesson) -> list[tuple[Student, Person]]:
    key = ("lesson_students", lesson.class_id, lesson.subgroup)
    if (known := unit_memo.recall(session, key)) is not None:
        return list(known)
    query = (
        select(Student, Person)
        .join(Person, Person.id == Student.person_id)
        .where(Student.class_id == lesson.class_id, Person.active.is_(True))
        .order_by(Person.last_name, Person.first_name, Person.id)
    )
    if lesson.subgroup is not None:
        query = query.where(Student.subgroup == lesson.subgroup)
    return list(unit_memo.remember(session, key, [(s, p) for s, p in (await session.execute(query)).all()]))


async def require_in_lesson(session: AsyncSession, lesson: Lesson, student_ids: set[int]) -> dict[int, Person]:
    """Refuse a student who is not in this lesson (a forged or stale button)."""
    people = {s.id: p for s, p in await lesson_students(session, lesson)}
    if not student_ids <= people.keys():
        raise NotAllowed(N_("This student is not in this lesson."))
    return people
