"""Period grades (quarter, half-year, year, exam, final): the tutor for every subject of the class
(000 §4.4), a subject teacher for their own subject and class; families learn within a day (002 §13.2)."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AcademicPeriod, Grade, PeriodGrade, Person, School, SchoolClass, Student, Subject, TeachingAssignment
from services import audit, averages, clock, outbox
from services.errors import N_, DiaryError, NotAllowed, NotFound
from services.push_kinds import PushKind
from services.roles import Role, Viewer

KINDS = ("period", "exam", "final")
CLOSING_WEEKS = timedelta(weeks=2)
MARKS = ("pass", "na")  # «зачёт», «не аттестован»


@dataclass
class Standing:
    name: str  # the student's, shown above the choice
    grades: list[int]
    average: float | None
    current: PeriodGrade | None
    period_name: str = ""
    begun: bool = True
    ends_on: date | None = None  # set while more than the closing weeks of the period remain

    @property
    def suggested(self) -> int | None:
        return averages.rounded(self.average)

    def far_from_average(self, value: str) -> bool:
        """A numeric period grade more than one point from what the average suggests: worth a second look."""
        hint = self.suggested
        return hint is not None and value.isdigit() and abs(int(value) - hint) > 1


async def _context(
    session: AsyncSession, viewer: Viewer, class_id: int, subject_id: int, period_id: int
) -> tuple[SchoolClass, Subject, AcademicPeriod, School]:
    person = viewer.require_any(Role.TUTOR, Role.TEACHER)
    school_class = await session.get(SchoolClass, class_id)
    subject = await session.get(Subject, subject_id)
    period = await session.get(AcademicPeriod, period_id)
    school = await session.get(School, person.school_id)
    assert school is not None
    if not (school_class and subject and period) or {school_class.school_id, subject.school_id, period.school_id} != {
        school.id
    }:
        raise NotFound(N_("There is no such class, subject or period."))
    taught = select(TeachingAssignment.id).where(
        TeachingAssignment.class_id == class_id,
        TeachingAssignment.subject_id == subject_id,
        TeachingAssignment.active.is_(True),
    )
    if class_id in viewer.tutor_class_ids:
        # The class teacher grades every subject of the class, and only those (000 §4.4).
        if await session.scalar(taught.limit(1)) is None:
            raise NotFound(N_("Class {name} does not study {subject}."), name=school_class.name, subject=subject.name)
        return school_class, subject, period, school
    teaches = await session.scalar(taught.where(TeachingAssignment.teacher_id == person.id).limit(1))
    if teaches is None:
        raise NotAllowed(
            N_("Period grades are set by the class teacher, or by the teacher of this subject in this class.")
        )
    return school_class, subject, period, school


async def _require_in_class(session: AsyncSession, student_id: int, class_id: int) -> None:
    in_class = await session.scalar(
        select(Student.id)
        .join(Person, Person.id == Student.person_id)
        .where(Student.id == student_id, Student.class_id == class_id, Person.active.is_(True))
    )
    if in_class is None:
        raise NotAllowed(N_("This student is not in this class."))


async def standing(
    session: AsyncSession, viewer: Viewer, *, class_id: int, subject_id: int, period_id: int, student_id: int
) -> Standing:
    """The student's current grades and average in that subject and period, beside the choice."""
    _c, _s, period, school = await _context(session, viewer, class_id, subject_id, period_id)
    await _require_in_class(session, student_id, class_id)
    student = await session.scalar(
        select(Person).join(Student, Student.person_id == Person.id).where(Student.id == student_id)
    )
    assert student is not None
    rows = (
        await session.execute(
            averages.with_weights(select(Grade.value, averages.grade_weight()))
            .where(
                Grade.student_id == student_id,
                Grade.subject_id == subject_id,
                Grade.deleted_at.is_(None),
                Grade.on_date >= period.starts_on,
                Grade.on_date <= period.ends_on,
            )
            .order_by(Grade.on_date, Grade.id)
        )
    ).all()
    values = [value for value, _w in rows]
    current = await session.scalar(
        select(PeriodGrade).where(
            PeriodGrade.student_id == student_id,
            PeriodGrade.subject_id == subject_id,
            PeriodGrade.period_id == period_id,
            PeriodGrade.deleted_at.is_(None),
        )
    )
    average = averages.weighted_mean((value, weight) for value, weight in rows)
    # Period grades are given in its last weeks; one given earlier is asked again (a «Год» in December).
    running = period.ends_on if clock.school_today(school) < period.ends_on - CLOSING_WEEKS else None
    begun = clock.school_today(school) >= period.starts_on
    name = f"{student.last_name} {student.first_name}"
    return Standing(name, values, average, current, period_name=period.name, ends_on=running, begun=begun)


async def _store(
    session: AsyncSession, by: int, student_id: int, subject_id: int, period_id: int, kind: str, value: str
) -> tuple[PeriodGrade, dict[str, str] | None]:
    """The grade's row, new or brought back; with what it held before, for the audit."""
    row = await session.scalar(
        select(PeriodGrade).where(
            PeriodGrade.student_id == student_id,
            PeriodGrade.subject_id == subject_id,
            PeriodGrade.period_id == period_id,
            PeriodGrade.kind == kind,
        )
    )
    before = {"value": row.value} if row is not None and row.deleted_at is None else None
    if row is None:
        row = PeriodGrade(
            student_id=student_id,
            subject_id=subject_id,
            period_id=period_id,
            kind=kind,
            value=value,
            given_by=by,
        )
        session.add(row)
    else:
        row.value, row.given_by, row.deleted_at, row.updated_at = value, by, None, clock.now()
    return row, before


def _check_value(school_class: SchoolClass, period: AcademicPeriod, school: School, kind: str, value: str) -> None:
    """The grade's kind, value and period are right for this class now (003 §2.5 for the first grade)."""
    if kind not in KINDS or (kind != "period" and period.kind != "year"):
        raise DiaryError(N_("Exam and final grades are given for the year."))
    if not school_class.grading:
        raise NotAllowed(
            N_("Class {name} is not graded: in the first grade only attendance is kept (003 §2.5)."),
            name=school_class.name,
        )
    if value not in MARKS and not (value.isdigit() and school.grade_min <= int(value) <= school.grade_max):
        raise DiaryError(
            N_("A period grade is a whole number from {low} to {high}, or pass, or not certified."),
            low=school.grade_min,
            high=school.grade_max,
        )
    if period.starts_on > clock.school_today(school):
        raise NotAllowed(
            N_("{period} has not begun yet (it starts on {date}); its grades are given at its end."),
            period=period.name,
            date=period.starts_on,
        )


async def set_grade(
    session: AsyncSession,
    viewer: Viewer,
    *,
    class_id: int,
    subject_id: int,
    period_id: int,
    student_id: int,
    value: str,
    kind: str = "period",
) -> PeriodGrade:
    """Set (or change) a student's period grade; the family learns it at once (002 §13.2)."""
    school_class, _subject, period, school = await _context(session, viewer, class_id, subject_id, period_id)
    person = viewer.require_linked()
    _check_value(school_class, period, school, kind, value)
    await _require_in_class(session, student_id, class_id)
    row, before = await _store(session, person.id, student_id, subject_id, period_id, kind, value)
    await session.flush()
    audit.record(
        session,
        action="period_grade_set",
        entity="period_grade",
        entity_id=row.id,
        school_id=school.id,
        actor_person_id=person.id,
        actor_telegram_id=viewer.telegram_user_id,
        before=before,
        after={
            "value": value,
            "kind": kind,
            "period_id": period_id,
            "subject_id": subject_id,
            "student_id": student_id,
        },
    )
    families = await outbox.family_of(session, [student_id])
    await outbox.push(
        session,
        families[student_id],
        category="grades",
        kind=PushKind.PERIOD_GRADE,
        topic=f"period:{row.id}",
        grace=False,
        payload={
            "student_id": student_id,
            "subject_id": subject_id,
            "period_id": period_id,
            "kind": kind,
            "value": value,
        },
    )
    await session.flush()
    return row


async def periods(session: AsyncSession, viewer: Viewer) -> list[AcademicPeriod]:
    """The periods of the school of a teacher or class teacher that have begun: only those take grades."""
    viewer.require_any(Role.TUTOR, Role.TEACHER)
    assert viewer.school is not None
    return list(
        await session.scalars(
            select(AcademicPeriod)
            .where(
                AcademicPeriod.school_id == viewer.school.id,
                AcademicPeriod.starts_on <= clock.school_today(viewer.school),
            )
            .order_by(AcademicPeriod.starts_on, AcademicPeriod.ends_on.desc())
        )
    )


async def subjects_for(session: AsyncSession, viewer: Viewer, class_id: int) -> list[Subject]:
    """The subjects this person may grade for the period in that class."""
    person = viewer.require_any(Role.TUTOR, Role.TEACHER)
    query = (
        select(Subject)
        .join(TeachingAssignment, TeachingAssignment.subject_id == Subject.id)
        .where(TeachingAssignment.class_id == class_id, TeachingAssignment.active.is_(True))
        .distinct()
    )
    if class_id not in viewer.tutor_class_ids:
        query = query.where(TeachingAssignment.teacher_id == person.id)
    return list(await session.scalars(query.order_by(Subject.name)))


@dataclass
class SheetRow:
    student_id: int
    name: str
    average: float | None
    value: str | None


async def class_sheet(
    session: AsyncSession, viewer: Viewer, *, class_id: int, subject_id: int, period_id: int
) -> list[SheetRow]:
    """Every student of the class with their average and period grade, in three queries."""
    _c, _s, period, _school = await _context(session, viewer, class_id, subject_id, period_id)
    students = (
        await session.execute(
            select(Student.id, Person.last_name, Person.first_name)
            .join(Person, Person.id == Student.person_id)
            .where(Student.class_id == class_id, Person.active.is_(True))
            .order_by(Person.last_name, Person.first_name)
        )
    ).all()
    ids = [sid for sid, _l, _f in students]
    means = {
        sid: averages.mean_of(total, weight)
        for sid, total, weight in await session.execute(
            averages.with_weights(select(Grade.student_id, *averages.weighted_terms()))
            .where(
                Grade.student_id.in_(ids),
                Grade.subject_id == subject_id,
                Grade.deleted_at.is_(None),
                Grade.on_date >= period.starts_on,
                Grade.on_date <= period.ends_on,
            )
            .group_by(Grade.student_id)
        )
    }
    values = dict(
        (
            await session.execute(
                select(PeriodGrade.student_id, PeriodGrade.value).where(
                    PeriodGrade.student_id.in_(ids),
                    PeriodGrade.subject_id == subject_id,
                    PeriodGrade.period_id == period_id,
                    PeriodGrade.kind == "period",
                    PeriodGrade.deleted_at.is_(None),
                )
            )
        ).all()
    )
    return [SheetRow(sid, f"{last} {first[:1]}.", means.get(sid), values.get(sid)) for sid, last, first in students]


async def classes_for(session: AsyncSession, viewer: Viewer) -> list[SchoolClass]:
    """The classes this person sets period grades in: their own class, and the classes they teach."""
    person = viewer.require_any(Role.TUTOR, Role.TEACHER)
    taught = select(TeachingAssignment.class_id).where(
        TeachingAssignment.teacher_id == person.id, TeachingAssignment.active.is_(True)
    )
    return list(
        await session.scalars(
            select(SchoolClass)
            .where(
                (SchoolClass.id.in_(taught)) | (SchoolClass.id.in_(viewer.tutor_class_ids)),
                SchoolClass.grading.is_(True),
            )
            .order_by(SchoolClass.grade_level, SchoolClass.name)
        )
    )
