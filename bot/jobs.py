"""The job runner: what the scheduler does each minute, each piece in its own unit of work.

Reminders are queued and committed school by school; a school's weekly summaries are one
transaction, several schools side by side on PostgreSQL.
"""

import asyncio
import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import School
from services import clock, leader, outbox, reminders, summaries

log = logging.getLogger(__name__)
CONCURRENCY = 3  # schools' summaries built at once on PostgreSQL


async def tick(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """One round; safe to run twice or on two instances: it queues nothing twice."""
    done: dict[str, int] = {"summaries": 0, "reminders": 0, "purged": 0}
    async with sessionmaker() as session, session.begin():
        if not await leader.try_lead(session):
            return done
        schools = list(await session.scalars(select(School)))
        done["purged"] = await outbox.purge_settled(session)
    due = []
    for school in schools:
        async with sessionmaker() as session, session.begin():
            done["reminders"] += await reminders.for_school(session, school, clock.now())
        week = summaries.due_week(school, clock.now())
        if week is not None:
            due.append((school, week))
    done["summaries"] = await queue_weeks(sessionmaker, due)
    return done


async def queue_weeks(sessionmaker: async_sessionmaker[AsyncSession], due: list[tuple[School, date]]) -> int:
    """Several schools' weeks side by side, each in its own transaction: while one school's queries
    run in the database the next one's summaries are built here, and both cores work."""
    bind = sessionmaker.kw.get("bind")
    # SQLite has one writer at a time: schools side by side would only wait on its lock.
    gate = asyncio.Semaphore(CONCURRENCY if bind is not None and bind.dialect.name == "postgresql" else 1)

    async def one(school: School, week_start: date) -> int:
        try:
            async with gate, sessionmaker() as session, session.begin():
                return await summaries.queue_week(session, school, week_start)
        except IntegrityError:  # another instance finished the same school's week first
            return 0

    queued = sum(await asyncio.gather(*(one(school, week) for school, week in due)))
    if queued > summaries.CHUNK:
        async with sessionmaker() as session, session.begin():
            await summaries.refresh_statistics(session)
    return queued
