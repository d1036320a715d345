"""Per-account push preferences: which categories, and quiet hours in the school's time zone."""

from datetime import time

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Notification, Preference
from services import clock, tunables
from services.errors import N_, DiaryError
from services.roles import Viewer

CATEGORIES = ("grades", "absences", "homework", "summaries", "reminders")
QUIET_PRESETS = {
    "21-0730": (time(21, 0), time(7, 30)),
    "22-07": (time(22, 0), time(7, 0)),
    "23-08": (time(23, 0), time(8, 0)),
    "off": (None, None),
}


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


async def toggle(session: AsyncSession, viewer: Viewer, category: str) -> Preference:
    if category not in CATEGORIES:
        raise DiaryError(N_("There is no such kind of notification."))
    preference = await of(session, viewer)
    flag = f"push_{category}"
    setattr(preference, flag, not getattr(preference, flag))
    await session.flush()
    return preference


async def set_quiet(session: AsyncSession, viewer: Viewer, preset: str) -> Preference:
    if preset not in QUIET_PRESETS:
        raise DiaryError(N_("Choose quiet hours from the list."))
    preference = await of(session, viewer)
    preference.quiet_from, preference.quiet_to = QUIET_PRESETS[preset]
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
