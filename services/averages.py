"""The school's rule for a student's average: weighted by the work type's weight, halves rounded up."""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from models import Grade, WorkType

# A grade without a work type, or of a work type the school never weighted, counts once.
DEFAULT_WEIGHT = Decimal(1)
CENT = Decimal("0.01")


def weighted_mean(grades: Iterable[tuple[int, Decimal | int | float | None]]) -> float | None:
    """The mean of (value, weight) pairs to two places; None when there is nothing to average."""
    total = Decimal(0)
    weights = Decimal(0)
    for value, weight in grades:
        w = DEFAULT_WEIGHT if weight is None else Decimal(str(weight))
        total += Decimal(value) * w
        weights += w
    return mean_of(total, weights)


def mean_of(total: Decimal | int | float | None, weights: Decimal | int | float | None) -> float | None:
    """sum(value × weight) / sum(weight) to two places, halves up; None when nothing was summed."""
    if total is None or not weights:
        return None
    ratio = Decimal(str(total)) / Decimal(str(weights))
    return float(ratio.quantize(CENT, rounding=ROUND_HALF_UP))


def rounded(average: float | None) -> int | None:
    """The whole grade an average rounds to, halves up as a school rounds them (4,5 gives 5)."""
    if average is None:
        return None
    return int(Decimal(str(average)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


async def weights_of(session: AsyncSession, school_id: int) -> dict[int, Decimal]:
    """Each of the school's work types (disabled ones too: their grades still count) with its weight."""
    rows = await session.execute(select(WorkType.id, WorkType.weight).where(WorkType.school_id == school_id))
    return {wid: Decimal(str(weight)) for wid, weight in rows}


def weight_of(work_type_id: int | None, weights: dict[int, Decimal]) -> Decimal:
    """A grade's weight: its work type's, or once when it has none."""
    return weights.get(work_type_id, DEFAULT_WEIGHT) if work_type_id is not None else DEFAULT_WEIGHT


# SQL side. A query over grades adds `with_weights(stmt)` (the outer join to work types) and selects
# `weighted_terms()`; Python finishes with `mean_of`, so both engines round the same way in Decimal
# (SQLite would divide two integer sums as integers).


def grade_weight() -> ColumnElement[Any]:
    """The weight of the grade in the row: its work type's, 1 without one."""
    return func.coalesce(WorkType.weight, literal(1))


def weighted_terms() -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """sum(value × weight) and sum(weight), labelled, for a grouped select over grades."""
    weight = grade_weight()
    return func.sum(Grade.value * weight).label("weighted_total"), func.sum(weight).label("weight_total")


def with_weights(stmt: Select[Any]) -> Select[Any]:
    """The statement over grades joined (outer) to their work types, for the weights."""
    return stmt.outerjoin(WorkType, WorkType.id == Grade.work_type_id)


# What is needed: how many more grades of which value bring the average to the next whole grade.


@dataclass(frozen=True)
class Option:
    """`count` more grades of `value`, each of `weight` (1: an ordinary grade)."""

    value: int
    count: int
    weight: Decimal = DEFAULT_WEIGHT


@dataclass(frozen=True)
class Needed:
    """The next whole grade and the ways to it: fewest first by value, then a heavier work's."""

    target: int
    options: tuple[Option, ...]
    heavy: Option | None = None  # the top value for the heaviest work type, when it takes fewer


def reaches(grades: Sequence[tuple[int, Decimal]], extra: Option, target: int) -> bool:
    """Whether the grades with `extra` added average to `target` or more under the school's rule."""
    added = [(extra.value, extra.weight)] * extra.count
    return (rounded(weighted_mean([*grades, *added])) or 0) >= target


def fewest(grades: Sequence[tuple[int, Decimal]], value: int, weight: Decimal, target: int) -> int:
    """The fewest grades of `value` (each of `weight`) that bring the average to `target`."""
    total = sum((Decimal(v) * w for v, w in grades), Decimal(0))
    weights = sum((w for _v, w in grades), Decimal(0))
    threshold = Decimal(target) - Decimal("0.5")
    # (total + k·w·value) / (weights + k·w) ≥ threshold, solved for k; the check below settles the
    # two-place rounding of the mean, which can let one grade fewer through.
    estimate = (threshold * weights - total) / (weight * (Decimal(value) - threshold))
    count = max(1, math.ceil(estimate))
    while count > 1 and reaches(grades, Option(value, count - 1, weight), target):
        count -= 1
    while not reaches(grades, Option(value, count, weight), target):
        count += 1
    return count


def needed(
    grades: Sequence[tuple[int, Decimal | int | float | None]], top: int, heaviest: Decimal | None = None
) -> Needed | None:
    """How to get to the next whole grade: so many top grades, or (to reach less than the top) so
    many of the grade itself, the top grade beside it only when fewer of those do; and the top
    grade for the heaviest kind of work (`heaviest` > 1) when fewer of those do. None with no
    grades or at the top already."""
    pairs = [(v, DEFAULT_WEIGHT if w is None else Decimal(str(w))) for v, w in grades]
    now = rounded(weighted_mean(pairs))
    if now is None or now >= top:
        return None
    target = now + 1
    options = [Option(top, fewest(pairs, top, DEFAULT_WEIGHT, target))]
    if target < top:
        # The grade itself is the plain advice («до 3: ещё 1 тройка»); the top grade is worth
        # naming only when fewer of them do.
        plain = Option(target, fewest(pairs, target, DEFAULT_WEIGHT, target))
        options = [options[0], plain] if options[0].count < plain.count else [plain]
    heavy = None
    if heaviest is not None and heaviest > DEFAULT_WEIGHT:
        count = fewest(pairs, top, heaviest, target)
        heavy = Option(top, count, heaviest) if count < options[0].count else None
    return Needed(target, tuple(options), heavy)


async def heaviest_work(session: AsyncSession, school_id: int) -> tuple[str, Decimal] | None:
    """The school's in-use kind of work that weighs most, when it weighs more than an ordinary grade."""
    row = (
        await session.execute(
            select(WorkType.name, WorkType.weight)
            .where(WorkType.school_id == school_id, WorkType.active.is_(True), WorkType.weight > DEFAULT_WEIGHT)
            .order_by(WorkType.weight.desc(), WorkType.position, WorkType.id)
            .limit(1)
        )
    ).first()
    return (row[0], Decimal(str(row[1]))) if row else None
