"""What the bot offers in /reports: the reports a person may have, and the classes, months, periods and
students to choose from. Only for offering: every report checks the person again when it is made."""

from datetime import date
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AcademicPeriod, Lesson, SchoolClass, TeachingAssignment
from services import clock, family
from services.errors import ConsentRequired
from services.reports import access
from services.reports.access import Pupil
from services.reports.journal import pupils
from services.roles import FAMILY_ROLES, Role, Viewer


class ReportKind(StrEnum):
    ATTENDANCE = "att"
    PROGRESS = "prog"
    CARD = "card"


def kinds_for(viewer: Viewer) -> list[ReportKind]:
    """Staff get a class's reports; a family (and a teacher of subjects) what is theirs."""
    kinds = []
    if viewer.roles & {Role.ADMIN, Role.TUTOR}:
        kinds.append(ReportKind.ATTENDANCE)
    if viewer.roles & {Role.ADMIN, Role.TUTOR, Role.TEACHER}:
        kinds.append(ReportKind.PROGRESS)
    if viewer.roles & {Role.ADMIN, Role.TUTOR, Role.PARENT, Role.STUDENT}:
        kinds.append(ReportKind.CARD)
    return kinds


async def classes(session: AsyncSession, viewer: Viewer, kind: ReportKind) -> list[SchoolClass]:
    """The classes of the report: every class for an administrator, the own class for a class teacher, and
    for a progress statement the classes a teacher teaches; graded classes only for grades."""
    return await _reached(session, viewer, kind, graded=kind is not ReportKind.ATTENDANCE)


async def ungraded(session: AsyncSession, viewer: Viewer, kind: ReportKind) -> list[SchoolClass]:
    """The classes the person would have the report of, but which take no grades (a first grade): named on
    the screen, not left out without a word."""
    if kind is ReportKind.ATTENDANCE:
        return []
    return await _reached(session, viewer, kind, graded=False)


async def _reached(session: AsyncSession, viewer: Viewer, kind: ReportKind, graded: bool) -> list[SchoolClass]:
    person = viewer.require_linked()
    query = select(SchoolClass).where(SchoolClass.school_id == person.school_id)
    if Role.ADMIN not in viewer.roles:
        reach: ColumnElement[bool] = SchoolClass.id.in_(viewer.tutor_class_ids)
        if kind is ReportKind.PROGRESS and Role.TEACHER in viewer.roles:
            taught = select(TeachingAssignment.class_id).where(
                TeachingAssignment.teacher_id == person.id, TeachingAssignment.active.is_(True)
            )
            reach = reach | SchoolClass.id.in_(taught)
        query = query.where(reach)
    if kind is not ReportKind.ATTENDANCE:
        query = query.where(SchoolClass.grading.is_(graded))
    return list(await session.scalars(query.order_by(SchoolClass.grade_level, SchoolClass.name)))


async def months(session: AsyncSession, viewer: Viewer, class_id: int | None) -> tuple[str | None, list[date]]:
    """The class's name and the months with its lessons in the journal, up to today, the latest first (at
    most a year); without a class, the whole school's months, for the administration."""
    if class_id is None:
        school = await access.school_for(session, viewer, None)
        name = None
        which: ColumnElement[bool] = Lesson.class_id.in_(
            select(SchoolClass.id).where(SchoolClass.school_id == school.id)
        )
    else:
        school_class, school = await access.whole_class(session, viewer, class_id)
        name, which = school_class.name, Lesson.class_id == school_class.id
    today = clock.school_today(school)
    days = await session.scalars(
        select(func.min(Lesson.on_date))
        .where(
            which,
            Lesson.on_date <= today,
            Lesson.on_date > date(today.year - 1, today.month, 1),
        )
        .group_by(func.extract("year", Lesson.on_date), func.extract("month", Lesson.on_date))
    )
    return name, sorted({d.replace(day=1) for d in days}, reverse=True)


async def class_name(session: AsyncSession, viewer: Viewer, class_id: int) -> str:
    """A class of the person's school by name, to head a screen (the report checks the right to it)."""
    person = viewer.require_linked()
    name = await session.scalar(
        select(SchoolClass.name).where(SchoolClass.id == class_id, SchoolClass.school_id == person.school_id)
    )
    return name or ""


async def periods(session: AsyncSession, viewer: Viewer) -> list[AcademicPeriod]:
    """The school's periods that have begun, the latest first: grades are reported for those."""
    person = viewer.require_linked()
    assert viewer.school is not None
    return list(
        await session.scalars(
            select(AcademicPeriod)
            .where(
                AcademicPeriod.school_id == person.school_id,
                AcademicPeriod.starts_on <= clock.school_today(viewer.school),
            )
            .order_by(AcademicPeriod.starts_on.desc(), AcademicPeriod.ends_on)
        )
    )


async def students(session: AsyncSession, viewer: Viewer, class_id: int) -> list[Pupil]:
    """The students of a class whose cards the class teacher or an administrator may have."""
    school_class, _school = await access.whole_class(session, viewer, class_id)
    return await pupils(session, [school_class.id])


async def children(session: AsyncSession, viewer: Viewer) -> tuple[list[family.Child], list[family.Child]]:
    """A family's own children: those in graded classes, who have a report card, and those in a first grade,
    who have none (no grades there, 003 §2.5) and are named as such. A member of staff who is also a parent
    sees them beside the classes once the family side has consented."""
    if not viewer.roles & FAMILY_ROLES:
        return [], []
    try:
        kids = await family.children(session, viewer)
    except ConsentRequired:
        if viewer.roles & {Role.ADMIN, Role.TUTOR}:
            return [], []  # the staff side works; the family side waits for the consent
        raise
    graded = set(
        await session.scalars(
            select(SchoolClass.id).where(SchoolClass.id.in_({k.class_id for k in kids}), SchoolClass.grading.is_(True))
        )
    )
    return [k for k in kids if k.class_id in graded], [k for k in kids if k.class_id not in graded]


async def card_pupil(session: AsyncSession, viewer: Viewer, student_id: int) -> tuple[Pupil, str]:
    """The student whose card is being chosen, and the class, to name on the screen (the same check as
    the card itself)."""
    pupil, school_class, _school = await access.student_card(session, viewer, student_id)
    return pupil, school_class.name
