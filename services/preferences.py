"""Per-account push preferences: which categories, quiet hours in the school's time zone, and the
children a parent of several has muted."""

from dataclasses import dataclass
from datetime import time

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import ChildMute, Notification, Person, Preference, Student
from services import clock, tunables
from services.errors import N_, DiaryError, NotAllowed
from services.push_kinds import PushKind
from services.roles import FAMILY_ROLES, Role, Viewer

FAMILY_CATEGORIES = ("grades", "absences", "homework", "summaries")
CATEGORIES = (*FAMILY_CATEGORIES, "reminders", "notes")
HOURS = range(24)


def categories_for(viewer: Viewer) -> tuple[str, ...]:
    """The kinds of push this person's roles can receive: a family's own, a teacher's reminders,
    a class teacher's notes from families. Nobody is offered a switch for what never comes."""
    shown: list[str] = []
    if viewer.roles & FAMILY_ROLES:
        shown += FAMILY_CATEGORIES
    if viewer.roles & {Role.TEACHER, Role.TUTOR}:
        shown.append("reminders")
    if Role.TUTOR in viewer.roles:
        shown.append("notes")
    return tuple(shown)


async def of(session: AsyncSession, viewer: Viewer) -> Preference:
    """The account's preferences; an account from before preferences existed gets the defaults saved."""
    viewer.require_linked()
    assert viewer.account is not None
    preference = await session.get(Preference, viewer.account.id)
    if preference is None:
        preference = Preference(account_id=viewer.account.id)
        session.add(preference)
        await session.flush()
    return preference


async def set_category(session: AsyncSession, viewer: Viewer, category: str, on: bool) -> Preference:
    """A kind of notification turned on or off, as asked (not flipped: a press on an old screen that
    showed it off turns it on, whatever it is now)."""
    if category not in categories_for(viewer):
        raise DiaryError(N_("There is no such kind of notification."))
    preference = await of(session, viewer)
    setattr(preference, f"push_{category}", on)
    await session.flush()
    return preference


async def set_quiet(session: AsyncSession, viewer: Viewer, start: int | None, end: int | None) -> Preference:
    """Quiet hours from one whole hour to another (over midnight when the end comes first), or none
    when both are None; what the old hours held is released."""
    if (start is None) != (end is None):
        raise DiaryError(N_("Choose both the start and the end of the quiet hours."))
    if start is not None and end is not None:
        if start not in HOURS or end not in HOURS:
            raise DiaryError(N_("Choose an hour from 0 to 23."))
        if start == end:
            raise DiaryError(N_("Quiet hours must end at another hour than they start."))
    preference = await of(session, viewer)
    preference.quiet_from = time(start) if start is not None else None
    preference.quiet_to = time(end) if end is not None else None
    await release_held(session, viewer)
    await session.flush()
    return preference


async def release_held(session: AsyncSession, viewer: Viewer) -> None:
    """Pushes held for the morning by the old quiet hours go now; the worker checks them against the
    new ones. Rows waiting out the grace period (due sooner) or a failed send's back-off keep their time."""
    person = viewer.require_linked()
    now = clock.now()
    await session.execute(
        update(Notification)
        .where(
            Notification.person_id == person.id,
            Notification.status == "pending",
            Notification.last_error.is_(None),
            Notification.due_at > now + tunables.current.grace,
        )
        .values(due_at=now)
    )


@dataclass(frozen=True)
class ChildSwitch:
    student_id: int
    name: str  # the first name, as a parent says it
    muted: bool


async def child_switches(session: AsyncSession, viewer: Viewer) -> list[ChildSwitch]:
    """A parent of more than one child may mute each; for anyone else there is nothing to show. The
    names of one's own children are shown after consent only, as the rest of their diary is."""
    if Role.PARENT not in viewer.roles or len(viewer.child_student_ids) < 2:
        return []
    person = viewer.require_linked()
    if person.consent_at is None or viewer.account is None:
        return []
    muted = set(await session.scalars(select(ChildMute.student_id).where(ChildMute.account_id == viewer.account.id)))
    rows = await session.execute(
        select(Student.id, Person.first_name, Person.last_name)
        .join(Person, Person.id == Student.person_id)
        .where(Student.id.in_(viewer.child_student_ids))
        .order_by(Person.first_name, Person.last_name)
    )
    kids = list(rows)
    first_names = [first for _id, first, _last in kids]
    # Two children of one name are told apart by the surname.
    return [
        ChildSwitch(sid, first if first_names.count(first) == 1 else f"{first} {last}", sid in muted)
        for sid, first, last in kids
    ]


async def mute_child(session: AsyncSession, viewer: Viewer, student_id: int, mute: bool) -> bool:
    """Mute or unmute one child's pushes on this account, as asked; True when now muted. A child's
    pushes still waiting to go are dropped with the mute."""
    switches = {s.student_id: s for s in await child_switches(session, viewer)}
    switch = switches.get(student_id)
    if switch is None:
        raise NotAllowed(N_("Only a parent of several children can turn one child's notifications off."))
    assert viewer.account is not None and viewer.person is not None
    if switch.muted == mute:
        return mute  # already so (an old screen's press)
    if switch.muted:
        await session.execute(
            delete(ChildMute).where(ChildMute.account_id == viewer.account.id, ChildMute.student_id == student_id)
        )
        await session.flush()
        return False
    session.add(ChildMute(account_id=viewer.account.id, student_id=student_id))
    await _drop_pending(session, viewer.person.id, student_id)
    await session.flush()
    return True


async def _drop_pending(session: AsyncSession, person_id: int, student_id: int) -> None:
    """The person's pending family pushes about that child: few rows, so the payload (JSON, read
    differently by each engine) is checked here rather than in SQL. The answer to a note the parent
    sent goes all the same, as it does when queued (services.outbox.family_of)."""
    for row in await session.scalars(
        select(Notification).where(
            Notification.person_id == person_id,
            Notification.status == "pending",
            Notification.category.in_(FAMILY_CATEGORIES),
            Notification.kind != PushKind.ABSENCE_NOTE_DECIDED,
        )
    ):
        if row.payload.get("student_id") == student_id:
            row.status, row.last_error = "skipped", "child muted"
