"""What the reports read from the journal, for many classes at once in one query each (no query per student)."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AcademicPeriod, Attendance, Grade, Lesson, PeriodGrade, Person, SchoolClass, Student, Subject
from services.averages import mean_of, rounded, weighted_terms, with_weights
from services.family import sex_of
from services.reports.access import Pupil

# An absence's reason as the reports count it; "none": marked absent, no reason given yet.
REASONS = ("illness", "excused", "unexcused", "none")


async def pupils(session: AsyncSession, class_ids: Collection[int]) -> list[Pupil]:
    """The classes' active students, by class and name."""
    rows = await session.execute(
        select(
            Student.id,
            Student.class_id,
            Person.last_name,
            Person.first_name,
            Person.middle_name,
            Student.subgroup,
            Person.sex,
        )
        .join(Person, Person.id == Student.person_id)
        .where(Student.class_id.in_(class_ids), Person.active.is_(True))
        .order_by(Student.class_id, Person.last_name, Person.first_name, Person.id)
    )
    return [Pupil(*row[:-1], sex_of(row[-1], row[4])) for row in rows]


def signed_name(last: str, first: str, middle: str | None) -> str:
    """A name as a document is signed: «Иванова И. А.»."""
    initials = " ".join(f"{part[0]}." for part in (first, middle) if part)
    return f"{last} {initials}".strip()


async def class_teachers(session: AsyncSession, classes: Collection[SchoolClass]) -> dict[int, str]:
    """Each class's class teacher, as the documents name them by the line to sign (one query for all)."""
    ids = {c.tutor_id for c in classes if c.tutor_id is not None}
    if not ids:
        return {}
    rows = await session.execute(
        select(Person.id, Person.last_name, Person.first_name, Person.middle_name).where(Person.id.in_(ids))
    )
    names = {person_id: signed_name(last, first, middle) for person_id, last, first, middle in rows}
    return {c.id: names[c.tutor_id] for c in classes if c.tutor_id in names}


@dataclass(frozen=True)
class HeldLesson:
    lesson_id: int
    class_id: int
    subject_id: int
    on_date: date
    subgroup: str | None

    def for_pupil(self, pupil: Pupil) -> bool:
        """A whole-class lesson, or one of the student's group."""
        return self.class_id == pupil.class_id and (self.subgroup is None or self.subgroup == pupil.subgroup)


async def held_lessons(
    session: AsyncSession,
    class_ids: Collection[int],
    start: date,
    end: date,
    subject_ids: Collection[int] | None = None,
) -> list[HeldLesson]:
    """The lessons in the journal between the dates (the caller stops at today: later ones have not been held)."""
    query = select(Lesson.id, Lesson.class_id, Lesson.subject_id, Lesson.on_date, Lesson.subgroup).where(
        Lesson.class_id.in_(class_ids), Lesson.on_date >= start, Lesson.on_date <= end
    )
    if subject_ids is not None:
        query = query.where(Lesson.subject_id.in_(subject_ids))
    return [HeldLesson(*row) for row in await session.execute(query.order_by(Lesson.on_date, Lesson.lesson_no))]


@dataclass(frozen=True)
class Miss:
    student_id: int
    lesson_id: int
    on_date: date
    subject_id: int
    late: bool
    reason: str  # one of REASONS


async def misses(
    session: AsyncSession, class_ids: Collection[int], student_ids: Collection[int], start: date, end: date
) -> list[Miss]:
    """Absences and lateness of the students in their classes' lessons between the dates."""
    rows = await session.execute(
        select(Attendance.student_id, Lesson.id, Lesson.on_date, Lesson.subject_id, Attendance.mark, Attendance.reason)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .where(
            Lesson.class_id.in_(class_ids),
            Lesson.on_date >= start,
            Lesson.on_date <= end,
            Attendance.mark.in_(("absent", "late")),
        )
    )
    wanted = set(student_ids)
    return [
        Miss(sid, lid, on, subject, mark == "late", reason or "none")
        for sid, lid, on, subject, mark, reason in rows
        if sid in wanted
    ]


async def subject_names(session: AsyncSession, subject_ids: Collection[int]) -> dict[int, str]:
    return dict((await session.execute(select(Subject.id, Subject.name).where(Subject.id.in_(subject_ids)))).all())


async def averages(
    session: AsyncSession, student_ids: Collection[int], start: date, end: date
) -> dict[tuple[int, int], float]:
    """(student, subject) -> the school's weighted average of the grades between the dates."""
    total, weights = weighted_terms()
    query = with_weights(
        select(Grade.student_id, Grade.subject_id, total, weights)
        .where(
            Grade.student_id.in_(student_ids),
            Grade.deleted_at.is_(None),
            Grade.on_date >= start,
            Grade.on_date <= end,
        )
        .group_by(Grade.student_id, Grade.subject_id)
    )
    result: dict[tuple[int, int], float] = {}
    for sid, subject, summed, weight in await session.execute(query):
        mean = mean_of(summed, weight)
        if mean is not None:
            result[(sid, subject)] = mean
    return result


async def period_grades(
    session: AsyncSession, student_ids: Collection[int], period_ids: Collection[int]
) -> dict[tuple[int, int, int, str], str]:
    """(student, subject, period, kind) -> the period grade as given ("5", "pass", "na")."""
    rows = await session.execute(
        select(
            PeriodGrade.student_id, PeriodGrade.subject_id, PeriodGrade.period_id, PeriodGrade.kind, PeriodGrade.value
        ).where(
            PeriodGrade.student_id.in_(student_ids),
            PeriodGrade.period_id.in_(period_ids),
            PeriodGrade.deleted_at.is_(None),
        )
    )
    return {(sid, subject, period, kind): value for sid, subject, period, kind, value in rows}


@dataclass
class Mark:
    """What a report shows for a student in a subject: the period grade, or the average while none is given."""

    given: str | None = None  # "5", "pass", "na"
    average: float | None = None

    @property
    def current(self) -> bool:
        """No period grade yet: the report shows the running average instead."""
        return self.given is None and self.average is not None

    @property
    def grade(self) -> int | None:
        """The whole grade that counts for the class's shares: the given one, else the rounded average."""
        if self.given is not None:
            return int(self.given) if self.given.isdigit() else None
        return rounded(self.average)

    @property
    def number(self) -> float | None:
        """The figure that goes into the student's average: the given grade, else the running average."""
        if self.given is not None:
            return float(self.given) if self.given.isdigit() else None
        return self.average

    @property
    def failing(self) -> bool:
        grade = self.grade
        return self.given == "na" or (grade is not None and grade <= FAILING)

    @property
    def counted(self) -> bool:
        return self.given is not None or self.average is not None


FAILING = 2  # «2» and below: unsatisfactory
GOOD = 4  # «4» and «5»: the «качество знаний»


@dataclass
class Shares:
    """«Успеваемость» (without a 2 or «н/а») and «качество знаний» (only 4 and 5) of a group of marks."""

    counted: int = 0
    passed: int = 0
    graded: int = 0  # students with a whole grade or «н/а» (a «зачёт» alone is not in the quality's count)
    good: int = 0

    @property
    def success(self) -> float | None:
        return self.passed / self.counted if self.counted else None

    @property
    def quality(self) -> float | None:
        return self.good / self.graded if self.graded else None


def mean(values: list[float]) -> float | None:
    """A plain mean to two places, halves up (the student's average over subjects)."""
    if not values:
        return None
    return mean_of(Decimal(str(sum(Decimal(str(v)) for v in values))), len(values))


async def periods_within(session: AsyncSession, school_id: int, year: AcademicPeriod) -> list[AcademicPeriod]:
    """The terms of a year (its quarters, or its halves where it has no quarters), in order."""
    inside = [
        p
        for p in await session.scalars(
            select(AcademicPeriod).where(
                AcademicPeriod.school_id == school_id,
                AcademicPeriod.starts_on >= year.starts_on,
                AcademicPeriod.ends_on <= year.ends_on,
                AcademicPeriod.kind != "year",
            )
        )
    ]
    quarters = [p for p in inside if p.kind == "quarter"]
    return sorted(quarters or inside, key=lambda p: p.starts_on)
