"""Who may read and change which part of the journal, and until when (DESIGN.md §1)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from models import Lesson, School, SchoolClass
from services import clock, unit_memo
from services.errors import N_, NotAllowed, NotFound
from services.roles import Role, Viewer


def is_lesson_teacher(viewer: Viewer, lesson: Lesson) -> bool:
    """The lesson's own teacher, or the substitute an admin gave it to (004 §4), acting as a teacher:
    the same person linked for the family side only is a parent here, not the lesson's teacher."""
    if viewer.person is None or Role.TEACHER not in viewer.roles:
        return False
    if lesson.substitute_id is not None:
        return viewer.person.id == lesson.substitute_id
    return viewer.person.id == lesson.teacher_id


async def lesson_class(session: AsyncSession, lesson: Lesson) -> SchoolClass:
    school_class = await session.get(SchoolClass, lesson.class_id)
    assert school_class is not None
    return unit_memo.hold(session, school_class)


async def require_lesson_reader(session: AsyncSession, viewer: Viewer, lesson: Lesson) -> SchoolClass:
    """Its teacher or substitute, the tutor of its class, or an admin of the school (000 §2.10)."""
    person = viewer.require_linked()
    school_class = await lesson_class(session, lesson)
    if school_class.school_id != person.school_id:
        raise NotFound(N_("This lesson is not in the journal."))
    if is_lesson_teacher(viewer, lesson) or Role.ADMIN in viewer.roles or school_class.id in viewer.tutor_class_ids:
        return school_class
    raise NotAllowed(
        N_("This is not your lesson: only its teacher, the class teacher and the administration can open it.")
    )


async def require_lesson_writer(session: AsyncSession, viewer: Viewer, lesson: Lesson) -> SchoolClass:
    """Only the lesson's teacher (or substitute) writes its journal (000 §4.3, 001 §4.3)."""
    person = viewer.require_linked()
    school_class = await lesson_class(session, lesson)
    if school_class.school_id != person.school_id:
        raise NotFound(N_("This lesson is not in the journal."))
    if not is_lesson_teacher(viewer, lesson):
        raise NotAllowed(N_("Only the teacher of this lesson can change its journal."))
    return school_class


def require_editable(school: School, on: date) -> None:
    """A lesson's journal (attendance, grades, reasons, topic, homework) older than the school's
    window is read-only (004 §3.16)."""
    first_editable = first_editable_day(school)
    if on < first_editable:
        raise NotAllowed(
            N_(
                "The journal of {date} is closed: a lesson's grades, attendance, topic and homework can be "
                "changed for {days} days only (the earliest editable day now is {first}). Ask the school "
                "administration."
            ),
            date=on,
            days=school.edit_window_days,
            first=first_editable,
        )


# A roll call may open as the bell rings, a few minutes before the lesson's stated start.
EARLY_MARKING = timedelta(minutes=10)


def has_started(school: School, lesson: Lesson) -> bool:
    """The lesson has begun by its start time in the school's zone (or its bell is about to ring)."""
    starts = datetime.combine(lesson.on_date, lesson.starts_at, ZoneInfo(school.timezone))
    return clock.now() >= starts - EARLY_MARKING


def first_editable_day(school: School) -> date:
    """The oldest day whose journal can still be changed (004 §3.16)."""
    return clock.school_today(school) - timedelta(days=school.edit_window_days)


def require_started(school: School, lesson: Lesson) -> None:
    """Attendance and grades belong to a lesson that has begun, by its start time in the school's zone."""
    if not has_started(school, lesson):
        raise NotAllowed(
            N_("The lesson of {date} at {time} has not begun yet; attendance and grades are given from its start."),
            date=lesson.on_date,
            time=lesson.starts_at.strftime("%H:%M"),
        )
