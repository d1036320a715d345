"""The family's diary: a student's or a parent's own view of grades, homework, timetable,
attendance and the week (000 §4.5, §4.6), after consent (004 §3.8)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AcademicPeriod,
    Attendance,
    Grade,
    Homework,
    HomeworkAttachment,
    Lesson,
    PeriodGrade,
    Person,
    Preference,
    SchoolClass,
    Student,
    Subject,
    TimetableSlot,
    WorkType,
)
from services import averages, clock
from services.errors import N_, DiaryError, NotAllowed
from services.lessons import is_study_day
from services.roles import Viewer

MALE_PATRONYMIC = ("вич", "ич", "оглы", "оглу", "улы", "уулу")
FEMALE_PATRONYMIC = ("вна", "чна", "кызы", "гызы", "қызы")


def sex_of(sex: str | None, middle_name: str | None) -> str | None:
    """The person's sex ("m", "f") for the words about him: the roster's column, else the
    patronymic's ending (Владимирович, Ильинична, Мамед кызы), else None: no gendered verb then."""
    if sex in ("m", "f"):
        return sex
    patronymic = (middle_name or "").strip().lower()
    if patronymic.endswith(FEMALE_PATRONYMIC):
        return "f"
    if patronymic.endswith(MALE_PATRONYMIC):
        return "m"
    return None


@dataclass(frozen=True)
class Child:
    student_id: int
    name: str
    class_id: int
    class_name: str
    subgroup: str | None


async def takes_grades(session: AsyncSession, kid: Child) -> bool:
    """Whether the child's class takes grades: the first grade does not (attendance and homework only)."""
    school_class = await session.get(SchoolClass, kid.class_id)
    return school_class is not None and school_class.grading


async def children(session: AsyncSession, viewer: Viewer) -> list[Child]:
    """Whose diary this person may read: their own, and their children's — nobody else's."""
    viewer.require_diary_access()
    ids = set(viewer.child_student_ids) | ({viewer.own_student_id} if viewer.own_student_id else set())
    rows = await session.execute(
        select(Student, Person, SchoolClass)
        .join(Person, Person.id == Student.person_id)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(Student.id.in_(ids), Person.active.is_(True))
        .order_by(Person.first_name)
    )
    return [Child(s.id, f"{p.first_name} {p.last_name}", c.id, c.name, s.subgroup) for s, p, c in rows]


async def own_class_name(session: AsyncSession, viewer: Viewer) -> str | None:
    """The class (a college's group) of a student, to greet him as its student; before consent too."""
    if viewer.own_student_id is None:
        return None
    return await session.scalar(
        select(SchoolClass.name)
        .join(Student, Student.class_id == SchoolClass.id)
        .where(Student.id == viewer.own_student_id)
    )


async def child(session: AsyncSession, viewer: Viewer, student_id: int | None) -> Child:
    """The child asked for, else the one chosen last, else the only one; the choice is remembered."""
    kids = await children(session, viewer)
    if not kids:
        raise NotAllowed(N_("There is no diary linked to your account."))
    preference = await session.get(Preference, viewer.account.id) if viewer.account else None
    wanted = student_id or (preference.child_student_id if preference else None)
    chosen = next((k for k in kids if k.student_id == wanted), None)
    if student_id is not None and chosen is None:
        raise NotAllowed(N_("You can see only your own child's diary."))
    if chosen is None:
        if len(kids) > 1:
            raise ChooseChild(kids)
        chosen = kids[0]
    if preference is not None and preference.child_student_id != chosen.student_id:
        preference.child_student_id = chosen.student_id
        await session.flush()
    return chosen


class ChooseChild(DiaryError):
    def __init__(self, kids: list[Child]) -> None:
        super().__init__(N_("Whose diary?"))
        self.kids = kids


async def period_now(session: AsyncSession, viewer: Viewer, on: date) -> AcademicPeriod | None:
    """The period the family's screens count in: the shortest that holds the day, in the viewer's school."""
    return await current_period(session, viewer.require_diary_access().school_id, on)


async def current_period(session: AsyncSession, school_id: int, on: date) -> AcademicPeriod | None:
    periods = list(
        await session.scalars(
            select(AcademicPeriod).where(
                AcademicPeriod.school_id == school_id, AcademicPeriod.starts_on <= on, AcademicPeriod.ends_on >= on
            )
        )
    )
    # The shortest period that holds the day: a quarter before a half before the year.
    return min(periods, key=lambda p: p.ends_on - p.starts_on, default=None)


SUMMER = timedelta(days=40)  # a gap between periods longer than any holiday but the summer
KIND_ORDER = {"period": 0, "exam": 1, "final": 2}


def school_year(periods: list[AcademicPeriod], on: date) -> list[AcademicPeriod]:
    """The begun periods of the school year the day falls in (in the summer, of the year just
    ended): its quarters, halves and the year itself, parted from the year before by the summer."""
    begun = sorted((p for p in periods if p.starts_on <= on), key=lambda p: p.starts_on)
    year: list[AcademicPeriod] = []
    for period in reversed(begun):
        if year and period.ends_on < min(p.starts_on for p in year) - SUMMER:
            break
        year.append(period)
    return year


@dataclass(frozen=True)
class PeriodMark:
    """A quarter's, half-year's or year's grade, or the year's exam or final grade."""

    subject: str
    period: str
    kind: str  # period | exam | final
    value: str  # a grade, "pass" or "na"


async def _period_marks(session: AsyncSession, student_ids: list[int], *where: Any) -> dict[int, list[PeriodMark]]:
    """By student, each subject's marks in the order they are given: Q1, Q2, the first half, …, the
    year, its exam and its final grade."""
    rows = await session.execute(
        select(
            PeriodGrade.student_id,
            Subject.name,
            AcademicPeriod.name,
            AcademicPeriod.starts_on,
            AcademicPeriod.ends_on,
            PeriodGrade.kind,
            PeriodGrade.value,
        )
        .join(Subject, Subject.id == PeriodGrade.subject_id)
        .join(AcademicPeriod, AcademicPeriod.id == PeriodGrade.period_id)
        .where(PeriodGrade.student_id.in_(student_ids), PeriodGrade.deleted_at.is_(None), *where)
    )
    ordered = sorted(rows, key=lambda r: (r[1], r[4], r[4] - r[3], KIND_ORDER.get(r[5], 9)))
    result: dict[int, list[PeriodMark]] = defaultdict(list)
    for student_id, subject, period, _starts, _ends, kind, value in ordered:
        result[student_id].append(PeriodMark(subject, period, kind, value))
    return result


async def year_marks(
    session: AsyncSession, school_id: int, student_ids: list[int], on: date
) -> dict[int, list[PeriodMark]]:
    """The period grades of the school year so far (or of the year just ended, in the summer)."""
    periods = list(await session.scalars(select(AcademicPeriod).where(AcademicPeriod.school_id == school_id)))
    year = [p.id for p in school_year(periods, on)]
    if not year or not student_ids:
        return {}
    return await _period_marks(session, student_ids, PeriodGrade.period_id.in_(year))


async def marks_given(
    session: AsyncSession, student_ids: list[int], since: datetime, until: datetime
) -> dict[int, list[PeriodMark]]:
    """The period grades given or changed between two moments (a week's summary tells those)."""
    if not student_ids:
        return {}
    when = func.coalesce(PeriodGrade.updated_at, PeriodGrade.created_at)
    return await _period_marks(session, student_ids, when >= since, when < until)


@dataclass
class SubjectGrades:
    subject: str
    grades: list[tuple[date, int, str | None]] = field(default_factory=list)  # date, value, work type
    weights: list[Decimal] = field(default_factory=list)  # each grade's weight, in the same order

    @property
    def average(self) -> float | None:
        """The school's weighted average (a grade without a weight counts once)."""
        weights = self.weights + [averages.DEFAULT_WEIGHT] * (len(self.grades) - len(self.weights))
        return averages.weighted_mean((v, w) for (_d, v, _w), w in zip(self.grades, weights, strict=True))

    def add(self, on: date, value: int, work: str | None, weight: Decimal) -> None:
        self.grades.append((on, value, work))
        self.weights.append(weight)


async def grades_by_subject(
    session: AsyncSession, student_ids: list[int], start: date, end: date
) -> dict[int, dict[str, SubjectGrades]]:
    """Grades of many students over dates, by subject, in one query."""
    result: dict[int, dict[str, SubjectGrades]] = defaultdict(dict)
    rows = await session.execute(
        select(Grade.student_id, Subject.name, Grade.on_date, Grade.value, WorkType.name, averages.grade_weight())
        .join(Subject, Subject.id == Grade.subject_id)
        .outerjoin(WorkType, WorkType.id == Grade.work_type_id)
        .where(
            Grade.student_id.in_(student_ids), Grade.deleted_at.is_(None), Grade.on_date >= start, Grade.on_date <= end
        )
        .order_by(Subject.name, Grade.on_date, Grade.id)
    )
    for student_id, subject, on, value, work, weight in rows:
        result[student_id].setdefault(subject, SubjectGrades(subject)).add(on, value, work, Decimal(str(weight)))
    return result


@dataclass
class Missed:
    on_date: date
    lesson_no: int
    subject: str
    mark: str
    reason: str | None


async def absences(session: AsyncSession, student_ids: list[int], start: date, end: date) -> dict[int, list[Missed]]:
    result: dict[int, list[Missed]] = defaultdict(list)
    rows = await session.execute(
        select(
            Attendance.student_id, Lesson.on_date, Lesson.lesson_no, Subject.name, Attendance.mark, Attendance.reason
        )
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .join(Subject, Subject.id == Lesson.subject_id)
        .where(
            Attendance.student_id.in_(student_ids),
            Attendance.mark.in_(("absent", "late")),
            Lesson.on_date >= start,
            Lesson.on_date <= end,
        )
        .order_by(Lesson.on_date, Lesson.lesson_no)
    )
    for student_id, on, no, subject, mark, reason in rows:
        result[student_id].append(Missed(on, no, subject, mark, reason))
    return result


@dataclass
class Task:
    homework_id: int
    subject: str
    due_on: date | None
    text: str
    files: list[tuple[str, str]] = field(default_factory=list)


async def homework_due(session: AsyncSession, kids: list[Child], start: date, end: date) -> dict[int, list[Task]]:
    """Homework due between the dates, for each child: the class's (their group's) and their own."""
    result: dict[int, list[Task]] = defaultdict(list)
    if not kids:
        return result
    by_class: dict[int, list[Child]] = defaultdict(list)
    for kid in kids:
        by_class[kid.class_id].append(kid)
    rows = (
        await session.execute(
            select(
                Homework.id,
                Homework.student_id,
                Homework.text,
                Homework.due_on,
                Lesson.class_id,
                Lesson.subgroup,
                Subject.name,
            )
            .join(Lesson, Lesson.id == Homework.lesson_id)
            .join(Subject, Subject.id == Lesson.subject_id)
            .where(
                Lesson.class_id.in_(by_class),
                Homework.deleted_at.is_(None),
                Homework.due_on >= start,
                Homework.due_on <= end,
            )
            .order_by(Homework.due_on, Subject.name, Homework.id)
        )
    ).all()
    files: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for a in await session.scalars(
        select(HomeworkAttachment)
        .where(HomeworkAttachment.homework_id.in_([row.id for row in rows]))
        .order_by(HomeworkAttachment.id)
    ):
        files[a.homework_id].append((a.kind, a.file_id))
    for homework_id, student_id, text, due_on, class_id, subgroup, subject in rows:
        # One Task for the whole class: a district's week is a million (task, child) pairs.
        task = Task(homework_id, subject, due_on, text, files.get(homework_id, []))
        for kid in by_class[class_id]:
            if student_id is not None and student_id != kid.student_id:
                continue
            if subgroup is not None and kid.subgroup != subgroup:
                continue
            result[kid.student_id].append(task)
    return result


@dataclass
class Slot:
    weekday: int
    lesson_no: int
    starts_at: time
    ends_at: time
    subject: str
    room: str | None


async def schedule(session: AsyncSession, kid: Child, start: date, end: date) -> dict[date, list[Slot]]:
    school_id = await session.scalar(select(SchoolClass.school_id).where(SchoolClass.id == kid.class_id))
    assert school_id is not None
    slots = (
        await session.execute(
            select(TimetableSlot, Subject.name)
            .join(Subject, Subject.id == TimetableSlot.subject_id)
            .where(
                TimetableSlot.class_id == kid.class_id,
                TimetableSlot.active.is_(True),
                or_(TimetableSlot.subgroup.is_(None), TimetableSlot.subgroup == kid.subgroup),
            )
            .order_by(TimetableSlot.lesson_no)
        )
    ).all()
    days: dict[date, list[Slot]] = {}
    on = start
    while on <= end:
        if await is_study_day(session, school_id, on):
            todays = [
                Slot(s.weekday, s.lesson_no, s.starts_at, s.ends_at, name, s.room)
                for s, name in slots
                if s.weekday == on.isoweekday()
                and (s.valid_from is None or s.valid_from <= on)
                and (s.valid_to is None or s.valid_to >= on)
            ]
            if todays:
                days[on] = todays
        on += timedelta(days=1)
    return days


@dataclass
class WeekSummary:
    student_id: int
    week_start: date
    week: dict[str, SubjectGrades]
    period_averages: dict[str, float | None]
    absences: list[Missed]
    homework_next_week: list[Task]  # or of the coming days, for a summary asked mid-week
    period_grades: list[PeriodMark] = field(default_factory=list)  # given or changed in the week
    homework_from: date | None = None  # set when the homework is of the coming days, not next week
    graded: bool = True  # False in a class that takes no grades (a first grade): no grades part at all


async def summaries(
    session: AsyncSession,
    kids: list[Child],
    week_start: date,
    period: AcademicPeriod | None,
    timezone: str = "UTC",
    homework_from: date | None = None,
) -> dict[int, WeekSummary]:
    """The week for many students at once, in a fixed number of queries (no query per student);
    the week's days are the school's, in its time zone. The homework is next week's, or that of the
    seven days from `homework_from` (a summary asked on a Wednesday shows Thursday's homework too)."""
    ids = [k.student_id for k in kids]
    week_end = week_start + timedelta(days=6)
    next_week = week_end + timedelta(days=1)
    homework_start = homework_from or next_week
    week = await grades_by_subject(session, ids, week_start, week_end)
    in_period = await grades_by_subject(session, ids, period.starts_on, period.ends_on) if period else {}
    missed = await absences(session, ids, week_start, week_end)
    tasks = await homework_due(session, kids, homework_start, homework_start + timedelta(days=6))
    zone = ZoneInfo(timezone)
    marks = await marks_given(
        session,
        ids,
        datetime.combine(week_start, time(0), zone),
        datetime.combine(week_end + timedelta(days=1), time(0), zone),
    )
    ungraded = set(
        await session.scalars(
            select(SchoolClass.id).where(SchoolClass.id.in_({k.class_id for k in kids}), SchoolClass.grading.is_(False))
        )
    )
    class_of = {k.student_id: k.class_id for k in kids}
    return {
        sid: WeekSummary(
            sid,
            week_start,
            week.get(sid, {}),
            {s: g.average for s, g in in_period.get(sid, {}).items()},
            missed.get(sid, []),
            tasks.get(sid, []),
            marks.get(sid, []),
            homework_start if homework_start != next_week else None,
            class_of[sid] not in ungraded,
        )
        for sid in ids
    }


async def today_for(session: AsyncSession, viewer: Viewer) -> date:
    assert viewer.school is not None
    return clock.school_today(viewer.school)


def week_start(on: date) -> date:
    return on - timedelta(days=on.isoweekday() - 1)
