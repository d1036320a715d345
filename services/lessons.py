"""Dated lessons: made from the timetable on demand, then kept stable; substitutes."""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, bindparam, inspect, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import AcademicPeriod, Lesson, Person, RoleGrant, School, SchoolClass, TimetableSlot
from services import audit, clashes, clock, journal_policy, outbox, unit_memo
from services.class_names import class_name_form
from services.errors import N_, NotAllowed, NotFound
from services.push_kinds import PushKind
from services.roles import Role, Viewer

# How far ahead the admin's /substitute lists lessons (a planned absence: courses, a hospital stay).
SUBSTITUTION_AHEAD_DAYS = 28


async def is_study_day(session: AsyncSession, school_id: int, on: date) -> bool:
    """A day inside a term: quarters or halves when the school has them, else its year; no
    periods at all means every day counts."""
    periods = list(await session.scalars(select(AcademicPeriod).where(AcademicPeriod.school_id == school_id)))
    terms = [p for p in periods if p.kind != "year"] or periods
    return not terms or any(p.starts_on <= on <= p.ends_on for p in terms)


def _valid_on(on: date) -> ColumnElement[bool]:
    return and_(
        TimetableSlot.active.is_(True),
        TimetableSlot.weekday == on.isoweekday(),
        or_(TimetableSlot.valid_from.is_(None), TimetableSlot.valid_from <= on),
        or_(TimetableSlot.valid_to.is_(None), TimetableSlot.valid_to >= on),
    )


def _lesson_of(slot: TimetableSlot, on: date) -> Lesson:
    """The timetable slot's lesson on that date, as it is first written into the journal."""
    return Lesson(
        slot_id=slot.id,
        class_id=slot.class_id,
        subject_id=slot.subject_id,
        teacher_id=slot.teacher_id,
        subgroup=slot.subgroup,
        on_date=on,
        lesson_no=slot.lesson_no,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        room=slot.room,
    )


async def materialize(session: AsyncSession, slots: list[TimetableSlot], on: date) -> list[Lesson]:
    """The lesson of each slot on that date, created once; two updates racing get the same row."""
    if not slots:
        return []
    existing = {
        lesson.slot_id: lesson
        for lesson in await session.scalars(
            select(Lesson).where(Lesson.slot_id.in_([s.id for s in slots]), Lesson.on_date == on)
        )
    }
    lessons = []
    for slot in slots:
        lesson = existing.get(slot.id)
        if lesson is None:
            lesson = _lesson_of(slot, on)
            try:
                async with session.begin_nested():
                    session.add(lesson)
            except IntegrityError:
                lesson = await session.scalar(select(Lesson).where(Lesson.slot_id == slot.id, Lesson.on_date == on))
                assert lesson is not None
        lessons.append(lesson)
    return lessons


async def materialize_span(session: AsyncSession, wanted: list[tuple[TimetableSlot, date]]) -> None:
    """The lesson of each (slot, date), made in one read and one insert for a whole span of days;
    where another update made some of them meanwhile, one at a time as `materialize` does."""
    if not wanted:
        return
    days = [on for _slot, on in wanted]
    made = {
        (slot_id, on)
        for slot_id, on in await session.execute(
            select(Lesson.slot_id, Lesson.on_date).where(
                Lesson.slot_id.in_({slot.id for slot, _on in wanted}),
                Lesson.on_date >= min(days),
                Lesson.on_date <= max(days),
            )
        )
    }
    missing = [(slot, on) for slot, on in wanted if (slot.id, on) not in made]
    if not missing:
        return
    try:
        async with session.begin_nested():
            session.add_all(_lesson_of(slot, on) for slot, on in missing)
    except IntegrityError:
        for slot, on in missing:
            await materialize(session, [slot], on)


async def _day(session: AsyncSession, school_id: int, on: date, slots_where: Any, lessons_where: Any) -> list[Lesson]:
    """Make the day's lessons from the timetable (on a study day), then read them in time order."""
    if await is_study_day(session, school_id, on):
        slots = list(await session.scalars(select(TimetableSlot).where(slots_where, _valid_on(on))))
        await materialize(session, slots, on)
    lessons = list(
        await session.scalars(
            select(Lesson)
            .where(Lesson.on_date == on, lessons_where)
            .order_by(Lesson.starts_at, Lesson.lesson_no, Lesson.subgroup)
        )
    )
    await session.flush()
    return lessons


async def lessons_of_teacher(session: AsyncSession, person: Person, on: date) -> list[Lesson]:
    """A teacher's lessons that day, in time order: their timetable, and lessons they substitute."""
    mine = or_(and_(Lesson.teacher_id == person.id, Lesson.substitute_id.is_(None)), Lesson.substitute_id == person.id)
    return await _day(session, person.school_id, on, TimetableSlot.teacher_id == person.id, mine)


async def lessons_of_class(session: AsyncSession, school_class: SchoolClass, on: date) -> list[Lesson]:
    return await _day(
        session,
        school_class.school_id,
        on,
        TimetableSlot.class_id == school_class.id,
        Lesson.class_id == school_class.id,
    )


async def upcoming_lesson_dates(
    session: AsyncSession, lesson: Lesson, count: int = 1, horizon_days: int = 35
) -> list[date]:
    """The dates of the next lessons of the same subject for the same class (and subgroup)."""
    school_id = await session.scalar(select(SchoolClass.school_id).where(SchoolClass.id == lesson.class_id))
    assert school_id is not None
    slots = list(
        await session.scalars(
            select(TimetableSlot).where(
                TimetableSlot.class_id == lesson.class_id,
                TimetableSlot.subject_id == lesson.subject_id,
                TimetableSlot.active.is_(True),
                # A whole-class lesson follows every slot; a group's, the whole-class slots and its own.
                true()
                if lesson.subgroup is None
                else or_(TimetableSlot.subgroup.is_(None), TimetableSlot.subgroup == lesson.subgroup),
            )
        )
    )
    found: list[date] = []
    for offset in range(1, horizon_days + 1):
        day = lesson.on_date + timedelta(days=offset)
        if any(
            s.weekday == day.isoweekday()
            and (s.valid_from is None or s.valid_from <= day)
            and (s.valid_to is None or s.valid_to >= day)
            for s in slots
        ) and await is_study_day(session, school_id, day):
            found.append(day)
            if len(found) == count:
                break
    return found


async def next_lesson_date(session: AsyncSession, lesson: Lesson) -> date | None:
    found = await upcoming_lesson_dates(session, lesson)
    return found[0] if found else None


# Built once (building a statement cost more than running it); the class comes along because every
# rule about a lesson asks for it next.
_LESSON_AND_CLASS = (
    select(Lesson, SchoolClass)
    .join(SchoolClass, SchoolClass.id == Lesson.class_id)
    .where(Lesson.id == bindparam("lesson_id", type_=Integer))
)


async def get_lesson(session: AsyncSession, lesson_id: int) -> Lesson:
    lesson = session.identity_map.get(session.identity_key(Lesson, lesson_id))  # held from earlier in the update
    if lesson is None or inspect(lesson).expired_attributes:
        found = (await session.execute(_LESSON_AND_CLASS, {"lesson_id": lesson_id})).first()
        if found is None:
            raise NotFound(N_("This lesson is not in the journal."))
        lesson = found[0]
        unit_memo.hold(session, found[1])
    return unit_memo.hold(session, lesson)


async def teachers(session: AsyncSession, school_id: int) -> list[Person]:
    return list(
        await session.scalars(
            select(Person)
            .where(
                Person.school_id == school_id,
                Person.active.is_(True),
                Person.id.in_(select(RoleGrant.person_id).where(RoleGrant.role == Role.TEACHER.value)),
            )
            .order_by(Person.last_name, Person.first_name)
        )
    )


async def lessons_of_school(session: AsyncSession, school_id: int, on: date) -> list[Lesson]:
    """Every lesson of the school that day, made from the timetable where not made yet."""
    classes = select(SchoolClass.id).where(SchoolClass.school_id == school_id)
    return await _day(session, school_id, on, TimetableSlot.class_id.in_(classes), Lesson.class_id.in_(classes))


async def busy_teachers(session: AsyncSession, lesson: Lesson, school_id: int) -> dict[int, clashes.Clash]:
    """Who teaches another class while this lesson goes on (see services/clashes.py)."""
    await lessons_of_school(session, school_id, lesson.on_date)
    return await clashes.busy_during(session, lesson, school_id)


def substitution_days(school: School) -> tuple[date, date]:
    """The days a substitute may be given for: back to the journal's edit window (the substitute fills
    a past lesson's journal, 004 §3.16), ahead as far as a planned absence reaches."""
    ahead = clock.school_today(school) + timedelta(days=SUBSTITUTION_AHEAD_DAYS)
    return journal_policy.first_editable_day(school), ahead


def _require_open(school: School, lesson: Lesson) -> None:
    first, _last = substitution_days(school)
    if lesson.on_date < first:
        raise NotAllowed(
            N_(
                "The journal of {date} is closed (it is open from {first} now), so a substitute can no longer "
                "be given for that lesson."
            ),
            date=lesson.on_date,
            first=first,
        )


async def _set_substitute(
    session: AsyncSession,
    lesson: Lesson,
    school: School,
    substitute_id: int | None,
    actor_id: int | None,
    telegram_id: int | None,
) -> Lesson:
    staff = {t.id: t for t in await teachers(session, school.id)}
    if substitute_id is not None and substitute_id not in staff:
        raise NotFound(N_("There is no such active teacher."))
    _require_open(school, lesson)
    before = lesson.substitute_id
    after = None if substitute_id == lesson.teacher_id else substitute_id
    taker = after or lesson.teacher_id
    if taker != clashes.teacher_of(lesson):
        clash = (await busy_teachers(session, lesson, school.id)).get(taker)
        if clash is not None:
            person = staff.get(taker) or await session.get(Person, taker)
            assert person is not None
            raise clashes.refusal(person, clash)
    lesson.substitute_id = after
    if before != after:
        await _tell_teachers(session, lesson, staff, before, after)
    audit.record(
        session,
        action="substitute_set",
        entity="lesson",
        entity_id=lesson.id,
        school_id=school.id,
        actor_person_id=actor_id,
        actor_telegram_id=telegram_id,
        before={"substitute_id": before},
        after={"substitute_id": lesson.substitute_id},
    )
    await session.flush()
    return lesson


async def _tell_teachers(
    session: AsyncSession, lesson: Lesson, staff: dict[int, Person], before: int | None, after: int | None
) -> None:
    """The teacher who takes the lesson, the one who gives it up and its own teacher learn of it at once."""
    class_name = await session.scalar(select(SchoolClass.name).where(SchoolClass.id == lesson.class_id))
    owner = staff.get(lesson.teacher_id) or await session.get(Person, lesson.teacher_id)
    assert owner is not None
    taker = staff.get(after) if after is not None else owner
    common = {
        "lesson_id": lesson.id,
        "subject_id": lesson.subject_id,
        "class": class_name,
        "lesson_no": lesson.lesson_no,
        "on_date": lesson.on_date.isoformat(),
        "starts_at": f"{lesson.starts_at:%H:%M}",
        "teacher": owner.full_name,
        "taker": taker.full_name if taker is not None else "",
    }
    told = {lesson.teacher_id: "owner" if after is not None else "back"}
    if before is not None:
        told[before] = "released"
    if after is not None:
        told[after] = "takes"
    for person_id, role in told.items():
        await outbox.push(
            session,
            [outbox.Recipient(person_id, None)],
            category="reminders",
            kind=PushKind.SUBSTITUTION,
            topic=f"substitution:{lesson.id}",
            grace=False,
            payload={**common, "role": role},
        )


async def _admins_lesson(session: AsyncSession, viewer: Viewer, lesson_id: int) -> tuple[Lesson, School, Person]:
    admin = viewer.require_any(Role.ADMIN)
    lesson = await get_lesson(session, lesson_id)
    school = await school_of(session, lesson)
    if school.id != admin.school_id:
        raise NotFound(N_("This lesson is not in the journal."))
    return lesson, school, admin


async def substitution_choices(
    session: AsyncSession, viewer: Viewer, lesson_id: int
) -> tuple[Lesson, list[Person], dict[int, clashes.Clash]]:
    """For the admin's menu: the lesson, the teachers free to take it, and the busy ones with the
    lesson that keeps each busy (the menu hides them; substitute() refuses them anyway)."""
    lesson, school, _admin = await _admins_lesson(session, viewer, lesson_id)
    _require_open(school, lesson)
    busy = await busy_teachers(session, lesson, school.id)
    free = [t for t in await teachers(session, school.id) if t.id not in busy]
    return lesson, free, busy


async def substitute(session: AsyncSession, viewer: Viewer, lesson_id: int, substitute_id: int | None) -> Lesson:
    """An admin gives a lesson to a substitute teacher (004 §4), or back to its own (None)."""
    lesson, school, admin = await _admins_lesson(session, viewer, lesson_id)
    return await _set_substitute(session, lesson, school, substitute_id, admin.id, viewer.telegram_user_id)


async def _class_by_ref(session: AsyncSession, class_ref: str) -> SchoolClass:
    """A class by its roster id (C5A) or by its name as people write it (5А, 5 a)."""
    found = list(
        await session.scalars(
            select(SchoolClass).where(
                or_(SchoolClass.external_id == class_ref, SchoolClass.name == class_name_form(class_ref))
            )
        )
    )
    by_id = [c for c in found if c.external_id == class_ref]
    if by_id or len(found) == 1:
        return (by_id or found)[0]
    if found:
        raise NotFound(
            N_("Several schools have a class {class_ref}: give its id from the roster (C5A)."), class_ref=class_ref
        )
    raise NotFound(
        N_("There is no class {class_ref}: give its name (5А) or its id from the roster (C5A)."), class_ref=class_ref
    )


async def substitute_by_refs(
    session: AsyncSession,
    operator: Viewer,
    *,
    class_ref: str,
    on: date,
    lesson_no: int,
    staff_ref: str | None,
    subgroup: str | None = None,
) -> Lesson:
    """The command line's way (the operator is the administrator): roster ids instead of buttons."""
    operator.require_operator()
    school_class = await _class_by_ref(session, class_ref)
    numbered = [lesson for lesson in await lessons_of_class(session, school_class, on) if lesson.lesson_no == lesson_no]
    candidates = [lesson for lesson in numbered if subgroup is None or lesson.subgroup == subgroup]
    if not numbered:
        raise NotFound(
            N_("Class {class_ref} has no lesson number {no} on {date}: check the date and the lesson's number."),
            class_ref=class_ref,
            no=lesson_no,
            date=on,
        )
    if not candidates and all(lesson.subgroup is None for lesson in numbered):
        raise NotFound(
            N_("Lesson {no} of class {class_ref} on {date} is not split into groups: leave out --subgroup."),
            class_ref=class_ref,
            no=lesson_no,
            date=on,
        )
    if len(candidates) != 1:
        # Split into groups: name them, so the operator can pick one (or learn the one given is not there).
        raise NotFound(
            N_("Lesson {no} of class {class_ref} on {date} is split into groups {groups}: give one with --subgroup."),
            class_ref=class_ref,
            no=lesson_no,
            date=on,
            groups=", ".join(sorted(lesson.subgroup or "—" for lesson in numbered)),
        )
    substitute_id = None
    if staff_ref is not None:
        person = await session.scalar(
            select(Person).where(Person.school_id == school_class.school_id, Person.staff_ref == staff_ref)
        )
        if person is None:
            raise NotFound(N_("There is no active teacher with id {ref}."), ref=staff_ref)
        substitute_id = person.id
    school = await session.get(School, school_class.school_id)
    assert school is not None
    return await _set_substitute(session, candidates[0], school, substitute_id, None, None)


async def upcoming_of_teacher(session: AsyncSession, person: Person, start: date, days: int = 7) -> list[Lesson]:
    """A teacher's own lessons over the next days, for choosing one to give to a substitute."""
    found: list[Lesson] = []
    for offset in range(days):
        on = start + timedelta(days=offset)
        # Lessons already given to a substitute stay listed, so they can be given back.
        found += await _day(
            session, person.school_id, on, TimetableSlot.teacher_id == person.id, Lesson.teacher_id == person.id
        )
    return found


async def school_of(session: AsyncSession, lesson: Lesson) -> School:
    # By the identity map: the class is usually held already, and the school by the one who asks.
    school_class = await session.get(SchoolClass, lesson.class_id)
    assert school_class is not None
    school = await session.get(School, unit_memo.hold(session, school_class).school_id)
    assert school is not None
    return unit_memo.hold(session, school)
