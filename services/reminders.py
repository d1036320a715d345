"""Reminders the regulations' deadlines call for, queued by the scheduler; each goes once (dedup keys).

- attendance not marked when a lesson has ended (000 §2.5),
- topic or homework missing 1.5 hours after a lesson (000 §2.8),
- the class teacher, daily, about absences without a reason, flagging those past 2 working days (000 §2.9),
- the class teacher's weekly attendance check (002 §5.1),
- the class teacher's alerts when a student passes a threshold (unexcused absences, a low average).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AcademicPeriod,
    Attendance,
    Grade,
    Homework,
    Lesson,
    Notification,
    Person,
    School,
    SchoolClass,
    Student,
    Subject,
)
from services import averages, family, tunables
from services.absences import REASON_DEADLINE_WORKING_DAYS, working_days_after
from services.lessons import lessons_of_class
from services.push_kinds import PushKind

ATTENDANCE_AFTER = timedelta(minutes=10)
CONTENT_AFTER = timedelta(minutes=90)
WEEKLY_CHECK_WEEKDAY = 5  # Friday


Item = tuple[int, str, str, dict[str, Any]]  # (the person reminded, kind, dedup key, payload)


async def _queue(session: AsyncSession, items: list[Item], now: datetime) -> int:
    """(person, kind, dedup key, payload) rows for staff, in the bulk lane; known keys are skipped."""
    if not items:
        return 0
    existing = set(
        await session.scalars(
            select(Notification.dedup_key).where(Notification.dedup_key.in_([key for _p, _k, key, _pl in items]))
        )
    )
    rows = [
        {
            "person_id": person,
            "category": "reminders",
            "kind": kind,
            "lane": "bulk",
            "payload": payload,
            "topic": key,
            "dedup_key": key,
            "status": "pending",
            "due_at": now,
            "attempts": 0,
            "created_at": now,
        }
        for person, kind, key, payload in items
        if key not in existing
    ]
    if rows:
        await session.execute(insert(Notification), rows)
    return len(rows)


async def for_school(session: AsyncSession, school: School, now: datetime) -> int:
    local = now.astimezone(ZoneInfo(school.timezone))
    today = local.date()
    classes = list(await session.scalars(select(SchoolClass).where(SchoolClass.school_id == school.id)))
    lessons: list[Lesson] = []
    for school_class in classes:
        lessons += await lessons_of_class(session, school_class, today)
    items: list[Item] = []
    with_homework = set(
        await session.scalars(
            select(Homework.lesson_id).where(
                Homework.lesson_id.in_([lesson.id for lesson in lessons]), Homework.deleted_at.is_(None)
            )
        )
    )
    subjects = dict(
        (await session.execute(select(Subject.id, Subject.name).where(Subject.school_id == school.id))).all()
    )
    names = {c.id: c.name for c in classes}
    for lesson in lessons:
        ended = datetime.combine(today, lesson.ends_at, tzinfo=ZoneInfo(school.timezone))
        teacher = lesson.substitute_id or lesson.teacher_id
        about = {
            "lesson_id": lesson.id,
            "class": names[lesson.class_id],
            "subject": subjects.get(lesson.subject_id, ""),
            "lesson_no": lesson.lesson_no,
            "on_date": today.isoformat(),
        }
        if lesson.attendance_saved_at is None and local >= ended + ATTENDANCE_AFTER:
            items.append((teacher, PushKind.REMINDER_ATTENDANCE, f"remind:att:{lesson.id}", about))
        if (not lesson.topic or lesson.id not in with_homework) and local >= ended + CONTENT_AFTER:
            items.append(
                (
                    teacher,
                    PushKind.REMINDER_CONTENT,
                    f"remind:content:{lesson.id}",
                    {**about, "topic": bool(lesson.topic), "homework": lesson.id in with_homework},
                )
            )
    if local.hour >= tunables.current.tutor_reminder_hour:
        items += await _tutor_items(session, school, classes, today)
    return await _queue(session, items, now)


async def _tutor_items(session: AsyncSession, school: School, classes: list[SchoolClass], today: date) -> list[Item]:
    """What each class teacher is reminded of today: absences without a reason, the weekly check,
    and alerts about their students in the current period."""
    tutored = {c.id: c for c in classes if c.tutor_id is not None}
    if not tutored:
        return []
    items = await _reason_reminders(session, tutored, today)
    period = await family.current_period(session, school.id, today)
    if period is not None:
        students = await _students_of(session, list(tutored))
        items += await _unexcused_alerts(session, tutored, students, period)
        items += await _average_alerts(session, tutored, students, period)
    return items


async def _reason_reminders(session: AsyncSession, tutored: dict[int, SchoolClass], today: date) -> list[Item]:
    items: list[Item] = []
    waiting: dict[int, list[date]] = defaultdict(list)
    for class_id, on in await session.execute(
        select(Lesson.class_id, Lesson.on_date)
        .join(Attendance, Attendance.lesson_id == Lesson.id)
        .where(Lesson.class_id.in_(tutored), Attendance.mark == "absent", Attendance.reason.is_(None))
    ):
        waiting[class_id].append(on)
    for school_class in tutored.values():
        tutor = _tutor(school_class)
        days = waiting.get(school_class.id, [])
        if days:
            overdue = sum(today > working_days_after(d, REASON_DEADLINE_WORKING_DAYS) for d in days)
            payload = {"class": school_class.name, "count": len(days), "overdue": overdue}
            items.append((tutor, PushKind.REMINDER_REASONS, f"remind:reasons:{school_class.id}:{today}", payload))
        if today.isoweekday() == WEEKLY_CHECK_WEEKDAY:
            week = family.week_start(today).isoformat()
            payload = {"class": school_class.name, "week_start": week}
            items.append((tutor, PushKind.REMINDER_WEEK_CHECK, f"remind:week:{school_class.id}:{week}", payload))
    return items


def _tutor(school_class: SchoolClass) -> int:
    assert school_class.tutor_id is not None  # only tutored classes are passed here
    return school_class.tutor_id


@dataclass
class StudentsOf:
    class_of: dict[int, int]  # student -> class
    names: dict[int, str]


async def _students_of(session: AsyncSession, class_ids: list[int]) -> StudentsOf:
    rows = (
        await session.execute(
            select(Student.id, Student.class_id, Person.last_name, Person.first_name)
            .join(Person, Person.id == Student.person_id)
            .where(Student.class_id.in_(class_ids), Person.active.is_(True))
        )
    ).all()
    return StudentsOf(
        {sid: cid for sid, cid, _l, _f in rows}, {sid: f"{last} {first}" for sid, _c, last, first in rows}
    )


async def _unexcused_alerts(
    session: AsyncSession, tutored: dict[int, SchoolClass], students: StudentsOf, period: AcademicPeriod
) -> list[Item]:
    items: list[Item] = []
    for sid, count in await session.execute(
        select(Attendance.student_id, func.count())
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .where(
            Attendance.student_id.in_(students.class_of),
            Attendance.mark == "absent",
            Attendance.reason == "unexcused",
            Lesson.on_date >= period.starts_on,
            Lesson.on_date <= period.ends_on,
        )
        .group_by(Attendance.student_id)
    ):
        if count >= tunables.current.unexcused_absence_alert:
            school_class = tutored[students.class_of[sid]]
            payload = {
                "student": students.names[sid],
                "class": school_class.name,
                "count": count,
                "period": period.name,
            }
            items.append(
                (_tutor(school_class), PushKind.ALERT_UNEXCUSED, f"alert:unexcused:{sid}:{period.id}", payload)
            )
    return items


async def _average_alerts(
    session: AsyncSession, tutored: dict[int, SchoolClass], students: StudentsOf, period: AcademicPeriod
) -> list[Item]:
    items: list[Item] = []
    stmt = averages.with_weights(
        select(Grade.student_id, Subject.name, *averages.weighted_terms())
        .join(Subject, Subject.id == Grade.subject_id)
        .where(
            Grade.student_id.in_(students.class_of),
            Grade.deleted_at.is_(None),
            Grade.on_date >= period.starts_on,
            Grade.on_date <= period.ends_on,
        )
        .group_by(Grade.student_id, Subject.name)
    )
    for sid, subject, total, weight in await session.execute(stmt):
        average = averages.mean_of(total, weight)
        if average is not None and average < tunables.current.low_average_alert:
            school_class = tutored[students.class_of[sid]]
            payload = {
                "student": students.names[sid],
                "class": school_class.name,
                "subject": subject,
                "average": average,
                "period": period.name,
            }
            items.append(
                (_tutor(school_class), PushKind.ALERT_AVERAGE, f"alert:avg:{sid}:{subject}:{period.id}", payload)
            )
    return items
