"""Attendance: the lesson's teacher marks absent or late; reasons are the tutor's (004 §4)."""

from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Attendance, Lesson, Person, SchoolClass, Student
from services import audit, clock, outbox
from services.class_lists import lesson_students, require_in_lesson
from services.errors import N_, DiaryError
from services.journal_policy import require_editable, require_lesson_reader, require_lesson_writer, require_started
from services.lessons import get_lesson, school_of
from services.push_kinds import PushKind
from services.roles import Viewer

MARKS = ("present", "absent", "late")


@dataclass
class Sheet:
    lesson: Lesson
    school_class: SchoolClass
    students: list[tuple[Student, Person]]
    marks: dict[int, str]  # student id -> absent | late; present students are not listed
    saved: bool


_LESSON_MARKS = select(Attendance).where(Attendance.lesson_id == bindparam("lesson_id", type_=Integer))  # built once


async def current_marks(session: AsyncSession, lesson_id: int) -> dict[int, Attendance]:
    return {a.student_id: a for a in await session.scalars(_LESSON_MARKS, {"lesson_id": lesson_id})}


async def sheet(session: AsyncSession, viewer: Viewer, lesson_id: int) -> Sheet:
    lesson = await get_lesson(session, lesson_id)
    school_class = await require_lesson_reader(session, viewer, lesson)
    marks = {sid: a.mark for sid, a in (await current_marks(session, lesson.id)).items() if a.mark != "present"}
    return Sheet(
        lesson, school_class, await lesson_students(session, lesson), marks, lesson.attendance_saved_at is not None
    )


async def check_can_mark(session: AsyncSession, viewer: Viewer, lesson_id: int) -> Lesson:
    """For the toggle screen: refuse before the teacher taps through a list that cannot be saved."""
    lesson = await get_lesson(session, lesson_id)
    await require_lesson_writer(session, viewer, lesson)
    school = await school_of(session, lesson)
    require_started(school, lesson)
    require_editable(school, lesson.on_date)
    return lesson


def _absence_topic(lesson: Lesson, student_id: int) -> str:
    return f"absence:{lesson.id}:{student_id}"


async def save(session: AsyncSession, viewer: Viewer, lesson_id: int, marks: dict[int, str]) -> list[int]:
    """Save the whole list; only the differences are recorded and pushed. Returns changed students."""
    lesson = await check_can_mark(session, viewer, lesson_id)
    person = viewer.require_linked()
    if any(m not in MARKS for m in marks.values()):
        raise DiaryError(N_("An attendance mark is absent, late or present."))
    people = await require_in_lesson(session, lesson, set(marks))
    existing = await current_marks(session, lesson.id)
    changed: list[int] = []
    moment = clock.now()
    families = await outbox.family_of(session, list(people))
    school = await school_of(session, lesson)
    # Those whose absence or lateness this save withdraws: told only if they were told of it.
    was_absent = {sid for sid, row in existing.items() if row.mark != "present"}
    withdrawn = [sid for sid in people if sid in was_absent and marks.get(sid, "present") == "present"]
    told = await outbox.told(session, {_absence_topic(lesson, sid): families[sid] for sid in withdrawn})
    for student_id in people:
        new = marks.get(student_id, "present")
        row = existing.get(student_id)
        old = row.mark if row else "present"
        if new == old:
            continue
        changed.append(student_id)
        before = {"mark": old, "reason": row.reason if row else None}
        if row is None:
            row = Attendance(
                lesson_id=lesson.id, student_id=student_id, mark=new, marked_by=person.id, marked_at=moment
            )
            session.add(row)
        else:
            row.mark, row.marked_by, row.marked_at = new, person.id, moment
            if new == "present":
                row.reason = row.reason_note = row.reason_file_id = None
                row.reason_by = row.reason_at = None
        await session.flush()
        audit.record(
            session,
            action="attendance_marked",
            entity="attendance",
            entity_id=row.id,
            school_id=school.id,
            actor_person_id=person.id,
            actor_telegram_id=viewer.telegram_user_id,
            before=before,
            after={"mark": new, "lesson_id": lesson.id, "student_id": student_id},
        )
        topic = _absence_topic(lesson, student_id)
        if new == "present" and await outbox.cancel(session, topic):
            continue  # marked and withdrawn before anyone was told
        await outbox.push(
            session,
            told[topic] if new == "present" else families[student_id],
            category="absences",
            kind=PushKind.ABSENCE_WITHDRAWN if new == "present" else PushKind.ABSENCE_MARKED,
            topic=topic,
            payload={
                "student_id": student_id,
                "lesson_id": lesson.id,
                "subject_id": lesson.subject_id,
                "on_date": lesson.on_date.isoformat(),
                "lesson_no": lesson.lesson_no,
                "mark": new,
            },
        )
    lesson.attendance_saved_at = moment
    await session.flush()
    return changed
