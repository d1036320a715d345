"""Current grades: within the school's scale (004 §3.17) and edit window (004 §3.16); never deleted."""

from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Attendance, Grade, Lesson, School, SchoolClass, WorkType
from services import audit, clock, outbox, unit_memo
from services.class_lists import require_in_lesson
from services.errors import N_, DiaryError, NotAllowed, NotFound
from services.journal_policy import require_editable, require_lesson_reader, require_lesson_writer, require_started
from services.lessons import get_lesson, school_of
from services.push_kinds import PushKind
from services.roles import Viewer


@dataclass
class Gradable:
    lesson: Lesson
    school: School
    school_class: SchoolClass
    work_types: list[WorkType]


# Statements of every grade entry, built once: building one cost more than running it.
_ACTIVE_WORK_TYPES = (
    select(WorkType)
    .where(WorkType.school_id == bindparam("school_id", type_=Integer), WorkType.active.is_(True))
    .order_by(WorkType.position)
)
_LESSON_GRADES = (
    select(Grade)
    .where(Grade.lesson_id == bindparam("lesson_id", type_=Integer), Grade.deleted_at.is_(None))
    .order_by(Grade.id)
)
_ABSENT_OR_LATE = select(Attendance.student_id, Attendance.mark).where(
    Attendance.lesson_id == bindparam("lesson_id", type_=Integer), Attendance.mark != "present"
)


async def work_types(session: AsyncSession, school_id: int) -> list[WorkType]:
    if (known := unit_memo.recall(session, ("work_types", school_id))) is not None:
        return list(known)
    found = await session.scalars(_ACTIVE_WORK_TYPES, {"school_id": school_id})
    return list(unit_memo.remember(session, ("work_types", school_id), list(found)))


async def gradable(session: AsyncSession, viewer: Viewer, lesson_id: int) -> Gradable:
    """Everything that must hold before any grade of this lesson is entered or changed."""
    lesson = await get_lesson(session, lesson_id)
    school_class = await require_lesson_writer(session, viewer, lesson)
    if not school_class.grading:
        raise NotAllowed(
            N_("Class {name} takes no grades: in the first grade attendance, topics and homework are kept."),
            name=school_class.name,
        )
    school = await school_of(session, lesson)
    require_started(school, lesson)
    require_editable(school, lesson.on_date)
    return Gradable(lesson, school, school_class, await work_types(session, school.id))


MAX_COMMENT = 500  # like a topic: a comment is a line for the family, not a letter


def check_comment(comment: str | None) -> str | None:
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise DiaryError(N_("The comment is too long: at most {limit} characters."), limit=MAX_COMMENT)
    return text or None


def check_value(school: School, value: int) -> None:
    if not school.grade_min <= value <= school.grade_max:
        raise DiaryError(
            N_("A grade is a whole number from {low} to {high}."), low=school.grade_min, high=school.grade_max
        )


def check_work_type(g: Gradable, work_type_id: int | None) -> WorkType | None:
    if work_type_id is None:
        return None
    for wt in g.work_types:
        if wt.id == work_type_id:
            return wt
    raise DiaryError(N_("This kind of work is not on the school's list."))


def kind_of(g: Gradable, grade: Grade) -> WorkType | None:
    return next((w for w in g.work_types if w.id == grade.work_type_id), None)


def snapshot(grade: Grade) -> dict[str, object]:
    return {
        "value": grade.value,
        "work_type_id": grade.work_type_id,
        "comment": grade.comment,
        "student_id": grade.student_id,
        "lesson_id": grade.lesson_id,
    }


async def _push(session: AsyncSession, grade: Grade, kind: str, work_type: WorkType | None) -> None:
    families = await outbox.family_of(session, [grade.student_id])
    await outbox.push(
        session,
        families[grade.student_id],
        category="grades",
        kind=kind,
        topic=f"grade:{grade.id}",
        payload={
            "student_id": grade.student_id,
            "grade_id": grade.id,
            "subject_id": grade.subject_id,
            "value": grade.value,
            "work_type": work_type.name if work_type else None,
            "on_date": grade.on_date.isoformat(),
            "comment": grade.comment,
        },
    )


async def marks_of(session: AsyncSession, viewer: Viewer, lesson_id: int) -> dict[int, str]:
    """Who was marked absent or late in the lesson (student id -> mark), for whoever may open it."""
    lesson = await get_lesson(session, lesson_id)
    await require_lesson_reader(session, viewer, lesson)
    rows = await session.execute(_ABSENT_OR_LATE, {"lesson_id": lesson_id})
    return {student_id: mark for student_id, mark in rows.all()}


class AbsentNeedsConfirmation(DiaryError):
    """A grade for a student marked absent: possible (a written test graded later), never by a slip."""


async def add(
    session: AsyncSession,
    viewer: Viewer,
    lesson_id: int,
    student_id: int,
    value: int,
    work_type_id: int | None = None,
    comment: str | None = None,
    *,
    absent_confirmed: bool = False,
) -> Grade:
    g = await gradable(session, viewer, lesson_id)
    person = viewer.require_linked()
    check_value(g.school, value)
    work_type = check_work_type(g, work_type_id)
    await require_in_lesson(session, g.lesson, {student_id})
    if not absent_confirmed and (await marks_of(session, viewer, lesson_id)).get(student_id) == "absent":
        raise AbsentNeedsConfirmation(
            N_("This student is marked absent in this lesson: confirm the grade to give it anyway.")
        )
    grade = Grade(
        student_id=student_id,
        lesson_id=g.lesson.id,
        subject_id=g.lesson.subject_id,
        on_date=g.lesson.on_date,
        value=value,
        work_type_id=work_type_id,
        comment=check_comment(comment),
        given_by=person.id,
    )
    session.add(grade)
    await session.flush()
    audit.record(
        session,
        action="grade_created",
        entity="grade",
        entity_id=grade.id,
        school_id=g.school.id,
        actor_person_id=person.id,
        actor_telegram_id=viewer.telegram_user_id,
        after=snapshot(grade),
    )
    await _push(session, grade, PushKind.GRADE_CREATED, work_type)
    await session.flush()
    return grade


async def editable(session: AsyncSession, viewer: Viewer, grade_id: int) -> tuple[Grade, Gradable]:
    """A grade its lesson's teacher may still change or remove."""
    grade = await session.get(Grade, grade_id)
    if grade is None or grade.deleted_at is not None or grade.lesson_id is None:
        raise NotFound(N_("This grade is not in the journal (it may have been removed)."))
    return grade, await gradable(session, viewer, grade.lesson_id)


async def change(
    session: AsyncSession,
    viewer: Viewer,
    grade_id: int,
    *,
    value: int | None = None,
    work_type_id: int | None = None,
    comment: str | None = None,
) -> Grade:
    grade, g = await editable(session, viewer, grade_id)
    person = viewer.require_linked()
    before = snapshot(grade)
    if value is not None:
        check_value(g.school, value)
        grade.value = value
    if work_type_id is not None:
        check_work_type(g, work_type_id)
        grade.work_type_id = work_type_id
    if comment is not None:
        grade.comment = check_comment(comment)
    if snapshot(grade) == before:
        return grade
    grade.updated_at = clock.now()
    audit.record(
        session,
        action="grade_changed",
        entity="grade",
        entity_id=grade.id,
        school_id=g.school.id,
        actor_person_id=person.id,
        actor_telegram_id=viewer.telegram_user_id,
        before=before,
        after=snapshot(grade),
    )
    work_type = kind_of(g, grade)
    await _push(session, grade, PushKind.GRADE_CHANGED, work_type)
    await session.flush()
    return grade


async def delete(session: AsyncSession, viewer: Viewer, grade_id: int) -> Grade:
    """A tombstone: the grade leaves the diary but stays in the audit."""
    grade, g = await editable(session, viewer, grade_id)
    person = viewer.require_linked()
    grade.deleted_at = clock.now()
    audit.record(
        session,
        action="grade_deleted",
        entity="grade",
        entity_id=grade.id,
        school_id=g.school.id,
        actor_person_id=person.id,
        actor_telegram_id=viewer.telegram_user_id,
        before=snapshot(grade),
    )
    if not await outbox.cancel(session, f"grade:{grade.id}"):
        work_type = kind_of(g, grade)
        await _push(session, grade, PushKind.GRADE_REMOVED, work_type)
    await session.flush()
    return grade


async def of_lesson(session: AsyncSession, viewer: Viewer, lesson_id: int) -> list[Grade]:
    """The lesson's grades, for whoever may open the lesson (its teacher, the class teacher, the admin)."""
    await require_lesson_reader(session, viewer, await get_lesson(session, lesson_id))
    return list(await session.scalars(_LESSON_GRADES, {"lesson_id": lesson_id}))
