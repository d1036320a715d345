"""Absence reasons: the class teacher's (004 §4), due within 2 working days (000 §2.9)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Attendance, Lesson, Person, School, SchoolClass, Student, Subject
from services import audit, clock, outbox
from services.errors import N_, DiaryError, NotAllowed, NotFound
from services.journal_policy import first_editable_day, require_editable
from services.push_kinds import PushKind
from services.roles import Role, Viewer

REASONS = ("excused", "unexcused", "illness")
REASON_DEADLINE_WORKING_DAYS = 2


def working_days_after(day: date, count: int) -> date:
    """The date `count` working days (Monday to Friday) after `day`."""
    while count:
        day += timedelta(days=1)
        if day.isoweekday() <= 5:
            count -= 1
    return day


@dataclass
class MissedLesson:
    attendance_id: int
    lesson_no: int
    subject: str
    mark: str
    reason: str | None


@dataclass
class AbsentDay:
    student_id: int
    student_name: str
    on_date: date
    overdue: bool  # no reason 2 working days after (000 §2.9)
    lessons: list[MissedLesson] = field(default_factory=list)
    # Within the edit window (004 §3.16): a reason can still be given; older days are closed.
    editable: bool = True


async def tutor_class(session: AsyncSession, viewer: Viewer, class_id: int | None) -> SchoolClass:
    """The tutor's own class (the only one if they have one), or any class for an admin."""
    person = viewer.require_any(Role.TUTOR, Role.ADMIN)
    if class_id is None:
        if len(viewer.tutor_class_ids) != 1:
            raise DiaryError(N_("Choose the class."))
        class_id = next(iter(viewer.tutor_class_ids))
    school_class = await session.get(SchoolClass, class_id)
    if school_class is None or school_class.school_id != person.school_id:
        raise NotFound(N_("There is no such class."))
    if class_id not in viewer.tutor_class_ids and Role.ADMIN not in viewer.roles:
        raise NotAllowed(N_("This is not your class: a class teacher works with their own class only."))
    return school_class


async def unexplained(session: AsyncSession, viewer: Viewer, class_id: int | None = None) -> list[AbsentDay]:
    """Absences without a reason, oldest first, grouped by student and day."""
    school_class = await tutor_class(session, viewer, class_id)
    school = await session.get(School, school_class.school_id)
    assert school is not None
    today = clock.school_today(school)
    first_editable = first_editable_day(school)
    rows = await session.execute(
        select(Attendance, Lesson, Subject.name, Person)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .join(Subject, Subject.id == Lesson.subject_id)
        .join(Student, Student.id == Attendance.student_id)
        .join(Person, Person.id == Student.person_id)
        .where(Lesson.class_id == school_class.id, Attendance.mark == "absent", Attendance.reason.is_(None))
        .order_by(Lesson.on_date, Person.last_name, Person.first_name, Lesson.starts_at)
    )
    days: dict[tuple[int, date], AbsentDay] = {}
    for attendance, lesson, subject, person in rows:
        key = (attendance.student_id, lesson.on_date)
        if key not in days:
            overdue = today > working_days_after(lesson.on_date, REASON_DEADLINE_WORKING_DAYS)
            days[key] = AbsentDay(
                attendance.student_id,
                person.full_name,
                lesson.on_date,
                overdue,
                editable=lesson.on_date >= first_editable,
            )
        days[key].lessons.append(MissedLesson(attendance.id, lesson.lesson_no, subject, attendance.mark, None))
    return list(days.values())


async def reasonable_absences(
    session: AsyncSession,
    viewer: Viewer,
    *,
    attendance_id: int | None = None,
    student_id: int | None = None,
    on_date: date | None = None,
) -> list[tuple[Attendance, Lesson]]:
    """The absences a reason would cover, once the class teacher's right to give it is checked;
    asked at the press of "add a note" too, before the note is typed."""
    viewer.require_any(Role.TUTOR, Role.ADMIN)
    query = select(Attendance, Lesson).join(Lesson, Lesson.id == Attendance.lesson_id)
    if attendance_id is not None:
        query = query.where(Attendance.id == attendance_id)
    elif student_id is not None and on_date is not None:
        query = query.where(Attendance.student_id == student_id, Lesson.on_date == on_date)
    else:
        raise DiaryError(N_("Choose the absence."))
    rows = [(a, lesson) for a, lesson in (await session.execute(query)).all() if a.mark in ("absent", "late")]
    if not rows:
        raise NotFound(N_("There is no such absence in the journal."))
    class_ids = {lesson.class_id for _a, lesson in rows}
    if not class_ids <= viewer.tutor_class_ids:
        # Teachers mark absence only; reasons are the class teacher's (004 §4).
        raise NotAllowed(N_("Only the class teacher of this student's class gives absence reasons."))
    return rows


async def give_reason(
    session: AsyncSession,
    viewer: Viewer,
    *,
    reason: str,
    attendance_id: int | None = None,
    student_id: int | None = None,
    on_date: date | None = None,
    note: str | None = None,
    file_id: str | None = None,
    told_otherwise: frozenset[int] = frozenset(),
) -> list[Attendance]:
    """A reason for one missed lesson, or for all the student's absences that day. People in
    `told_otherwise` (a note's author, who hears the decision) get no second push about it."""
    person = viewer.require_any(Role.TUTOR, Role.ADMIN)
    if reason not in REASONS:
        raise DiaryError(N_("A reason is excused, unexcused or illness."))
    rows = await reasonable_absences(
        session, viewer, attendance_id=attendance_id, student_id=student_id, on_date=on_date
    )
    if attendance_id is None:
        # A reason for the day covers the lessons still without one (or with this one, a note added
        # later); a lesson's own, different reason, given before, stands.
        rows = [(a, lesson) for a, lesson in rows if a.reason is None or a.reason == reason]
        if not rows:
            raise DiaryError(N_("Every absence of that day already has a reason; change one by lesson."))
    school = await session.get(School, person.school_id)
    assert school is not None
    moment = clock.now()
    changed = []
    for attendance, lesson in rows:
        require_editable(school, lesson.on_date)
        before = {"reason": attendance.reason, "note": attendance.reason_note}
        attendance.reason = reason
        attendance.reason_note = (note or "").strip() or None
        attendance.reason_file_id = file_id
        attendance.reason_by, attendance.reason_at = person.id, moment
        audit.record(
            session,
            action="reason_given",
            entity="attendance",
            entity_id=attendance.id,
            school_id=school.id,
            actor_person_id=person.id,
            actor_telegram_id=viewer.telegram_user_id,
            before=before,
            after={"reason": reason, "note": attendance.reason_note, "file_id": file_id},
        )
        changed.append(attendance)
    by_student: dict[int, list[tuple[Attendance, Lesson]]] = defaultdict(list)
    for attendance, lesson in rows:
        by_student[attendance.student_id].append((attendance, lesson))
    families = await outbox.family_of(session, list(by_student))
    for sid, items in by_student.items():
        day = items[0][1].on_date
        topic = f"reason:{sid}:{day.isoformat()}"
        await outbox.push(
            session,
            [r for r in families[sid] if r.person_id not in told_otherwise],
            category="absences",
            kind=PushKind.REASON_GIVEN,
            topic=topic,
            grace=False,
            payload={
                "student_id": sid,
                "on_date": day.isoformat(),
                "reason": reason,
                "lessons": sorted(lesson.lesson_no for _a, lesson in items),
            },
        )
        await outbox.hold_behind(session, topic, [f"absence:{lesson.id}:{sid}" for _a, lesson in items])
    await session.flush()
    return changed
