"""Locks a process holds for its life: the scheduler's lead and the one poller of a bot.

They live on a connection of their own, outside any update's or job's unit of work, so they are
the process's, not the diary's: a PostgreSQL session-level advisory lock, freed when the process
(and with it the connection) goes.
"""

import contextlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# A different lock from the tick's: the process holding leadership must not block its own ticks.
LEADER_LOCK_ID = 7_202_612
POLLER_LOCK_ID = 7_202_613  # Telegram allows one getUpdates poller per bot


class HeldLock:
    """A PostgreSQL session-level advisory lock held on a connection of its own for as long as the
    process runs: if the process dies, its connection closes and another process can take it.
    SQLite serves one process, which always holds it."""

    def __init__(self, engine: AsyncEngine, lock_id: int) -> None:
        self.engine, self.lock_id = engine, lock_id
        self._conn: AsyncConnection | None = None

    async def try_take(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        if self._conn is None:
            self._conn = await self.engine.connect()
        taken = bool(await self._conn.scalar(text("SELECT pg_try_advisory_lock(:id)"), {"id": self.lock_id}))
        await self._conn.commit()  # the lock is the session's, not the transaction's
        if not taken:
            conn, self._conn = self._conn, None
            await conn.close()  # holds nothing: back to the pool
        return taken

    async def still_held(self) -> bool:
        """The connection still answers (a restarted PostgreSQL has dropped the lock with it)."""
        if self.engine.dialect.name != "postgresql":
            return True
        if self._conn is None:
            return False
        try:
            await self._conn.scalar(text("SELECT 1"))
            await self._conn.commit()
            return True
        except Exception:
            await self.release()
            return False

    async def release(self) -> None:
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        # A pooled connection keeps its session's locks: unlock, and drop it when that fails.
        try:
            await conn.execute(text("SELECT pg_advisory_unlock_all()"))
            await conn.commit()
            await conn.close()
        except Exception:
            with contextlib.suppress(Exception):
                await conn.invalidate()
