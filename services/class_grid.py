"""A class's journal of one subject as a grid (students × lesson dates) for the Mini App's teacher,
and the grid's own writes of a lesson's topic and homework (through services/homework.py)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AcademicPeriod,
    Attendance,
    Grade,
    Homework,
    Lesson,
    Person,
    School,
    SchoolClass,
    Student,
    Subject,
    TeachingAssignment,
    TimetableSlot,
)
from services import clock, homework
from services.errors import N_, NotAllowed, NotFound
from services.family import current_period, school_year
from services.grades import work_types
from services.journal_policy import first_editable_day, has_started, is_lesson_teacher
from services.lessons import lessons_of_teacher, materialize_span
from services.roles import Role, Viewer

# Lessons ahead of today are shown for a week: topics and homework are often planned ahead.
AHEAD = timedelta(days=7)
# Without a school period holding today, the grid shows the last four weeks.
NO_PERIOD_SPAN = timedelta(weeks=4)
READERS = (Role.TEACHER, Role.TUTOR, Role.ADMIN)


@dataclass(frozen=True)
class Choice:
    class_id: int
    class_name: str
    subject_id: int
    subject_name: str


@dataclass
class Choices:
    choices: list[Choice]
    default: Choice | None


@dataclass
class Column:
    lesson_id: int
    on_date: date
    lesson_no: int
    subgroup: str | None
    topic: str | None
    homework_id: int | None
    homework: str | None
    homework_due: date | None
    started: bool
    editable: bool  # this person writes it now: its teacher or substitute, inside the edit window
    gradable: bool  # editable, begun, and the class takes grades


@dataclass
class CellGrade:
    grade_id: int
    value: int
    work_type_id: int | None
    comment: str | None


@dataclass
class Row:
    student_id: int
    name: str
    # lesson id -> mark (absent | late); present students are not listed
    marks: dict[int, str] = field(default_factory=dict)
    grades: dict[int, list[CellGrade]] = field(default_factory=dict)
    # lessons of another group than this student's: nothing to mark there
    outside: list[int] = field(default_factory=list)


@dataclass
class WorkKind:
    work_type_id: int
    name: str


@dataclass(frozen=True)
class Term:
    period_id: int
    name: str


@dataclass
class Grid:
    class_id: int
    class_name: str
    subject_id: int
    subject_name: str
    period: str | None
    period_id: int | None
    # The begun terms of this school year: an earlier one opens read-only (but for its days still
    # inside the edit window).
    terms: list[Term]
    today: date
    first_editable: date
    grading: bool
    grade_min: int
    grade_max: int
    work_types: list[WorkKind]
    columns: list[Column]
    rows: list[Row]


async def choices(session: AsyncSession, viewer: Viewer) -> Choices:
    """The class-and-subject pairs this person reads in the grid: a teacher's own, a substitute's
    open lessons, a class teacher's class, an administrator's school; the default is the lesson
    the teacher has just taught (or is teaching)."""
    person = _require_staff(viewer)
    school = _school(viewer)
    conditions = []
    if Role.ADMIN in viewer.roles:
        conditions.append(SchoolClass.school_id == person.school_id)
    if viewer.tutor_class_ids:
        conditions.append(SchoolClass.id.in_(viewer.tutor_class_ids))
    if Role.TEACHER in viewer.roles:
        conditions.append(TeachingAssignment.teacher_id == person.id)
    rows = await session.execute(
        select(SchoolClass.id, SchoolClass.name, Subject.id, Subject.name)
        .join(TeachingAssignment, TeachingAssignment.class_id == SchoolClass.id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .where(TeachingAssignment.active.is_(True), SchoolClass.school_id == person.school_id, or_(*conditions))
        .distinct()
    )
    found = {Choice(*row) for row in rows}
    if Role.TEACHER in viewer.roles:
        substituted = await session.execute(
            select(SchoolClass.id, SchoolClass.name, Subject.id, Subject.name)
            .join(Lesson, Lesson.class_id == SchoolClass.id)
            .join(Subject, Subject.id == Lesson.subject_id)
            .where(Lesson.substitute_id == person.id, Lesson.on_date >= first_editable_day(school))
            .distinct()
        )
        found |= {Choice(*row) for row in substituted}
    ordered = sorted(found, key=lambda c: (_class_order(c.class_name), c.subject_name))
    return Choices(ordered, await _default(session, viewer, ordered))


def _class_order(name: str) -> tuple[int, str]:
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 0, name)


async def _default(session: AsyncSession, viewer: Viewer, found: list[Choice]) -> Choice | None:
    if Role.TEACHER in viewer.roles and viewer.person is not None:
        school = _school(viewer)
        begun = [
            lesson
            for lesson in await lessons_of_teacher(session, viewer.person, clock.school_today(school))
            if has_started(school, lesson)
        ]
        if begun:
            last = begun[-1]
            match = next((c for c in found if (c.class_id, c.subject_id) == (last.class_id, last.subject_id)), None)
            if match is not None:
                return match
    return found[0] if found else None


def _require_staff(viewer: Viewer) -> Person:
    """A page has no commands: a student or parent is told whose the journal is, in the page's terms."""
    person = viewer.require_linked()
    if not viewer.roles & set(READERS):
        raise NotAllowed(N_("The class journal is open to teachers, class teachers and the school administration."))
    return person


def _school(viewer: Viewer) -> School:
    assert viewer.school is not None
    return viewer.school


async def _require_reader(
    session: AsyncSession, viewer: Viewer, class_id: int, subject_id: int
) -> tuple[SchoolClass, Subject, bool]:
    """The class and subject, and whether this person reads every lesson of it (an admin, the class
    teacher) or only the lessons they teach or substitute."""
    person = _require_staff(viewer)
    school_class = await session.get(SchoolClass, class_id)
    subject = await session.get(Subject, subject_id)
    if school_class is None or subject is None or {school_class.school_id, subject.school_id} != {person.school_id}:
        raise NotFound(N_("There is no such class or subject."))
    if Role.ADMIN in viewer.roles or class_id in viewer.tutor_class_ids:
        return school_class, subject, True
    if Role.TEACHER in viewer.roles:
        mine = or_(
            and_(Lesson.teacher_id == person.id, Lesson.substitute_id.is_(None)), Lesson.substitute_id == person.id
        )
        assigned = await session.scalar(
            select(TeachingAssignment.id).where(
                TeachingAssignment.class_id == class_id,
                TeachingAssignment.subject_id == subject_id,
                TeachingAssignment.teacher_id == person.id,
                TeachingAssignment.active.is_(True),
            )
        )
        substitutes = await session.scalar(
            select(Lesson.id).where(Lesson.class_id == class_id, Lesson.subject_id == subject_id, mine).limit(1)
        )
        if assigned is not None or substitutes is not None:
            return school_class, subject, False
    raise NotAllowed(N_("You can read the journal of your own classes and subjects only."))


async def _terms(session: AsyncSession, school: School, today: date) -> list[AcademicPeriod]:
    periods = list(await session.scalars(select(AcademicPeriod).where(AcademicPeriod.school_id == school.id)))
    year = school_year(periods, today)
    return sorted([p for p in year if p.kind != "year"] or year, key=lambda p: p.starts_on)


async def _span(
    session: AsyncSession, school: School, today: date, terms: list[AcademicPeriod], period_id: int | None
) -> tuple[date, date, AcademicPeriod | None]:
    """The dates of the grid: the current period, from its first day or the first day still open
    for correction if that is earlier (near a term's start the edit window reaches into the term
    before, and those lessons must be reachable); or an earlier term of the year, asked for."""
    first = first_editable_day(school)
    if period_id is not None:
        asked = next((p for p in terms if p.id == period_id), None)
        if asked is None:
            raise NotFound(N_("There is no such period in this school year."))
        if not asked.starts_on <= today <= asked.ends_on:
            return asked.starts_on, min(asked.ends_on, today + AHEAD), asked
    period = await current_period(session, school.id, today)
    if period is None:
        return min(today - NO_PERIOD_SPAN, first), today + AHEAD, None
    return min(period.starts_on, first), min(period.ends_on, today + AHEAD), period


async def _make_lessons(
    session: AsyncSession, school_class: SchoolClass, subject_id: int, start: date, end: date
) -> None:
    """The subject's lessons over the dates, made from the timetable where nobody opened them yet."""
    slots = list(
        await session.scalars(
            select(TimetableSlot).where(
                TimetableSlot.class_id == school_class.id,
                TimetableSlot.subject_id == subject_id,
                TimetableSlot.active.is_(True),
            )
        )
    )
    periods = list(
        await session.scalars(select(AcademicPeriod).where(AcademicPeriod.school_id == school_class.school_id))
    )
    terms = [p for p in periods if p.kind != "year"] or periods
    wanted = []
    on = start
    while on <= end:
        if not terms or any(p.starts_on <= on <= p.ends_on for p in terms):
            wanted += [
                (s, on)
                for s in slots
                if s.weekday == on.isoweekday()
                and (s.valid_from is None or s.valid_from <= on)
                and (s.valid_to is None or s.valid_to >= on)
            ]
        on += timedelta(days=1)
    await materialize_span(session, wanted)
    await session.flush()


async def grid(
    session: AsyncSession, viewer: Viewer, class_id: int, subject_id: int, period_id: int | None = None
) -> Grid:
    """The class's lessons of the subject over the current period (up to a week ahead), or over an
    earlier term of the year, each student's marks and grades in them, and what this person may
    change in each lesson."""
    school_class, subject, everything = await _require_reader(session, viewer, class_id, subject_id)
    school = _school(viewer)
    today = clock.school_today(school)
    terms = await _terms(session, school, today)
    start, end, period = await _span(session, school, today, terms, period_id)
    await _make_lessons(session, school_class, subject_id, start, end)
    query = select(Lesson).where(
        Lesson.class_id == class_id, Lesson.subject_id == subject_id, Lesson.on_date >= start, Lesson.on_date <= end
    )
    if not everything:
        person = viewer.require_linked()
        query = query.where(
            or_(and_(Lesson.teacher_id == person.id, Lesson.substitute_id.is_(None)), Lesson.substitute_id == person.id)
        )
    lessons = list(await session.scalars(query.order_by(Lesson.on_date, Lesson.starts_at, Lesson.subgroup)))
    first = first_editable_day(school)
    homework = await _homework(session, [lesson.id for lesson in lessons])
    columns = []
    for lesson in lessons:
        task = homework.get(lesson.id)
        editable = is_lesson_teacher(viewer, lesson) and lesson.on_date >= first
        started = has_started(school, lesson)
        columns.append(
            Column(
                lesson.id,
                lesson.on_date,
                lesson.lesson_no,
                lesson.subgroup,
                lesson.topic,
                task.id if task else None,
                task.text if task else None,
                task.due_on if task else None,
                started,
                editable,
                editable and started and school_class.grading,
            )
        )
    rows = await _rows(session, school_class, lessons)
    kinds = [WorkKind(w.id, w.name) for w in await work_types(session, school.id)]
    return Grid(
        class_id,
        school_class.name,
        subject_id,
        subject.name,
        period.name if period else None,
        period.id if period else None,
        [Term(p.id, p.name) for p in terms],
        today,
        first,
        school_class.grading,
        school.grade_min,
        school.grade_max,
        kinds,
        columns,
        rows,
    )


async def _homework(session: AsyncSession, lesson_ids: list[int]) -> dict[int, Homework]:
    """Each lesson's homework for the whole class (a student's own task is not the column's)."""
    found: dict[int, Homework] = {}
    for task in await session.scalars(
        select(Homework)
        .where(Homework.lesson_id.in_(lesson_ids), Homework.deleted_at.is_(None), Homework.student_id.is_(None))
        .order_by(Homework.id)
    ):
        found.setdefault(task.lesson_id, task)
    return found


def row_name(last: str, first: str) -> str:
    """A student as the grid and the class teacher's lists name them: surname and first name, no
    patronymic (a line in a narrow column)."""
    return f"{last} {first}"


async def _rows(session: AsyncSession, school_class: SchoolClass, lessons: list[Lesson]) -> list[Row]:
    groups = {lesson.subgroup for lesson in lessons}
    query = (
        select(Student.id, Student.subgroup, Person.last_name, Person.first_name)
        .join(Person, Person.id == Student.person_id)
        .where(Student.class_id == school_class.id, Person.active.is_(True))
        .order_by(Person.last_name, Person.first_name, Person.id)
    )
    if groups and None not in groups:
        # A group's teacher sees the group: the other group's students sit in other lessons.
        query = query.where(Student.subgroup.in_(groups))
    rows = {
        sid: Row(sid, row_name(last, first), outside=[x.id for x in lessons if x.subgroup not in (None, subgroup)])
        for sid, subgroup, last, first in await session.execute(query)
    }
    ids = [lesson.id for lesson in lessons]
    for lesson_id, student_id, mark in await session.execute(
        select(Attendance.lesson_id, Attendance.student_id, Attendance.mark).where(
            Attendance.lesson_id.in_(ids), Attendance.mark != "present"
        )
    ):
        if student_id in rows:
            rows[student_id].marks[lesson_id] = mark
    grades: dict[tuple[int, int], list[CellGrade]] = defaultdict(list)
    if not school_class.grading:
        return list(rows.values())  # a class that takes no grades (the first grade) shows none
    for grade in await session.scalars(
        select(Grade).where(Grade.lesson_id.in_(ids), Grade.deleted_at.is_(None)).order_by(Grade.id)
    ):
        assert grade.lesson_id is not None  # IN matches no NULL
        grades[(grade.student_id, grade.lesson_id)].append(
            CellGrade(grade.id, grade.value, grade.work_type_id, grade.comment)
        )
    for (student_id, lesson_id), found in grades.items():
        if student_id in rows:
            rows[student_id].grades[lesson_id] = found
    return list(rows.values())


async def due_dates(session: AsyncSession, viewer: Viewer, lesson_id: int) -> list[date]:
    """The dates a homework of the lesson may be due on, as the bot offers them: the next lessons."""
    lesson = await homework.writable_lesson(session, viewer, lesson_id)
    return await homework.due_dates(session, lesson)


async def _lesson_homework(session: AsyncSession, lesson: Lesson, homework_id: int) -> None:
    """The homework named with a lesson must be that lesson's: a page never mixes them up, so a
    mismatch is refused rather than changing another lesson's homework."""
    task = await session.get(Homework, homework_id)
    if task is not None and task.lesson_id != lesson.id:
        raise NotFound(N_("This homework belongs to another lesson. Reload the page."))


async def write_topic(session: AsyncSession, viewer: Viewer, lesson_id: int, text: str) -> None:
    """The lesson's topic written, or cleared when empty, through the same service as the bot."""
    if text.strip():
        await homework.set_topic(session, viewer, lesson_id, text)
    else:
        await homework.clear_topic(session, viewer, lesson_id)


async def write_homework(
    session: AsyncSession, viewer: Viewer, lesson_id: int, homework_id: int | None, text: str, due_on: date | None
) -> None:
    """A lesson's homework posted, or changed (a due date of None keeps the one it has)."""
    if homework_id is None:
        await homework.post(session, viewer, lesson_id, text, due_on=due_on)
        return
    await _lesson_homework(session, await homework.writable_lesson(session, viewer, lesson_id), homework_id)
    # homework.edit asks again whether this person may change that homework.
    await homework.edit(session, viewer, homework_id, text=text, due_on=due_on)


async def remove_homework(session: AsyncSession, viewer: Viewer, lesson_id: int, homework_id: int) -> None:
    """A lesson's homework removed, as the bot's "remove" button does (its pushes cancelled)."""
    lesson = await homework.writable_lesson(session, viewer, lesson_id)
    await _lesson_homework(session, lesson, homework_id)
    await homework.delete(session, viewer, homework_id)
