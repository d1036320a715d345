"""APScheduler wiring: the jobs tick once a minute in the bot's process."""

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import jobs
from bot.metrics import SCHEDULER_RUNS

log = logging.getLogger(__name__)


def make_scheduler(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")

    async def tick() -> None:
        try:
            done = await jobs.tick(sessionmaker)
            SCHEDULER_RUNS.labels("done").inc()
            if any(done.values()):
                log.info("scheduled jobs queued %s", done)
        except Exception:  # one failed round must not stop the next
            SCHEDULER_RUNS.labels("failed").inc()
            log.exception("scheduled jobs failed")

    # coalesce + max_instances=1: a slow round is not run twice at once, missed rounds are merged.
    scheduler.add_job(tick, "interval", minutes=1, id="tick", coalesce=True, max_instances=1)
    return scheduler
