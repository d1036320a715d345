"""One scheduler at a time across instances: a PostgreSQL advisory lock for the tick's transaction.

SQLite serves one process, which is always the leader. The jobs are idempotent anyway (dedup keys),
so the lock saves work rather than guarding correctness.
"""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

LOCK_ID = 7_202_611  # any constant shared by every instance of this bot


async def try_lead(session: AsyncSession) -> bool:
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return True
    return bool(await session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": LOCK_ID}))
