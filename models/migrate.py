"""Run the Alembic migrations programmatically against an async database URL."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from models.db import make_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


async def _run(url: str, action: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:

            def go(sync_conn: Connection) -> None:
                if sync_conn.dialect.name == "postgresql":
                    # Two processes starting at once migrate one after the other, not together.
                    sync_conn.execute(text("SELECT pg_advisory_xact_lock(7202614)"))
                cfg = alembic_config(sync_conn)
                getattr(command, action)(cfg, revision)

            await conn.run_sync(go)
    finally:
        await engine.dispose()


async def upgrade(url: str, revision: str = "head") -> None:
    await _run(url, "upgrade", revision)


async def downgrade(url: str, revision: str = "base") -> None:
    await _run(url, "downgrade", revision)


async def is_current(url: str) -> bool:
    """The database is at the newest revision these migrations know."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:

            def current(sync_conn: Connection) -> set[str]:
                return set(MigrationContext.configure(sync_conn).get_current_heads())

            return await conn.run_sync(current) == heads
    finally:
        await engine.dispose()
