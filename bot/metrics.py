"""Prometheus metrics of a web, worker or scheduler process, served at /metrics.

Counters are kept by the process (prometheus-client's registry); the outbox's depth and the age of
its oldest due push are read from the database when /metrics is scraped, so every process reports
the same queue and a dashboard takes any one of them. Labels carry kinds and outcomes only: never
a person, a chat or a token.
"""

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from handlers.errors import OUTCOME  # set by the middlewares an update passes
from models import Notification

UPDATES = Counter("diary_updates_total", "Updates taken, by type and outcome.", ["type", "outcome"])
UPDATE_SECONDS = Histogram(
    "diary_update_seconds",
    "Time from taking an update to answering it.",
    ["type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_ROWS = Gauge("diary_outbox_rows", "Pushes waiting or being sent, by lane and status.", ["lane", "status"])
OLDEST_DUE = Gauge("diary_outbox_oldest_due_seconds", "How long the oldest push that is due has waited.")
SENDS = Counter(
    "diary_sends_total",
    "Push sends by outcome: sent, too_many (429), unknown (may have arrived), retry, failed, unreachable.",
    ["outcome"],
)
TELEGRAM_DOWN_SECONDS = Gauge(
    "diary_telegram_unreachable_seconds", "How long the worker has not been able to reach Telegram (0: it can)."
)
SCHEDULER_RUNS = Counter("diary_scheduler_runs_total", "Rounds of the minute's jobs, by outcome.", ["outcome"])


class UpdateMetricsMiddleware(BaseMiddleware):
    """The outermost update middleware: counts each update by its outcome and times it."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        kind = event.event_type
        started = time.perf_counter()
        try:
            result = await handler(event, data)
        except BaseException:
            # "retried": left on purpose for Telegram to send again (the database or Telegram away).
            UPDATES.labels(kind, data.get(OUTCOME) if data.get(OUTCOME) == "retried" else "error").inc()
            raise
        finally:
            UPDATE_SECONDS.labels(kind).observe(time.perf_counter() - started)
        UPDATES.labels(kind, data.get(OUTCOME, "handled")).inc()
        return result


async def read_outbox(engine: AsyncEngine) -> None:
    """The queue as the database has it now, into the gauges."""
    async with AsyncSession(engine) as session:
        rows = await session.execute(
            select(Notification.lane, Notification.status, func.count())
            .where(Notification.status.in_(("pending", "claimed")))
            .group_by(Notification.lane, Notification.status)
        )
        OUTBOX_ROWS.clear()
        for lane, status, count in rows.all():
            OUTBOX_ROWS.labels(lane, status).set(count)
        now = datetime.now(UTC)
        oldest = await session.scalar(
            select(func.min(Notification.due_at)).where(Notification.status == "pending", Notification.due_at <= now)
        )
    OLDEST_DUE.set(0 if oldest is None else max(0.0, (now - _aware(oldest)).total_seconds()))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def metrics_route(engine: AsyncEngine) -> Callable[[web.Application], None]:
    async def metrics(_request: web.Request) -> web.Response:
        try:
            await read_outbox(engine)
        except Exception:  # the counters are still worth reading when the database is not
            OUTBOX_ROWS.clear()
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    def add(app: web.Application) -> None:
        app.router.add_get("/metrics", metrics)

    return add
