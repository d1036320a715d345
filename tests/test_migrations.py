"""Migrations run up, down and up on both engines, and agree with the models."""

import os
from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from models import Base
from models.db import make_engine
from models.migrate import alembic_config, downgrade, upgrade
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


def revisions() -> list[str]:
    """Every revision from the first to the head."""
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def stairway(url: str) -> None:
    """Each revision up, down one and up again: every downgrade works from where its upgrade left."""
    previous = "base"
    for revision in revisions():
        await upgrade(url, revision)
        await downgrade(url, previous)
        await upgrade(url, revision)
        previous = revision
    assert await schema_diff(url) == []


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    base = os.environ.get("TEST_DATABASE_URL", "")
    base = base if base.startswith("postgresql") else PG_ADMIN_URL
    if not await pg_reachable():
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}; set PG_ADMIN_URL to run this test")
    url, name = await create_pg_database(base)
    try:
        yield url
    finally:
        await drop_pg_database(base, name)


async def test_sqlite_up_down_up_and_models_agree(tmp_path) -> None:
    await up_down_up(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


async def test_postgresql_up_down_up_and_models_agree(postgres_url: str) -> None:
    await up_down_up(postgres_url)


async def test_sqlite_stairway(tmp_path) -> None:
    await stairway(f"sqlite+aiosqlite:///{tmp_path / 's.db'}")


async def test_postgresql_stairway(postgres_url: str) -> None:
    await stairway(postgres_url)


async def test_link_scopes_migration_keeps_tutor_codes_on_the_family_side(tmp_path) -> None:
    """0009: codes a class teacher issued before scopes existed link the family side only."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'd.db'}"
    await upgrade(url, "246e8b521a1c")
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO schools (id, external_id, name, timezone, grade_min, grade_max, edit_window_days,"
                " locale, summary_weekday, summary_time) VALUES (1, 'L1', 'S', 'Asia/Barnaul', 2, 5, 14, 'ru', 6,"
                " '12:00:00')"
            )
        )
        for pid, ref in ((1, "admin"), (2, "tutor"), (3, "teacher-parent")):
            await conn.execute(
                text(
                    "INSERT INTO persons (id, school_id, last_name, first_name, staff_ref, active)"
                    " VALUES (:id, 1, :ref, 'X', :ref, 1)"
                ),
                {"id": pid, "ref": ref},
            )
        await conn.execute(text("INSERT INTO role_grants (person_id, role, school_id) VALUES (1, 'admin', 1)"))
        for cid, issued_by, role in ((1, 2, "teacher"), (2, 1, "teacher"), (3, None, "admin"), (4, 1, "parent")):
            await conn.execute(
                text(
                    "INSERT INTO link_codes (id, code_hash, person_id, role, issued_by, expires_at)"
                    " VALUES (:id, :hash, 3, :role, :by, '2030-01-01 00:00:00')"
                ),
                {"id": cid, "hash": f"h{cid}", "role": role, "by": issued_by},
            )
        await conn.execute(
            text("INSERT INTO telegram_accounts (telegram_user_id, chat_id, person_id) VALUES (5, -100, 3)")
        )
    await engine.dispose()
    await upgrade(url)
    engine = make_engine(url)
    async with engine.connect() as conn:
        scopes = dict((await conn.execute(text("SELECT id, scope FROM link_codes"))).all())
        account = (await conn.execute(text("SELECT chat_id, scope FROM telegram_accounts"))).one()
    await engine.dispose()
    assert scopes == {1: "family", 2: "all", 3: "all", 4: "family"}
    assert tuple(account) == (5, "all"), "a chat moved to a group goes back to the private chat"


async def test_foreign_keys_are_enforced(session) -> None:
    from sqlalchemy.exc import IntegrityError

    from models import Student

    session.add(Student(person_id=999_999, class_id=999_999))
    with pytest.raises(IntegrityError):
        await session.flush()
    await session.rollback()


async def test_timestamps_come_back_aware_utc(session) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from models import LinkAttemptWindow

    barnaul = timezone(timedelta(hours=7))
    session.add(LinkAttemptWindow(key="u1", window_start=datetime(2026, 11, 23, 15, 0, tzinfo=barnaul), tries=1))
    await session.commit()
    session.expunge_all()
    from sqlalchemy import select

    stored = await session.scalar(select(LinkAttemptWindow.window_start))
    assert stored == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
