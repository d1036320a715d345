"""Settled pushes older than the keep period leave the outbox; waiting ones and recent ones stay."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Notification, Person
from services import clock, outbox
from tests.support.journal import freeze


async def test_old_settled_pushes_are_purged_and_nothing_else(demo: None, session: AsyncSession, monkeypatch) -> None:
    freeze(monkeypatch)
    person = await session.scalar(select(Person.id).limit(1))
    long_ago, lately = clock.now() - timedelta(days=200), clock.now() - timedelta(days=3)
    rows = {}
    for n, (status, created) in enumerate(
        [("sent", long_ago), ("failed", long_ago), ("cancelled", long_ago), ("pending", long_ago), ("sent", lately)]
    ):
        row = Notification(
            person_id=person, category="grades", kind="grade_created", payload={}, dedup_key=f"purge:{n}",
            status=status, due_at=created, created_at=created,
        )  # fmt: skip
        session.add(row)
        rows[(status, created)] = row
    await session.flush()
    assert await outbox.purge_settled(session) == 3
    left = {(r.status, r.created_at == lately) for r in await session.scalars(select(Notification))}
    assert left == {("pending", False), ("sent", True)}, "a push still waiting, however old, and a recent one stay"
