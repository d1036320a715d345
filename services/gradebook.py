"""Grade books for the Mini App: a family's child over the period, and a class teacher's class by subject."""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AcademicPeriod,
    Grade,
    Homework,
    HomeworkAttachment,
    Lesson,
    Person,
    School,
    Student,
    Subject,
    WorkType,
)
from services import absences as absence_service
from services import averages, clock, family
from services.absences import AbsentDay
from services.class_grid import row_name
from services.class_lists import class_students
from services.errors import N_, DiaryError, NotAllowed, NotFound
from services.family import Child, ChooseChild
from services.journal_views import week_of
from services.roles import Role, Viewer

HOMEWORK_DAYS = 7  # the coming days' homework a family sees
SPANS = ("week", "period")
# The months a family may page through: the school year, a month either side (and this month, in
# the summer); without periods, a year either side of today.
MONTHS_AROUND = 1
MONTHS_WITHOUT_YEAR = 12


@dataclass
class GradeEntry:
    on_date: date
    value: int
    work_type: str | None
    comment: str | None


@dataclass
class TrendPoint:
    on_date: date
    average: float


@dataclass
class SubjectBook:
    subject: str
    grades: list[GradeEntry] = field(default_factory=list)
    average: float | None = None
    trend: list[TrendPoint] = field(default_factory=list)  # the average after each day with grades


@dataclass
class DayMark:
    on_date: date
    lessons: int  # the day's lessons by the timetable; 0: no school that day
    absent: int
    late: int
    explained: bool  # every absence of the day has a reason


@dataclass
class HomeworkFile:
    index: int
    kind: str  # photo | document
    name: str | None
    # Names this file (a hash of Telegram's file id): the page's address for it carries the key, so
    # the browser may keep what it fetched and never shows an old file for a new one.
    key: str


@dataclass
class HomeworkItem:
    homework_id: int
    subject: str
    due_on: date | None
    text: str
    files: list[HomeworkFile]


@dataclass
class Book:
    child: Child
    children: list[Child]
    today: date
    period: str | None
    grading: bool  # the child's class takes grades (the first grade does not: no grades part)
    grade_min: int
    grade_max: int
    subjects: list[SubjectBook]
    month: date  # its first day
    month_min: date  # the first and the last month that may be asked for (their first days)
    month_max: date
    calendar: list[DayMark]
    homework: list[HomeworkItem]


def require_family(viewer: Viewer) -> None:
    """A page has no commands: whoever is not a student or parent is told whose the gradebook is."""
    viewer.require_linked()
    if not viewer.roles & {Role.STUDENT, Role.PARENT}:
        raise NotAllowed(N_("The gradebook is open to students and their parents."))


def require_class_teacher(viewer: Viewer) -> None:
    """The class teacher's screen, refused in the page's terms to anyone else."""
    viewer.require_linked()
    if not viewer.roles & {Role.TUTOR, Role.ADMIN}:
        raise NotAllowed(N_("This screen is open to class teachers and the school administration."))


async def chosen_child(session: AsyncSession, viewer: Viewer, student_id: int | None) -> Child:
    """The child asked for, else the one chosen last, else the first: the page switches at the top."""
    require_family(viewer)
    try:
        return await family.child(session, viewer, student_id)
    except ChooseChild as choose:
        return await family.child(session, viewer, choose.kids[0].student_id)


async def book(session: AsyncSession, viewer: Viewer, student_id: int | None, month: date | None = None) -> Book:
    """A child's period grades by subject with the average's trend, a month's attendance and the
    coming days' homework: only the reader's own or their child's (000 §4.5, §4.6), after consent."""
    kid = await chosen_child(session, viewer, student_id)
    kids = await family.children(session, viewer)
    school = viewer.school
    assert school is not None
    today = clock.school_today(school)
    period = await family.period_now(session, viewer, today)
    grading = await family.takes_grades(session, kid)
    subjects = (
        await _subject_books(session, kid.student_id, period.starts_on, period.ends_on) if period and grading else []
    )
    low, high = await _months(session, school, today)
    first = (month or today).replace(day=1)
    if not low <= first <= high:
        last_day = _add_months(high, 1) - timedelta(days=1)
        raise DiaryError(N_("The diary shows the months from {first} to {last}."), first=low, last=last_day)
    calendar = await _calendar(session, kid, first)
    return Book(
        kid,
        kids,
        today,
        period.name if period else None,
        grading,
        school.grade_min,
        school.grade_max,
        subjects,
        first,
        low,
        high,
        calendar,
        await _homework(session, kid, today),
    )


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


async def _months(session: AsyncSession, school: School, today: date) -> tuple[date, date]:
    """The first days of the first and last month of the school year, a month either side."""
    this_month = today.replace(day=1)
    periods = list(await session.scalars(select(AcademicPeriod).where(AcademicPeriod.school_id == school.id)))
    year = family.school_year(periods, today)
    if not year:
        return _add_months(this_month, -MONTHS_WITHOUT_YEAR), _add_months(this_month, MONTHS_WITHOUT_YEAR)
    low = _add_months(min(p.starts_on for p in year).replace(day=1), -MONTHS_AROUND)
    high = _add_months(max(p.ends_on for p in year).replace(day=1), MONTHS_AROUND)
    return min(low, this_month), max(high, this_month)


async def _subject_books(session: AsyncSession, student_id: int, start: date, end: date) -> list[SubjectBook]:
    rows = await session.execute(
        select(Subject.name, Grade.on_date, Grade.value, WorkType.name, WorkType.weight, Grade.comment)
        .join(Subject, Subject.id == Grade.subject_id)
        .outerjoin(WorkType, WorkType.id == Grade.work_type_id)
        .where(Grade.student_id == student_id, Grade.deleted_at.is_(None), Grade.on_date.between(start, end))
        .order_by(Subject.name, Grade.on_date, Grade.id)
    )
    books: dict[str, SubjectBook] = {}
    weighted: dict[str, list[tuple[int, Decimal | None]]] = defaultdict(list)
    for subject, on, value, work, weight, comment in rows:
        entry = books.setdefault(subject, SubjectBook(subject))
        entry.grades.append(GradeEntry(on, value, work, comment))
        weighted[subject].append((value, weight))
        # The school's own average (weighted by kind of work) after each day with grades.
        average = averages.weighted_mean(weighted[subject])
        assert average is not None
        if entry.trend and entry.trend[-1].on_date == on:
            entry.trend[-1].average = average
        else:
            entry.trend.append(TrendPoint(on, average))
    for subject, entry in books.items():
        entry.average = averages.weighted_mean(weighted[subject])
    return list(books.values())


async def _calendar(session: AsyncSession, kid: Child, first: date) -> list[DayMark]:
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    schedule = await family.schedule(session, kid, first, last)
    missed = (await family.absences(session, [kid.student_id], first, last)).get(kid.student_id, [])
    by_day: dict[date, list[family.Missed]] = defaultdict(list)
    for miss in missed:
        by_day[miss.on_date].append(miss)
    days = []
    on = first
    while on <= last:
        found = by_day.get(on, [])
        absent = [m for m in found if m.mark == "absent"]
        days.append(
            DayMark(
                on,
                len(schedule.get(on, [])),
                len(absent),
                sum(m.mark == "late" for m in found),
                all(m.reason is not None for m in absent),
            )
        )
        on += timedelta(days=1)
    return days


async def _homework(session: AsyncSession, kid: Child, today: date) -> list[HomeworkItem]:
    tasks = (await family.homework_due(session, [kid], today, today + timedelta(days=HOMEWORK_DAYS))).get(
        kid.student_id, []
    )
    names = await _file_names(session, [t.homework_id for t in tasks])
    return [
        HomeworkItem(
            t.homework_id,
            t.subject,
            t.due_on,
            t.text,
            [
                HomeworkFile(n, kind, names.get((t.homework_id, n)), file_key(file_id))
                for n, (kind, file_id) in enumerate(t.files)
            ],
        )
        for t in tasks
    ]


async def _file_names(session: AsyncSession, homework_ids: list[int]) -> dict[tuple[int, int], str | None]:
    found: dict[tuple[int, int], str | None] = {}
    counts: dict[int, int] = defaultdict(int)
    for attachment in await session.scalars(
        select(HomeworkAttachment)
        .where(HomeworkAttachment.homework_id.in_(homework_ids))
        .order_by(HomeworkAttachment.id)
    ):
        found[(attachment.homework_id, counts[attachment.homework_id])] = attachment.file_name
        counts[attachment.homework_id] += 1
    return found


def file_key(file_id: str) -> str:
    return hashlib.sha256(file_id.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class FileRef:
    file_id: str
    kind: str
    name: str | None


async def homework_file(
    session: AsyncSession, viewer: Viewer, student_id: int, homework_id: int, index: int
) -> FileRef:
    """An attachment of a homework set for this reader's own child (their class, their group, or
    the child alone), to be fetched from Telegram for the page."""
    kid = await chosen_child(session, viewer, student_id)
    row = (
        await session.execute(
            select(Homework, Lesson)
            .join(Lesson, Lesson.id == Homework.lesson_id)
            .where(Homework.id == homework_id, Homework.deleted_at.is_(None))
        )
    ).first()
    if (
        row is None
        or row[1].class_id != kid.class_id
        or row[0].student_id not in (None, kid.student_id)
        or row[1].subgroup not in (None, kid.subgroup)
    ):
        raise NotFound(N_("This homework is not in the journal (it may have been removed)."))
    files = list(
        await session.scalars(
            select(HomeworkAttachment)
            .where(HomeworkAttachment.homework_id == homework_id)
            .order_by(HomeworkAttachment.id)
        )
    )
    if not 0 <= index < len(files):
        raise NotFound(N_("This homework is not in the journal (it may have been removed)."))
    return FileRef(files[index].file_id, files[index].kind, files[index].file_name)


@dataclass
class StudentGrades:
    student_id: int
    name: str
    values: list[int]
    average: float | None


@dataclass
class SubjectSheet:
    subject: str
    students: list[StudentGrades]


@dataclass
class ClassGrades:
    class_id: int
    class_name: str
    span: str
    start: date
    end: date
    grading: bool  # False: a class that takes no grades, and no subjects listed
    subjects: list[SubjectSheet]


async def class_grades(session: AsyncSession, viewer: Viewer, class_id: int | None, span: str) -> ClassGrades:
    """The class teacher's class: each subject graded over this week or the period, with every
    student of the class (one without grades shows none, rather than being left out)."""
    if span not in SPANS:
        raise DiaryError(N_("Choose the week or the period."))
    require_class_teacher(viewer)
    school_class = await absence_service.tutor_class(session, viewer, class_id)
    school = viewer.school
    assert school is not None
    today = clock.school_today(school)
    start, end = week_of(today)
    if span == "period":
        period = await family.current_period(session, school.id, today)
        if period is not None:
            start, end = period.starts_on, period.ends_on
    subjects: list[SubjectSheet] = []
    if school_class.grading:
        roster = await _roster(session, school_class.id)
        for subject, found in (await _class_sheets(session, school_class.id, start, end)).items():
            # A student who left with grades here is still shown, after the class.
            everyone = {**{sid: (name, []) for sid, name in roster.items()}, **found}
            students = [
                StudentGrades(sid, name, [v for v, _w in pairs], averages.weighted_mean(pairs))
                for sid, (name, pairs) in everyone.items()
            ]
            subjects.append(SubjectSheet(subject, students))
    return ClassGrades(school_class.id, school_class.name, span, start, end, school_class.grading, subjects)


async def _roster(session: AsyncSession, class_id: int) -> dict[int, str]:
    """The class's students in the grid's order and name form."""
    return {s.id: row_name(p.last_name, p.first_name) for s, p in await class_students(session, class_id)}


Sheets = dict[str, dict[int, tuple[str, list[tuple[int, Decimal | None]]]]]


async def _class_sheets(session: AsyncSession, class_id: int, start: date, end: date) -> Sheets:
    """Subject -> student -> (name, [(value, weight)]) over the dates."""
    rows = await session.execute(
        select(Subject.name, Person.last_name, Person.first_name, Student.id, Grade.value, WorkType.weight)
        .join(Subject, Subject.id == Grade.subject_id)
        .join(Student, Student.id == Grade.student_id)
        .join(Person, Person.id == Student.person_id)
        .outerjoin(WorkType, WorkType.id == Grade.work_type_id)
        .where(Student.class_id == class_id, Grade.deleted_at.is_(None), Grade.on_date.between(start, end))
        .order_by(Subject.name, Person.last_name, Person.first_name, Student.id, Grade.on_date, Grade.id)
    )
    sheets: Sheets = {}
    for subject, last, first, sid, value, weight in rows:
        students = sheets.setdefault(subject, {})
        students.setdefault(sid, (row_name(last, first), []))[1].append((value, weight))
    return sheets


@dataclass
class ClassAbsences:
    class_id: int
    class_name: str
    days: list[AbsentDay]


async def class_absences(session: AsyncSession, viewer: Viewer, class_id: int | None) -> ClassAbsences:
    """The class teacher's absences without a reason (services/absences.unexplained), the students
    named as in the grid."""
    require_class_teacher(viewer)
    school_class = await absence_service.tutor_class(session, viewer, class_id)
    days = await absence_service.unexplained(session, viewer, school_class.id)
    names = await _roster(session, school_class.id)
    for found in days:
        found.student_name = names.get(found.student_id, found.student_name)
    return ClassAbsences(school_class.id, school_class.name, days)
