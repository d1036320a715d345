"""Recording the pushes a change causes, in the change's own transaction (the delivery worker sends)."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import ChildMute, Guardianship, Notification, Person, Student, TelegramAccount
from services import clock, tunables


@dataclass(frozen=True)
class Recipient:
    person_id: int
    account_id: int | None


# Built once: every grade and absence asks them, and building them cost more than running them.
_STUDENT_IDS: BindParameter[int] = bindparam("student_ids", expanding=True)
_CONSENTED = Person.consent_at.is_not(None) & Person.active.is_(True)
_STUDENTS_WHO_CONSENTED = (
    select(Student.id, Person.id, TelegramAccount.id)
    .join(Person, Person.id == Student.person_id)
    .outerjoin(TelegramAccount, TelegramAccount.person_id == Person.id)
    .where(Student.id.in_(_STUDENT_IDS), _CONSENTED)
)
# A parent of several children may have turned one child's pushes off (/settings).
_GUARDIANS_WHO_CONSENTED = (
    select(Guardianship.student_id, Person.id, TelegramAccount.id)
    .join(Person, Person.id == Guardianship.parent_id)
    .outerjoin(TelegramAccount, TelegramAccount.person_id == Person.id)
    .outerjoin(
        ChildMute, (ChildMute.account_id == TelegramAccount.id) & (ChildMute.student_id == Guardianship.student_id)
    )
    .where(
        Guardianship.student_id.in_(_STUDENT_IDS),
        Guardianship.active.is_(True),
        _CONSENTED,
        ChildMute.account_id.is_(None),
    )
)


def _own_topic(topic: str, recipient: Recipient) -> str:
    """A topic as one recipient's row holds it."""
    return f"{topic}:p{recipient.person_id}"


async def family_of(session: AsyncSession, student_ids: list[int]) -> dict[int, list[Recipient]]:
    """Each student and their active guardians who have consented (004 §3.8) and have not muted
    that child, in two queries."""
    result: dict[int, list[Recipient]] = {sid: [] for sid in student_ids}
    if not student_ids:
        return result
    rows = await session.execute(_STUDENTS_WHO_CONSENTED, {"student_ids": student_ids})
    for student_id, person_id, account_id in rows:
        result[student_id].append(Recipient(person_id, account_id))
    rows = await session.execute(_GUARDIANS_WHO_CONSENTED, {"student_ids": student_ids})
    for student_id, person_id, account_id in rows:
        result[student_id].append(Recipient(person_id, account_id))
    return result


async def push(
    session: AsyncSession,
    recipients: list[Recipient],
    *,
    category: str,
    kind: str,
    topic: str,
    payload: dict[str, Any],
    grace: bool = True,
    lane: str = "realtime",
) -> None:
    """One row per recipient. A pending row on the same topic is replaced, not doubled."""
    await push_many(
        session, [(r, topic, payload) for r in recipients], category=category, kind=kind, grace=grace, lane=lane
    )


async def push_many(
    session: AsyncSession,
    items: list[tuple[Recipient, str, dict[str, Any]]],
    *,
    category: str,
    kind: str,
    grace: bool = True,
    lane: str = "realtime",
) -> None:
    """Rows for (recipient, topic, payload) items, in two queries whatever their number."""
    if not items:
        return
    due = clock.now() + (tunables.current.grace if grace else timedelta(0))
    keyed = [(_own_topic(topic, r), r, payload) for r, topic, payload in items]
    keys = [k for k, _r, _p in keyed]
    pending = {
        n.topic: n
        for n in await session.scalars(
            select(Notification).where(Notification.topic.in_(keys), Notification.status == "pending")
        )
    }
    counts = dict(
        (
            await session.execute(
                select(Notification.topic, func.count())
                .where(Notification.topic.in_(keys))
                .group_by(Notification.topic)
            )
        ).all()
    )
    if grace and category == "grades":
        # Several grades inside the grace period go as one message: the pending ones wait for the newest.
        await session.execute(
            update(Notification)
            .where(
                Notification.person_id.in_({r.person_id for _k, r, _p in keyed}),
                Notification.category == "grades",
                Notification.status == "pending",
            )
            .values(due_at=due)
        )
    for key, recipient, payload in keyed:
        row = pending.get(key)
        if row is not None:
            # The family has not seen the pending push: a new grade corrected is still a new grade.
            if not (row.kind.endswith("_created") and kind.endswith("_changed")):
                row.kind = kind
            row.payload = payload
            row.due_at = due
            continue
        session.add(
            Notification(
                person_id=recipient.person_id,
                account_id=recipient.account_id,
                category=category,
                kind=kind,
                lane=lane,
                payload=payload,
                topic=key,
                dedup_key=f"{key}:{counts.get(key, 0) + 1}",
                status="pending",
                due_at=due,
            )
        )


async def cancel(session: AsyncSession, topic: str) -> int:
    """Drop the pending pushes on a topic, for every recipient (a change undone in the grace period)."""
    rows = list(
        await session.scalars(
            select(Notification).where(Notification.status == "pending", Notification.topic.like(f"{topic}:%"))
        )
    )
    for row in rows:
        row.status = "cancelled"
    return len(rows)


async def told(session: AsyncSession, by_topic: dict[str, list[Recipient]]) -> dict[str, list[Recipient]]:
    """Of each topic's recipients, those who were sent a push on it, in one query: a correction
    ("the absence was withdrawn") goes to them only, not to a parent who had muted the child or
    linked since."""
    keys = [_own_topic(topic, r) for topic, recipients in by_topic.items() for r in recipients]
    if not keys:
        return {topic: [] for topic in by_topic}
    sent = set(
        await session.scalars(
            select(Notification.topic).where(Notification.topic.in_(keys), Notification.status == "sent")
        )
    )
    return {topic: [r for r in recipients if _own_topic(topic, r) in sent] for topic, recipients in by_topic.items()}


SETTLED = ("sent", "failed", "cancelled", "skipped")
PURGE_BATCH = 5000  # one round's deletions: a minute's job, never a long lock


async def purge_settled(session: AsyncSession) -> int:
    """Drop pushes settled longer ago than the keep period, a batch at a time."""
    before = clock.now() - tunables.current.outbox_keep
    old = (
        select(Notification.id)
        .where(Notification.status.in_(SETTLED), Notification.created_at < before)
        .limit(PURGE_BATCH)
    )
    ids = list(await session.scalars(old))
    if ids:
        await session.execute(delete(Notification).where(Notification.id.in_(ids)))
    return len(ids)


async def hold_behind(session: AsyncSession, topic: str, earlier_topics: list[str]) -> None:
    """The pending pushes on `topic` wait for each person's pending pushes on `earlier_topics`: a
    reason must not reach a family before the absence it explains, still inside its grace period."""
    if not earlier_topics:
        return
    earlier = or_(*(Notification.topic.like(f"{t}:p%") for t in earlier_topics))
    latest = dict(
        (
            await session.execute(
                select(Notification.person_id, func.max(Notification.due_at))
                .where(Notification.status == "pending", earlier)
                .group_by(Notification.person_id)
            )
        ).all()
    )
    if not latest:
        return
    for row in await session.scalars(
        select(Notification).where(Notification.status == "pending", Notification.topic.like(f"{topic}:p%"))
    ):
        wait = latest.get(row.person_id)
        if wait is not None and wait >= row.due_at:
            row.due_at = wait + timedelta(seconds=1)
