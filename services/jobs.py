"""What the scheduler does each minute: the weekly summaries that are due, and the reminders."""

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import School
from services import clock, leader, reminders, summaries

log = logging.getLogger(__name__)


async def tick(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """One round; safe to run twice or on two instances: it queues nothing twice."""
    done: dict[str, int] = {"summaries": 0, "reminders": 0}
    async with sessionmaker() as session, session.begin():
        if not await leader.try_lead(session):
            return done
        schools = list(await session.scalars(select(School)))
    due = []
    for school in schools:
        async with sessionmaker() as session:
            done["reminders"] += await reminders.for_school(session, school, clock.now())
        week = summaries.due_week(school, clock.now())
        if week is not None:
            due.append((school, week))
    done["summaries"] = await summaries.queue_weeks(sessionmaker, due)
    return done
