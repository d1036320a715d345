"""The monthly attendance sheet (табель посещаемости): lessons missed a day per student, totals by reason,
and the students who missed 30% of their lessons or more; for the class teacher and the administration."""

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import School, SchoolClass
from services import clock
from services.errors import N_, DiaryError, NotFound
from services.reports import access
from services.reports.access import Pupil
from services.reports.journal import REASONS, HeldLesson, Miss, class_teachers, held_lessons, misses, pupils
from services.roles import Viewer

FLAG_SHARE = 0.3  # missed 30% of the month's lessons or more: the class teacher and the school look into it


def parse_month(text: str) -> date:
    """ "2026-11" -> 1 November 2026."""
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return date(year, month, 1)
    except ValueError:
        raise DiaryError(N_("A month is written YYYY-MM, e.g. 2026-11."), month=text) from None


@dataclass
class Day:
    """One student's day: lessons missed by reason, lessons late."""

    missed: Counter[str] = field(default_factory=Counter)
    late: int = 0
    due: int = 0  # the student's lessons that day

    @property
    def whole(self) -> bool:
        return self.due > 0 and sum(self.missed.values()) >= self.due


@dataclass
class Row:
    pupil: Pupil
    days: dict[int, Day]  # day of the month -> that day
    lessons_due: int
    lessons_missed: Counter[str]  # reason -> lessons
    days_missed: Counter[str]  # reason -> whole days
    late: int

    @property
    def missed(self) -> int:
        return sum(self.lessons_missed.values())

    @property
    def share(self) -> float:
        return self.missed / self.lessons_due if self.lessons_due else 0.0

    @property
    def flagged(self) -> bool:
        return self.lessons_due > 0 and self.share >= FLAG_SHARE


@dataclass
class Sheet:
    school: str
    class_name: str
    month: date
    made_on: date
    lessons_a_day: dict[int, int]  # day of the month -> the class's lessons in the journal
    rows: list[Row]
    signer: str = ""  # the class teacher, by name

    @property
    def days_in_month(self) -> int:
        return calendar.monthrange(self.month.year, self.month.month)[1]

    def total(self, reason: str) -> int:
        return sum(r.lessons_missed[reason] for r in self.rows)

    def total_days(self, reason: str | None = None) -> int:
        return sum(sum(r.days_missed.values()) if reason is None else r.days_missed[reason] for r in self.rows)


def day_reason(missed: Counter[str]) -> str:
    """A whole day missed counts under the reason of most of its lessons (a tie: the first in REASONS)."""
    return max(REASONS, key=lambda reason: (missed[reason], -REASONS.index(reason)))


def _row(pupil: Pupil, lessons: list[HeldLesson], own: list[Miss]) -> Row:
    days: dict[int, Day] = defaultdict(Day)
    for lesson in lessons:
        if lesson.for_pupil(pupil):
            days[lesson.on_date.day].due += 1
    for miss in own:
        day = days[miss.on_date.day]
        if miss.late:
            day.late += 1
        else:
            day.missed[miss.reason] += 1
    lessons_missed: Counter[str] = Counter()
    days_missed: Counter[str] = Counter()
    for day in days.values():
        lessons_missed.update(day.missed)
        if day.whole:
            days_missed[day_reason(day.missed)] += 1
    return Row(
        pupil,
        dict(days),
        sum(d.due for d in days.values()),
        lessons_missed,
        days_missed,
        sum(d.late for d in days.values()),
    )


async def _sheets(session: AsyncSession, school: School, classes: list[SchoolClass], month: date) -> list[Sheet]:
    """The sheets of the classes, in four queries whatever their number and size; classes without
    lessons that month are left out."""
    today = clock.school_today(school)
    last = date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])
    end = min(last, today)
    ids = [c.id for c in classes]
    lessons = await held_lessons(session, ids, month, end) if month <= end else []
    students = await pupils(session, ids)
    found = await misses(session, ids, [p.student_id for p in students], month, end) if lessons else []
    by_student: dict[int, list[Miss]] = defaultdict(list)
    for miss in found:
        by_student[miss.student_id].append(miss)
    signers = await class_teachers(session, classes) if lessons else {}
    by_class: dict[int, list[HeldLesson]] = defaultdict(list)
    for lesson in lessons:
        by_class[lesson.class_id].append(lesson)
    sheets = []
    for school_class in classes:
        held = by_class.get(school_class.id)
        if not held:
            continue
        rows = [_row(p, held, by_student.get(p.student_id, [])) for p in students if p.class_id == school_class.id]
        # A day's lessons as a student has them (a split lesson is one lesson for each group).
        a_day = {d: max((r.days[d].due for r in rows if d in r.days), default=0) for d in {x.on_date.day for x in held}}
        sheets.append(
            Sheet(school.name, school_class.name, month, today, a_day, rows, signers.get(school_class.id, ""))
        )
    return sheets


def _no_lessons(month: date, class_name: str | None = None) -> DiaryError:
    if class_name is None:
        return NotFound(N_("There are no lessons in the journal for {month} {year}."), **month_params(month))
    return NotFound(
        N_("There are no lessons of class {name} in the journal for {month} {year}: nothing to put in the sheet."),
        name=class_name,
        **month_params(month),
    )


# The month as the words «за январь 2027» take it; a message id, so each reader gets it in their language.
MONTH_NAMES = (
    N_("January (for the month)"),
    N_("February (for the month)"),
    N_("March (for the month)"),
    N_("April (for the month)"),
    N_("May (for the month)"),
    N_("June (for the month)"),
    N_("July (for the month)"),
    N_("August (for the month)"),
    N_("September (for the month)"),
    N_("October (for the month)"),
    N_("November (for the month)"),
    N_("December (for the month)"),
)


def month_params(month: date) -> dict[str, object]:
    """A message's month and year: «январь» and «2027», in the reader's language where it is shown."""
    return {"month": MONTH_NAMES[month.month - 1], "year": str(month.year)}


async def class_sheet(session: AsyncSession, viewer: Viewer, class_id: int, month: date) -> Sheet:
    """A class's sheet for a month: its class teacher's or an administrator's."""
    school_class, school = await access.whole_class(session, viewer, class_id)
    sheets = await _sheets(session, school, [school_class], month)
    if not sheets:
        raise _no_lessons(month, school_class.name)
    return sheets[0]


async def school_sheets(session: AsyncSession, viewer: Viewer, school_ref: str | None, month: date) -> list[Sheet]:
    """Every class's sheet for a month, for the administration (the command line: the school by its roster id)."""
    school = await access.school_for(session, viewer, school_ref)
    classes = list(
        await session.scalars(
            select(SchoolClass)
            .where(SchoolClass.school_id == school.id)
            .order_by(SchoolClass.grade_level, SchoolClass.name)
        )
    )
    sheets = await _sheets(session, school, classes, month)
    if not sheets:
        raise _no_lessons(month)
    return sheets
