"""Who sits in a lesson: the class's active students, or one subgroup of them."""

from sqlalchemy import Integer, String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Lesson, Person, Student
from services import unit_memo
from services.errors import N_, NotAllowed

# Built once, for the whole class and for one subgroup: building it cost more than running it.
_CLASS_LIST = (
    select(Student, Person)
    .join(Person, Person.id == Student.person_id)
    .where(Student.class_id == bindparam("class_id", type_=Integer), Person.active.is_(True))
    .order_by(Person.last_name, Person.first_name, Person.id)
)
_GROUP_LIST = _CLASS_LIST.where(Student.subgroup == bindparam("subgroup", type_=String))


async def class_students(session: AsyncSession, class_id: int) -> list[tuple[Student, Person]]:
    """The class's active students, by name."""
    return [(s, p) for s, p in (await session.execute(_CLASS_LIST, {"class_id": class_id})).all()]


async def lesson_students(session: AsyncSession, lesson: Lesson) -> list[tuple[Student, Person]]:
    key = ("lesson_students", lesson.class_id, lesson.subgroup)
    if (known := unit_memo.recall(session, key)) is not None:
        return list(known)
    if lesson.subgroup is None:
        rows = await session.execute(_CLASS_LIST, {"class_id": lesson.class_id})
    else:
        rows = await session.execute(_GROUP_LIST, {"class_id": lesson.class_id, "subgroup": lesson.subgroup})
    return list(unit_memo.remember(session, key, [(s, p) for s, p in rows.all()]))


async def require_in_lesson(session: AsyncSession, lesson: Lesson, student_ids: set[int]) -> dict[int, Person]:
    """Refuse a student who is not in this lesson (a forged or stale button)."""
    people = {s.id: p for s, p in await lesson_students(session, lesson)}
    if not student_ids <= people.keys():
        raise NotAllowed(N_("This student is not in this lesson."))
    return people
