"""Migrations run up, down and up on both engines, and agree with the models."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from models import Base
from models.db import make_engine
from models.migrate import downgrade, upgrade
from tests.conftest import PG_ADMIN_URL, create_pg_database, drop_pg_database, pg_reachable


async def schema_diff(url: str) -> list[object]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata)
        )
    await engine.dispose()
    return diff


async def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def up_down_up(url: str) -> None:
    await upgrade(url)
    assert await table_names(url) == set(Base.metadata.tables)
    assert await schema_diff(url) == []
    await downgrade(url, "base")
    assert await table_names(url) == set()
    await upgrade(url)
    assert await schema_diff(url) == []


async def test_sqlite_up_down_up_and_models_agree(tmp_path) -> None:
    await up_down_up(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


async def test_postgresql_up_down_up_and_models_agree() -> None:
    base = os.environ.get("TEST_DATABASE_URL", "")
    base = base if base.startswith("postgresql") else PG_ADMIN_URL
    if not await pg_reachable():
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}; set PG_ADMIN_URL to run this test")
    url, name = await create_pg_database(base)
    try:
        await up_down_up(url)
    finally:
        await drop_pg_database(base, name)


async def test_foreign_keys_are_enforced(session) -> None:
    from sqlalchemy.exc import IntegrityError

    from models import Student

    session.add(Student(person_id=999_999, class_id=999_999))
    with pytest.raises(IntegrityError):
        await session.flush()
    await session.rollback()


async def test_timestamps_come_back_aware_utc(session) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from models import LinkAttempt

    barnaul = timezone(timedelta(hours=7))
    session.add(LinkAttempt(telegram_user_id=1, at=datetime(2026, 11, 23, 15, 0, tzinfo=barnaul)))
    await session.commit()
    session.expunge_all()
    from sqlalchemy import select

    stored = await session.scalar(select(LinkAttempt.at))
    assert stored == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
