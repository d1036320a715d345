"""Counting the codes tried, so guessing is capped per account and across all accounts.

Each try is counted *before* its code is looked at, with one atomic upsert (INSERT … ON CONFLICT DO
UPDATE … RETURNING) in the update's own transaction. The row stays locked until that transaction
ends, so fifty quick tries in parallel see the counts 1..50, never the same number; a refusal keeps
its count (services.errors.DiaryError.keeps_record). A code that turns out right gives its try
back; a wrong one keeps it. One connection per update: a second one for the count would let a crowd
of simultaneous /start exhaust the pool, each holding one connection and waiting for another.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from models import LinkAttemptWindow
from models.base import utcnow

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5  # codes one Telegram account may get wrong in a window
ACROSS_ACCOUNTS = 500  # and all accounts together: a spray of one guess per account is capped too
EVERYONE = "*"


@dataclass(frozen=True)
class Try:
    """A counted try: which windows it was counted in, and whether it may go on."""

    keys: tuple[str, ...]
    window_start: datetime
    allowed: bool


def window_of(moment: datetime) -> datetime:
    seconds = int(WINDOW.total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, tz=moment.tzinfo)


def account_key(telegram_user_id: int) -> str:
    return f"u{telegram_user_id}"


def _increment(dialect: str, key: str, window_start: datetime) -> ReturningInsert[int]:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LinkAttemptWindow).values(key=key, window_start=window_start, tries=1)
    return statement.on_conflict_do_update(
        index_elements=[LinkAttemptWindow.key, LinkAttemptWindow.window_start],
        set_={"tries": LinkAttemptWindow.tries + 1},
    ).returning(LinkAttemptWindow.tries)


async def count_try(session: AsyncSession, telegram_user_id: int) -> Try:
    """Count one try for this account and for everyone; it may go on while both are in their limits."""
    window_start = window_of(utcnow())
    mine_key = account_key(telegram_user_id)
    assert session.bind is not None
    dialect = session.bind.dialect.name
    mine = (await session.execute(_increment(dialect, mine_key, window_start))).scalar_one()
    if mine > PER_ACCOUNT:
        # One account over its own limit must not use up everyone else's.
        return Try((mine_key,), window_start, allowed=False)
    everyone = (await session.execute(_increment(dialect, EVERYONE, window_start))).scalar_one()
    if everyone == 1:
        # A new window has begun: the old ones are never read again.
        await session.execute(delete(LinkAttemptWindow).where(LinkAttemptWindow.window_start < window_start))
    return Try((mine_key, EVERYONE), window_start, allowed=everyone <= ACROSS_ACCOUNTS)


async def give_back(session: AsyncSession, counted: Try) -> None:
    """A right code does not count against anyone; written in the update's own transaction."""
    await session.execute(
        update(LinkAttemptWindow)
        .where(
            LinkAttemptWindow.key.in_(counted.keys),
            LinkAttemptWindow.window_start == counted.window_start,
            LinkAttemptWindow.tries > 0,
        )
        .values(tries=LinkAttemptWindow.tries - 1)
    )
