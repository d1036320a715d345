"""The audit: writing entries (callers add them in the same transaction as the change), and reading
them back for the administrator with names for the ids they store."""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AbsenceNote,
    AcademicPeriod,
    Attendance,
    AuditEntry,
    Grade,
    Homework,
    Lesson,
    PeriodGrade,
    Person,
    School,
    SchoolClass,
    Student,
    Subject,
    WorkType,
)
from models.base import utcnow
from services.roles import Viewer


def record(
    session: AsyncSession,
    *,
    action: str,
    entity: str,
    entity_id: int | None,
    school_id: int | None = None,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=utcnow(),
        action=action,
        entity=entity,
        entity_id=entity_id,
        school_id=school_id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class PersonRef:
    """A person as the administrator knows them: the full name, and the roster's id (S05, P020)."""

    id: int
    name: str
    ref: str | None


@dataclass(frozen=True)
class LessonRef:
    class_name: str
    subgroup: str | None
    subject: str
    on_date: date
    lesson_no: int
    starts_at: time


@dataclass(frozen=True)
class Named:
    """A thing shown by its name: a subject, a period, a kind of work."""

    name: str
    catalog: bool = False  # a message id (the kinds of work a school starts with), translated where shown


@dataclass(frozen=True)
class AuditLine:
    """One entry with its numbers looked up: who, about whom and which lesson, in the school's time."""

    id: int
    at: datetime  # in the zone below
    zone: str
    action: str
    entity: str
    entity_id: int | None
    actor: PersonRef | None
    actor_telegram_id: int | None
    student: PersonRef | None
    lesson: LessonRef | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass
class _Ids:
    """Every id the entries name, gathered for one query per kind."""

    persons: set[int] = field(default_factory=set)
    students: set[int] = field(default_factory=set)
    lessons: set[int] = field(default_factory=set)
    work_types: set[int] = field(default_factory=set)
    subjects: set[int] = field(default_factory=set)
    periods: set[int] = field(default_factory=set)

    def add_values(self, values: dict[str, Any] | None) -> None:
        for key, value in (values or {}).items():
            if key in ("person_id", "substitute_id") and isinstance(value, int):
                self.persons.add(value)
            elif key == "persons" and isinstance(value, list):
                self.persons.update(v for v in value if isinstance(v, int))
            elif key in IDS and isinstance(value, int):
                getattr(self, IDS[key]).add(value)


IDS = {
    "student_id": "students",
    "lesson_id": "lessons",
    "work_type_id": "work_types",
    "subject_id": "subjects",
    "period_id": "periods",
}
DAYS = ("due_on", "on_date")


async def default_zone(session: AsyncSession) -> str:
    """The command line's clock: the schools' zone when they share one (a school's own database),
    else UTC."""
    zones = set(await session.scalars(select(School.timezone).distinct()))
    return zones.pop() if len(zones) == 1 else "UTC"


async def history(
    session: AsyncSession,
    operator: Viewer,
    *,
    since: date | None = None,
    entity: str | None = None,
    limit: int = 100,
) -> list[AuditLine]:
    """The latest entries, newest first, each with its names, lesson and school time (for the
    administrator on the command line); `since` is a day of the schools' calendar."""
    operator.require_operator()
    zone = await default_zone(session)
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if since is not None:
        query = query.where(AuditEntry.at >= datetime.combine(since, time(0), ZoneInfo(zone)))
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    entries = list(await session.scalars(query))
    return await _explain(session, entries, zone)


async def lesson_and_teacher(session: AsyncSession, lesson: Lesson) -> tuple[LessonRef, PersonRef]:
    """A lesson named for the administrator, and who teaches it now (its substitute, else its teacher)."""
    teacher = lesson.substitute_id or lesson.teacher_id
    names = await _Names.load(session, _Ids(persons={teacher}, lessons={lesson.id}))
    return names.lessons[lesson.id], names.persons[teacher]


async def _rows_of(
    session: AsyncSession, entries: list[AuditEntry]
) -> dict[tuple[str, int], tuple[int | None, int | None]]:
    """(student, lesson) of the entries whose own row holds them: a reason names only its attendance."""
    found: dict[tuple[str, int], tuple[int | None, int | None]] = {}
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.entity_id is not None:
            wanted.setdefault(entry.entity, set()).add(entry.entity_id)
    models: dict[str, Any] = {
        "attendance": (Attendance, Attendance.student_id, Attendance.lesson_id),
        "grade": (Grade, Grade.student_id, Grade.lesson_id),
        "homework": (Homework, Homework.student_id, Homework.lesson_id),
        "absence_note": (AbsenceNote, AbsenceNote.student_id, None),
        "period_grade": (PeriodGrade, PeriodGrade.student_id, None),
    }
    for entity, (model, student, lesson) in models.items():
        if wanted.get(entity):
            columns = [model.id, student, lesson if lesson is not None else literal(None)]
            for row_id, student_id, lesson_id in await session.execute(
                select(*columns).where(model.id.in_(wanted[entity]))
            ):
                found[(entity, row_id)] = (student_id, lesson_id)
    return found


async def _explain(session: AsyncSession, entries: list[AuditEntry], zone: str) -> list[AuditLine]:
    rows = await _rows_of(session, entries)
    ids = _Ids()
    for entry in entries:
        ids.add_values(entry.before)
        ids.add_values(entry.after)
        if entry.actor_person_id is not None:
            ids.persons.add(entry.actor_person_id)
        if entry.entity == "person" and entry.entity_id is not None:
            ids.persons.add(entry.entity_id)
        if entry.entity == "lesson" and entry.entity_id is not None:
            ids.lessons.add(entry.entity_id)
        student_id, lesson_id = rows.get((entry.entity, entry.entity_id or 0), (None, None))
        if student_id is not None:
            ids.students.add(student_id)
        if lesson_id is not None:
            ids.lessons.add(lesson_id)
    names = await _Names.load(session, ids)
    zones = {school_id: zone for school_id, zone in await session.execute(select(School.id, School.timezone))}
    lines = []
    for entry in entries:
        student_id, lesson_id = rows.get((entry.entity, entry.entity_id or 0), (None, None))
        values = {**(entry.before or {}), **(entry.after or {})}
        student_id = student_id or values.get("student_id")
        lesson_id = lesson_id or values.get("lesson_id") or (entry.entity_id if entry.entity == "lesson" else None)
        if entry.entity == "person" and entry.entity_id is not None:
            about = names.persons.get(entry.entity_id)
        else:
            about = names.students.get(student_id) if isinstance(student_id, int) else None
        here = zones.get(entry.school_id, zone) if entry.school_id is not None else zone
        lines.append(
            AuditLine(
                id=entry.id,
                at=entry.at.astimezone(ZoneInfo(here)),
                zone=here,
                action=entry.action,
                entity=entry.entity,
                entity_id=entry.entity_id,
                actor=names.persons.get(entry.actor_person_id or 0),
                actor_telegram_id=entry.actor_telegram_id,
                student=about,
                lesson=names.lessons.get(lesson_id) if isinstance(lesson_id, int) else None,
                before=names.resolve(entry.before, here),
                after=names.resolve(entry.after, here),
            )
        )
    return lines


@dataclass
class _Names:
    persons: dict[int, PersonRef]
    students: dict[int, PersonRef]
    lessons: dict[int, LessonRef]
    named: dict[str, dict[int, Named]]

    @classmethod
    async def load(cls, session: AsyncSession, ids: _Ids) -> "_Names":
        persons = (
            {
                p.id: PersonRef(p.id, p.full_name, p.staff_ref or p.student_ref or p.parent_ref)
                for p in await session.scalars(select(Person).where(Person.id.in_(ids.persons)))
            }
            if ids.persons
            else {}
        )
        students: dict[int, PersonRef] = {}
        if ids.students:
            of_students = select(Student.id, Person).join(Person, Person.id == Student.person_id)
            for student_id, p in await session.execute(of_students.where(Student.id.in_(ids.students))):
                students[student_id] = PersonRef(p.id, p.full_name, p.student_ref)
        lessons: dict[int, LessonRef] = {}
        if ids.lessons:
            query = (
                select(Lesson, SchoolClass.name, Subject.name)
                .join(SchoolClass, SchoolClass.id == Lesson.class_id)
                .join(Subject, Subject.id == Lesson.subject_id)
                .where(Lesson.id.in_(ids.lessons))
            )
            for lesson, class_name, subject in await session.execute(query):
                lessons[lesson.id] = LessonRef(
                    class_name, lesson.subgroup, subject, lesson.on_date, lesson.lesson_no, lesson.starts_at
                )
        named: dict[str, dict[int, Named]] = {}
        for key, model in (("work_type_id", WorkType), ("subject_id", Subject), ("period_id", AcademicPeriod)):
            wanted = getattr(ids, IDS[key])
            named[key] = {}
            if wanted:
                rows = await session.execute(select(model.id, model.name).where(model.id.in_(wanted)))
                named[key] = {row_id: Named(name, model is WorkType) for row_id, name in rows}
        return cls(persons, students, lessons, named)

    def resolve(self, values: dict[str, Any] | None, zone: str) -> dict[str, Any] | None:
        """The stored values with their ids replaced by names, dates and moments by dates and times."""
        if values is None:
            return None
        shown: dict[str, Any] = {}
        for key, value in values.items():
            shown[key] = self._value(key, value, zone)
        return shown

    def _value(self, key: str, value: Any, zone: str) -> Any:
        if value is None:
            return None
        if key in ("person_id", "substitute_id"):
            return self.persons.get(value, value)
        if key == "persons" and isinstance(value, list):
            return [self.persons.get(v, v) for v in value]
        if key == "student_id":
            return self.students.get(value, value)
        if key == "lesson_id":
            return self.lessons.get(value, value)
        if key in self.named:
            return self.named[key].get(value, value)
        if isinstance(value, str) and key in DAYS:
            return _parsed(date.fromisoformat, value)
        if isinstance(value, str) and key.endswith("_at"):
            moment = _parsed(datetime.fromisoformat, value)
            return moment.astimezone(ZoneInfo(zone)) if isinstance(moment, datetime) and moment.tzinfo else moment
        return value


def _parsed(parse: Any, value: str) -> Any:
    try:
        return parse(value)
    except ValueError:
        return value
