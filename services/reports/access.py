"""Who may have which report (DESIGN.md §1): a class's for its class teacher and the administration, its
subjects' for their teachers, a student's card for the student's family too; checked on every call."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AcademicPeriod, Person, School, SchoolClass, Student, TeachingAssignment
from services import clock
from services.errors import N_, NotAllowed, NotFound
from services.family import sex_of
from services.lessons import _class_by_ref
from services.roles import Role, Viewer


@dataclass(frozen=True)
class Pupil:
    """A student as a report names them."""

    student_id: int
    class_id: int
    last_name: str
    first_name: str
    middle_name: str | None
    subgroup: str | None
    sex: str | None = None  # "m", "f" (the roster's, else the patronymic's), None: unknown

    @property
    def name(self) -> str:
        return f"{self.last_name} {self.first_name}"


def reads_whole_class(viewer: Viewer, class_id: int) -> bool:
    """The class teacher of the class, an administrator, or the command line's operator."""
    return viewer.operator or Role.ADMIN in viewer.roles or class_id in viewer.tutor_class_ids


async def _class_in_school(session: AsyncSession, viewer: Viewer, class_id: int) -> tuple[SchoolClass, School]:
    school_class = await session.get(SchoolClass, class_id)
    if not viewer.operator:
        person = viewer.require_linked()
        if school_class is not None and school_class.school_id != person.school_id:
            school_class = None
    if school_class is None:
        raise NotFound(N_("There is no such class."))
    school = await session.get(School, school_class.school_id)
    assert school is not None
    return school_class, school


async def whole_class(session: AsyncSession, viewer: Viewer, class_id: int) -> tuple[SchoolClass, School]:
    """A class whose whole journal goes into a report: the class teacher's own, any of an administrator's school."""
    school_class, school = await _class_in_school(session, viewer, class_id)
    if not reads_whole_class(viewer, class_id):
        raise NotAllowed(N_("Reports on a class are for its class teacher and the school administration."))
    return school_class, school


async def class_subjects(
    session: AsyncSession, viewer: Viewer, class_id: int
) -> tuple[SchoolClass, School, frozenset[int] | None]:
    """The class and the subjects of it the person may see grades of: None for all of them (the class
    teacher, the administration), else a subject teacher's own subjects there (000 §4.3)."""
    school_class, school = await _class_in_school(session, viewer, class_id)
    if reads_whole_class(viewer, class_id):
        return school_class, school, None
    person = viewer.require_linked()
    if Role.TEACHER in viewer.roles:
        own = frozenset(
            await session.scalars(
                select(TeachingAssignment.subject_id).where(
                    TeachingAssignment.class_id == class_id,
                    TeachingAssignment.teacher_id == person.id,
                    TeachingAssignment.active.is_(True),
                )
            )
        )
        if own:
            return school_class, school, own
    raise NotAllowed(
        N_(
            "A class's progress statement is for its class teacher, the school administration and the "
            "teachers of the class (their own subjects)."
        )
    )


async def student_card(session: AsyncSession, viewer: Viewer, student_id: int) -> tuple[Pupil, SchoolClass, School]:
    """A student whose report card the person may have: the family's own child (after consent, 004 §3.8),
    the student himself, the class teacher, the administration."""
    found = (
        await session.execute(
            select(Student, Person, SchoolClass)
            .join(Person, Person.id == Student.person_id)
            .join(SchoolClass, SchoolClass.id == Student.class_id)
            .where(Student.id == student_id)
        )
    ).first()
    if not viewer.operator:
        person = viewer.require_linked()
        if found is not None and found[2].school_id != person.school_id:
            found = None
    if found is None:
        raise NotFound(N_("There is no such student."))
    student, who, school_class = found
    own_family = student_id in viewer.child_student_ids or student_id == viewer.own_student_id
    if not reads_whole_class(viewer, school_class.id):
        if not own_family:
            raise NotAllowed(
                N_("A report card is for the student's family, class teacher and the school administration.")
            )
        viewer.require_diary_access()
    school = await session.get(School, school_class.school_id)
    assert school is not None
    pupil = Pupil(
        student.id,
        school_class.id,
        who.last_name,
        who.first_name,
        who.middle_name,
        student.subgroup,
        sex_of(who.sex, who.middle_name),
    )
    return pupil, school_class, school


async def period_of(session: AsyncSession, school: School, period_id: int) -> AcademicPeriod:
    period = await session.get(AcademicPeriod, period_id)
    if period is None or period.school_id != school.id:
        raise NotFound(N_("There is no such period."))
    return period


def require_graded(school_class: SchoolClass) -> None:
    if not school_class.grading:
        raise NotAllowed(
            N_("Class {name} gets no grades: in the first grade only attendance is kept."),
            name=school_class.name,
        )


async def class_by_ref(session: AsyncSession, viewer: Viewer, class_ref: str) -> SchoolClass:
    """The command line's class: its name (5А) or its roster id (C5A)."""
    viewer.require_operator()
    return await _class_by_ref(session, class_ref)


async def period_by_ref(session: AsyncSession, viewer: Viewer, school_id: int, period_ref: str | None) -> int:
    """The command line's period by its roster id (Q2); None: the school year now (its period of kind year)."""
    viewer.require_operator()
    periods = list(
        await session.scalars(
            select(AcademicPeriod)
            .where(AcademicPeriod.school_id == school_id)
            .order_by(AcademicPeriod.starts_on, AcademicPeriod.ends_on.desc())
        )
    )
    if period_ref is None:
        school = await session.get(School, school_id)
        assert school is not None
        year = school_year_period(periods, clock.school_today(school))
        if year is None:
            raise NotFound(N_("The roster has no period of kind year for the school: add one, or give --period."))
        return year.id
    for period in periods:
        if period.external_id == period_ref:
            return period.id
    raise NotFound(
        N_("There is no period {ref}: give its id from the roster ({ids})."),
        ref=period_ref,
        ids=", ".join(p.external_id for p in periods),
    )


def school_year_period(periods: list[AcademicPeriod], today: date) -> AcademicPeriod | None:
    """The year period that holds the day; in the summer, the one just ended."""
    years = [p for p in periods if p.kind == "year" and p.starts_on <= today]
    return max(years, key=lambda p: p.starts_on, default=None)


async def student_by_ref(session: AsyncSession, viewer: Viewer, student_ref: str) -> tuple[int, int]:
    """The command line's student by the roster's student_id (P020): the student's id and school's."""
    viewer.require_operator()
    found = (
        await session.execute(
            select(Student.id, SchoolClass.school_id)
            .join(Person, Person.id == Student.person_id)
            .join(SchoolClass, SchoolClass.id == Student.class_id)
            .where(Person.student_ref == student_ref)
        )
    ).all()
    if len(found) != 1:
        raise NotFound(N_("There is no student {ref}: give the student_id from the roster (P020)."), ref=student_ref)
    return found[0][0], found[0][1]


async def school_for(session: AsyncSession, viewer: Viewer, school_ref: str | None) -> School:
    """The administrator's own school; the operator's named one, or the only one in the database."""
    if not viewer.operator:
        person = viewer.require_any(Role.ADMIN)
        school = await session.get(School, person.school_id)
    else:
        schools = list(await session.scalars(select(School).order_by(School.external_id)))
        found = schools if school_ref is None else [s for s in schools if s.external_id == school_ref.strip()]
        if school_ref is not None and not found:
            raise NotFound(
                N_("There is no school {ref} in the roster: give its school_id ({ids})."),
                ref=school_ref,
                ids=", ".join(s.external_id for s in schools),
            )
        school = found[0] if len(found) == 1 else None
        if school is None:
            raise NotFound(N_("Give the school: --school with its id from the roster."))
    assert school is not None
    return school
