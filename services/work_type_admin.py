"""Changing a school's list of kinds of graded work (the command line is the administrator's)."""

from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import School, WorkType
from services import audit
from services.errors import N_, DiaryError, NotFound
from services.roles import Viewer


async def _school(session: AsyncSession, school_ref: str | None) -> School:
    schools = list(await session.scalars(select(School).order_by(School.id)))
    if school_ref is not None:
        schools = [s for s in schools if s.external_id == school_ref]
    if not schools:
        raise NotFound(N_("There is no school with id {school}."), school=school_ref or "—")
    if len(schools) > 1:
        raise DiaryError(N_("There are several schools: give --school."))
    return schools[0]


async def listing(session: AsyncSession, operator: Viewer, school_ref: str | None) -> list[WorkType]:
    operator.require_operator()
    school = await _school(session, school_ref)
    return list(
        await session.scalars(
            select(WorkType).where(WorkType.school_id == school.id).order_by(WorkType.position, WorkType.id)
        )
    )


MAX_WEIGHT = Decimal(10)


def parse_weight(text: str) -> Decimal:
    """A weight as the operator types it: 2, 1.5 or 1,5; above 0, at most 10, to two places."""
    try:
        weight = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        weight = Decimal("NaN")
    if not weight.is_finite() or not 0 < weight <= MAX_WEIGHT or weight != weight.quantize(Decimal("0.01")):
        raise DiaryError(
            N_(
                "A weight is a number above 0 and at most 10 with up to two decimals, such as 2 or 1.5; not «{weight}»."
            ),
            weight=text,
        )
    return weight.quantize(Decimal("0.01"))


def plain(weight: Decimal) -> str:
    """A weight as the audit keeps it: 2, 1.5 (no trailing zeros)."""
    return format(Decimal(weight).normalize(), "f")


async def add(
    session: AsyncSession,
    operator: Viewer,
    school_ref: str | None,
    code: str,
    name: str,
    weight: str | None = None,
) -> WorkType:
    """Add a kind of work, or rename (and bring back) the one with that code; its weight when given."""
    operator.require_operator()
    school = await _school(session, school_ref)
    code, name = code.strip().lower(), name.strip()
    if not code or not name or len(code) > 32 or len(name) > 128:
        raise DiaryError(N_("Give a short code (up to 32 characters) and a name (up to 128)."))
    weighs = parse_weight(weight) if weight is not None else None
    existing = await session.scalar(select(WorkType).where(WorkType.school_id == school.id, WorkType.code == code))
    if existing is not None:
        existing.name, existing.active = name, True
        row = existing
    else:
        position = await session.scalar(
            select(func.coalesce(func.max(WorkType.position), 0)).where(WorkType.school_id == school.id)
        )
        row = WorkType(school_id=school.id, code=code, name=name, position=(position or 0) + 1, weight=Decimal(1))
        session.add(row)
    if weighs is not None:
        row.weight = weighs
    await session.flush()
    audit.record(
        session,
        action="work_type_set",
        entity="work_type",
        entity_id=row.id,
        school_id=school.id,
        after={"code": code, "name": name, "weight": plain(row.weight)},
    )
    await session.flush()
    return row


async def set_weight(
    session: AsyncSession, operator: Viewer, school_ref: str | None, code: str, weight: str
) -> WorkType:
    """How many times a grade of this kind counts in averages, from now on for its grades given before too."""
    operator.require_operator()
    school = await _school(session, school_ref)
    weighs = parse_weight(weight)
    row = await session.scalar(
        select(WorkType).where(WorkType.school_id == school.id, WorkType.code == code.strip().lower())
    )
    if row is None:
        raise NotFound(N_("There is no kind of work with code {code}."), code=code)
    before = plain(row.weight)
    row.weight = weighs
    audit.record(
        session,
        action="work_type_weight",
        entity="work_type",
        entity_id=row.id,
        school_id=school.id,
        before={"weight": before},
        after={"weight": plain(weighs)},
    )
    await session.flush()
    return row


async def disable(session: AsyncSession, operator: Viewer, school_ref: str | None, code: str) -> WorkType:
    """Taken off the list for new grades; grades already given keep their kind."""
    operator.require_operator()
    school = await _school(session, school_ref)
    row = await session.scalar(
        select(WorkType).where(WorkType.school_id == school.id, WorkType.code == code.strip().lower())
    )
    if row is None:
        raise NotFound(N_("There is no kind of work with code {code}."), code=code)
    row.active = False
    audit.record(
        session,
        action="work_type_disabled",
        entity="work_type",
        entity_id=row.id,
        school_id=school.id,
        before={"active": True},
        after={"active": False},
    )
    await session.flush()
    return row
