"""The outbox seen from the delivery worker: claim due rows, check them at send time, record outcomes.

PostgreSQL claims with FOR UPDATE SKIP LOCKED so several workers share the queue; SQLite has one
worker and a plain select. A claimed row carries a lease, which the worker keeps extending while
it holds the row (a 429's pause may be longer than the lease): a worker that dies leaves rows that
are claimed again once the lease has passed.
"""

from __future__ import annotations  # Select[int, int] is SQLAlchemy 2.1 typing: never evaluated at run time

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, TypeVarTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Select, case, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Notification, Person, Preference, School, Student, TelegramAccount
from models.accounts import QUIET_HOURS
from services import clock, tunables
from services.push_kinds import PushKind
from services.roles import Scope

CATEGORY_FLAGS = {
    "grades": "push_grades",
    "absences": "push_absences",
    "homework": "push_homework",
    "summaries": "push_summaries",
    "reminders": "push_reminders",
    "notes": "push_notes",
}
_Ts = TypeVarTuple("_Ts")  # the columns of a select, whatever they are

# Marks a row that may have reached Telegram already; such repeats are counted apart from duplicates.
UNKNOWN = "outcome unknown"
STAFF_CATEGORIES = frozenset({"reminders", "notes"})  # pushes to staff need no family consent


@dataclass
class Push:
    id: int
    kind: str
    category: str
    payload: dict[str, Any]


@dataclass
class Delivery:
    """What goes to one chat now: one message made of one or more pushes."""

    account_id: int
    chat_id: int
    locale: str
    timezone: str
    pushes: list[Push] = field(default_factory=list)
    # A student who may not explain his own absences (a school's, not a college's) gets no button for it.
    explains_own_absences: bool = True
    # The reader's own student id, if the reader is a student: pushes about him speak to him, in a
    # college as «вы», in a school as «ты» (views/words.py).
    own_student_id: int | None = None
    college: bool = False


def in_quiet_hours(local: time, start: time | None, end: time | None) -> bool:
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # over midnight, 21:00–07:30


def quiet_end(now_local: datetime, end: time) -> datetime:
    candidate = now_local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return candidate if candidate > now_local else candidate + timedelta(days=1)


async def claim(session: AsyncSession, *, lane: str, limit: int) -> list[Delivery]:
    """Claim due rows of a lane and sort them into deliveries; rows that must not go are settled here."""
    now = clock.now()
    postgres = session.bind is not None and session.bind.dialect.name == "postgresql"

    def locked(query: Select[*_Ts]) -> Select[*_Ts]:
        return query.with_for_update(skip_locked=True) if postgres else query

    picked = list(await session.execute(locked(_due(lane, now, "claimed").limit(limit))))
    # Two ordered reads, not one with OR: each walks the (status, lane, due_at, id) index and stops
    # at the batch size, where an OR would sort every pending row on every claim.
    if len(picked) < limit:
        picked += await session.execute(locked(_due(lane, now, "pending").limit(limit - len(picked))))
    if not picked:
        return []
    ids = [row_id for row_id, _person in picked]
    # Everything else already due to the same people joins the batch, so it goes as one message.
    same_people = select(Notification.id).where(
        Notification.person_id.in_({person for _id, person in picked}),
        Notification.lane == lane,
        Notification.status == "pending",
        Notification.due_at <= now,
    )
    taken = set(ids)
    ids += [row_id for row_id in await session.scalars(locked(same_people)) if row_id not in taken]
    # A row still claimed after its lease belonged to a worker that stopped mid-send: it may have
    # reached Telegram. It goes again (nothing is lost) and is counted apart.
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == "claimed")
        .values(last_error=UNKNOWN + ": the worker stopped mid-send", outcome_unknown=True)
    )
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        .values(status="claimed", lease_until=now + tunables.current.delivery_lease, attempts=Notification.attempts + 1)
    )
    deliveries: dict[tuple[int, int], Delivery] = {}
    skipped: dict[str, list[int]] = {}
    held: dict[datetime, list[int]] = {}
    for row in await session.execute(_recipients(ids)):
        reason = _not_sent_because(row)
        if reason is not None:
            skipped.setdefault(reason, []).append(row.id)
            continue
        local = now.astimezone(ZoneInfo(row.timezone))
        start, end = (row.quiet_from, row.quiet_to) if row.has_preference else _default_quiet()
        if in_quiet_hours(local.time(), start, end):
            assert end is not None
            # Waits for the morning and goes out then, with the others, as one catch-up message.
            held.setdefault(quiet_end(local, end), []).append(row.id)
            continue
        # A weekly summary is one message per child; other pushes due together go as one message.
        key = (row.account_id, row.id if row.kind == PushKind.WEEKLY_SUMMARY else 0)
        delivery = deliveries.setdefault(
            key,
            Delivery(
                row.account_id,
                row.chat_id,
                row.account_locale or row.school_locale,
                row.timezone,
                explains_own_absences=row.own_student_id is None or row.school_kind == "college",
                own_student_id=row.own_student_id,
                college=row.school_kind == "college",
            ),
        )
        delivery.pushes.append(Push(row.id, row.kind, row.category, row.payload))
    for reason, settled in skipped.items():
        await session.execute(
            update(Notification)
            .where(Notification.id.in_(settled))
            .values(status="skipped", last_error=reason, lease_until=None)
        )
    for morning, waiting in held.items():
        await session.execute(
            update(Notification)
            .where(Notification.id.in_(waiting))
            .values(status="pending", lease_until=None, due_at=morning)
        )
    await session.flush()
    return list(deliveries.values())


def _default_quiet() -> tuple[time | None, time | None]:
    """An account without saved preferences has a new account's quiet hours (none in the demo)."""
    return QUIET_HOURS if tunables.current.quiet_by_default else (None, None)


def _due(lane: str, now: datetime, status: str) -> Select[int, int]:
    """Due rows of a lane in one status, oldest first: pending ones, or claimed ones whose lease has passed."""
    query = select(Notification.id, Notification.person_id).where(
        Notification.status == status, Notification.lane == lane, Notification.due_at <= now
    )
    if status == "claimed":
        query = query.where(Notification.lease_until < now)
    return query.order_by(Notification.due_at, Notification.id)


def _recipients(ids: list[int]) -> Select[Any]:
    """What the send-time checks need of each row, as plain columns: loading ORM objects would cost
    more than the rest of the claim at thousands of rows a second."""
    flags = [getattr(Preference, flag).label(flag) for flag in sorted(set(CATEGORY_FLAGS.values()))]
    return (
        select(
            Notification.id,
            Notification.kind,
            Notification.category,
            Notification.payload,
            Person.consent_at,
            Person.active,
            TelegramAccount.id.label("account_id"),
            # A push goes to the person's private chat, whose id is the user's id, never to a group.
            TelegramAccount.telegram_user_id.label("chat_id"),
            TelegramAccount.scope,
            Student.id.label("own_student_id"),
            School.kind.label("school_kind"),
            TelegramAccount.locale.label("account_locale"),
            TelegramAccount.blocked_at,
            Preference.account_id.is_not(None).label("has_preference"),
            Preference.quiet_from,
            Preference.quiet_to,
            *flags,
            School.timezone,
            School.locale.label("school_locale"),
        )
        .join(Person, Person.id == Notification.person_id)
        .join(School, School.id == Person.school_id)
        .outerjoin(TelegramAccount, TelegramAccount.person_id == Person.id)
        .outerjoin(Preference, Preference.account_id == TelegramAccount.id)
        .outerjoin(Student, Student.person_id == Person.id)
        .where(Notification.id.in_(ids))
        .order_by(Notification.due_at, Notification.id)
    )


def _not_sent_because(row: Row[Any]) -> str | None:
    if row.account_id is None:
        return "not linked"
    if row.blocked_at is not None:
        return "unreachable"
    # An account linked for one side of a person gets that side's pushes only.
    if row.category in STAFF_CATEGORIES and row.scope == Scope.FAMILY:
        return "not linked as staff"
    if row.category not in STAFF_CATEGORIES and row.scope == Scope.STAFF:
        return "not linked as family"
    if row.category not in STAFF_CATEGORIES and (row.consent_at is None or not row.active):
        return "no consent"
    flag = CATEGORY_FLAGS.get(row.category)
    if row.has_preference and flag is not None and not getattr(row, flag):
        return "turned off"
    return None


async def sent(session: AsyncSession, ids: list[int]) -> None:
    """Mark rows sent; a row that was of unknown outcome keeps saying so, so possible repeats stay counted."""
    await session.execute(
        update(Notification)
        .execution_options(synchronize_session=False)  # nothing is loaded; skip the ORM's bookkeeping
        .where(Notification.id.in_(ids))
        .values(
            status="sent",
            sent_at=clock.now(),
            lease_until=None,
            unreachable_since=None,
            last_error=case(
                (
                    Notification.outcome_unknown,
                    case((Notification.last_error.like(UNKNOWN + "%"), Notification.last_error), else_=UNKNOWN),
                ),
                else_=None,
            ),
        )
    )
    await session.flush()


async def keep_leases(session: AsyncSession, ids: list[int]) -> None:
    """The worker still holds these rows (waiting out a pause, or its turn): nobody else may take them."""
    until = clock.now() + tunables.current.delivery_lease
    for start in range(0, len(ids), 1000):
        await session.execute(
            update(Notification)
            .execution_options(synchronize_session=False)
            .where(Notification.id.in_(ids[start : start + 1000]), Notification.status == "claimed")
            .values(lease_until=until)
        )
    await session.flush()


async def retry(
    session: AsyncSession, ids: list[int], error: str, *, max_attempts: int = 8, maybe_sent: bool = False
) -> None:
    """Telegram answered with an error: back to the queue after an exponential backoff with jitter;
    after too many attempts it is failed, and kept for the admin to see. `maybe_sent`: a part of the
    message went before the error, so a repeat is possible."""
    now = clock.now()
    for row in await session.scalars(select(Notification).where(Notification.id.in_(ids))):
        row.outcome_unknown = row.outcome_unknown or maybe_sent
        # The mark is the row's for life; the text says what happened since, for the admin.
        row.last_error = (f"{UNKNOWN}, then: {error}" if row.outcome_unknown else error)[:500]
        row.lease_until = row.unreachable_since = None
        if row.attempts >= max_attempts:
            row.status = "failed"
        else:
            delay = min(300.0, 2.0**row.attempts) * random.uniform(0.5, 1.5)
            row.status, row.due_at = "pending", now + timedelta(seconds=delay)
    await session.flush()


async def requeue(session: AsyncSession, ids: list[int], delay: timedelta, *, maybe_sent: bool = False) -> None:
    """Not sent because of a rate limit, or given back by a worker that stops: no attempt is counted."""
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        .values(
            status="pending",
            lease_until=None,
            due_at=clock.now() + delay,
            attempts=Notification.attempts - 1,
            **_marked(maybe_sent),
        )
    )
    await session.flush()


async def telegram_unreachable(
    session: AsyncSession,
    ids: list[int],
    error: str,
    *,
    retry_in: timedelta,
    give_up_after: timedelta,
    maybe_sent: bool = False,
) -> int:
    """Telegram could not be reached (connection refused, no route): not the push's fault, so no
    attempt is counted; it waits the outage out and goes again. A row that has waited longer than
    `give_up_after` is failed, kept for the admin. Returns how many were failed."""
    now = clock.now()
    since = func.coalesce(Notification.unreachable_since, literal(now, Notification.unreachable_since.type))
    given_up = since < now - give_up_after
    failed = await session.scalar(
        select(func.count()).select_from(Notification).where(Notification.id.in_(ids), given_up)
    )
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        .values(
            status=case((given_up, "failed"), else_="pending"),
            unreachable_since=since,
            lease_until=None,
            due_at=now + retry_in,
            attempts=Notification.attempts - 1,
            **_marked(maybe_sent),
            last_error=("Telegram unreachable: " + error)[:500],
        )
    )
    await session.flush()
    return failed or 0


def _marked(maybe_sent: bool) -> dict[str, bool]:
    """The values that set the sticky mark when a part of the message may have gone; never unset it."""
    return {"outcome_unknown": True} if maybe_sent else {}


async def unreachable(session: AsyncSession, account_id: int, ids: list[int], error: str) -> None:
    """The person blocked the bot or the chat is gone: stop queuing until they write /start again."""
    now = clock.now()
    await session.execute(update(TelegramAccount).where(TelegramAccount.id == account_id).values(blocked_at=now))
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        .values(status="skipped", last_error=error[:500], lease_until=None)
    )
    await session.flush()


async def unknown_outcome(
    session: AsyncSession, ids: list[int], error: str, *, retry_in: timedelta = timedelta(seconds=5)
) -> None:
    """A send got no answer (timed out, or the connection dropped after the request went): Telegram
    may have delivered it or not. It goes again (nothing is lost), and the row says so for its life,
    so these possible repeats are counted apart from real duplicates."""
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        .values(
            status="pending",
            outcome_unknown=True,
            unreachable_since=None,
            last_error=(UNKNOWN + ": " + error)[:500],
            lease_until=None,
            due_at=clock.now() + retry_in,
        )
    )
    await session.flush()
