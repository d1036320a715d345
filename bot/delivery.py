"""The delivery worker: sends the outbox under Telegram's limits, none lost, none twice.

Any number of workers may run against one PostgreSQL: they share the queue by SKIP LOCKED claims and
the bot's limits by the limiter in Redis (bot/rate_limit.py). A send's failure is sorted by what it
says about the message: Telegram refused it for good (failed), the chat is gone (unreachable), it
may have arrived (outcome unknown: it goes again, marked for life), Telegram could not be reached at
all (waited out, no attempt counted), or Telegram answered with an error (retried with a budget).
"""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import (
    ClientDecodeError,
    RestartingTelegram,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiohttp import ClientConnectorError, ConnectionTimeoutError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.rate_limit import Limits, LocalLimiter, SendLimiter, make_limiter
from handlers.keyboards import inline_markup
from services import delivery_queue, push_content, tunables
from services.delivery_queue import Delivery
from views.message import Message
from views.pushes import render

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_RETRY_AFTER = 5.0  # a 429 without retry_after still pauses the bot
PAUSES_PER_SEND = 5  # 429s one send waits out in place before its rows go back to the queue
RELEASE = "released"  # the cancel message of a send a stopping worker gives back before it went
RENDER_SLICE = 0.005  # seconds of rendering between two yields to the sends under way


@dataclass
class _Progress:
    """One delivery's send: its task, and its parts that went out (after the first, a failure may
    leave a repeat)."""

    task: "asyncio.Task[Any]"
    went: int = 0


@dataclass
class _Turn:
    """One chat's deliveries go one after another, in the order they were claimed."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class _StillLimited(Exception):
    """A send met 429 after 429: its rows go back to the queue for after the pause."""

    def __init__(self, pause: float) -> None:
        super().__init__(f"too many requests, {pause} s")
        self.pause = pause


class DeliveryWorker:
    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        rate: float = 30,
        per_chat_interval: float = 1.0,
        paid_rate: float | None = None,
        limiter: SendLimiter | None = None,
        batch: int = 100,
        idle: float = 0.5,
        send_timeout: int = 20,
        ack_delay: float = 0.05,
        default_retry_after: float = DEFAULT_RETRY_AFTER,
        unknown_retry: timedelta = timedelta(seconds=5),
        outage_cap: timedelta = timedelta(hours=12),
        outage_backoff: tuple[float, float] = (1.0, 10.0),
    ) -> None:
        self.bot, self.sessionmaker = bot, sessionmaker
        # A limiter given is shared with other workers (Redis) and closed by whoever made it.
        self.owns_limiter = limiter is None
        self.limiter = limiter or LocalLimiter(Limits(rate, per_chat_interval, paid_rate))
        # Bulk sends carry allow_paid_broadcast only when a paid rate is set: Telegram charges for them.
        self.paid_rate = paid_rate
        # About a second's sends at a time: a real-time push claimed next waits behind no more than that.
        self.batch = min(batch, max(10, int(max(rate, paid_rate or 0))))
        self.idle, self.send_timeout = idle, send_timeout
        self.ack_delay = ack_delay
        # How long a 429 without retry_after pauses, and when a send of unknown outcome goes again.
        self.default_retry_after, self.unknown_retry = default_retry_after, unknown_retry
        # Telegram unreachable: probes back off from the first to the second figure (seconds); a push
        # that waited longer than the cap is failed.
        self.outage_cap, self.outage_backoff = outage_cap, outage_backoff
        self.backoff = 0.0
        self.outage_until = 0.0  # monotonic
        self.unreachable_since: float | None = None  # monotonic, while Telegram cannot be reached
        self.stats: Counter[str] = Counter()
        self.stopping = asyncio.Event()
        self.acked: list[int] = []
        self.ack_ready = asyncio.Event()
        self.flush_lock = asyncio.Lock()
        self.sending: set[asyncio.Task[None]] = set()
        # Rows claimed and not yet settled: their lease is kept alive for as long as they wait.
        self.held: set[int] = set()
        self.turns: dict[int, _Turn] = {}
        # Sends that have not started: a graceful stop gives their rows back instead of waiting.
        self.waiting: set[asyncio.Task[Any]] = set()
        self.sends: Any = None  # the metrics' counter of sends by outcome, in `diary-bot run`

    @classmethod
    def from_settings(
        cls, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], settings: "Settings"
    ) -> "DeliveryWorker":
        """The worker of `diary-bot run`: the limiter in Redis when REDIS_URL is set (any number of
        workers), else in memory (then one worker per bot)."""
        paid = settings.paid_broadcast_rate
        limits = Limits(settings.delivery_rate, 1.0, paid)
        if not settings.redis_url:
            log.info("no REDIS_URL: this worker keeps the bot's limits alone; run no other worker")
        worker = cls(
            bot,
            sessionmaker,
            rate=settings.delivery_rate,
            paid_rate=paid,
            limiter=make_limiter(settings.redis_url, bot.id, limits),
            outage_cap=timedelta(hours=settings.delivery_outage_hours),
        )
        worker.owns_limiter = True
        from bot import metrics  # prometheus-client: only a process that serves /metrics needs it

        worker.sends = metrics.SENDS
        metrics.TELEGRAM_DOWN_SECONDS.set_function(worker.unreachable_for)
        return worker

    async def run(self) -> None:
        """Real-time pushes go ahead of bulk ones; an empty queue is polled every `idle` seconds.
        Stopped, it finishes the sends under way and gives back those still waiting for their turn;
        cancelled, it drops them, and their rows are claimed again after the lease."""
        helpers = [asyncio.create_task(self._ack_as_sent()), asyncio.create_task(self._keep_leases())]
        if isinstance(self.bot.session, AiohttpSession):
            # Made now, not on the first send: its TLS context takes tens of milliseconds, and the
            # first sends, granted meanwhile, would reach Telegram late and in a bunch.
            await self.bot.session.create_session()
        try:
            await self._loop()
            for task in list(self.waiting):
                task.cancel(RELEASE)
            if self.sending:
                await asyncio.wait(self.sending)
        finally:
            for task in self.sending:
                task.cancel()
            for helper in helpers:
                helper.cancel()
            await asyncio.shield(self.flush())
            if self.owns_limiter:
                await self.limiter.close()

    def _count(self, stat: str, outcome: str, n: int = 1) -> None:
        self.stats[stat] += n
        if self.sends is not None and n:
            self.sends.labels(outcome).inc(n)

    def unreachable_for(self) -> float:
        """Seconds Telegram has been unreachable for this worker (0 when it answers), for the metrics."""
        return 0.0 if self.unreachable_since is None else time.monotonic() - self.unreachable_since

    async def _loop(self) -> None:
        while not self.stopping.is_set():
            # The next batch is claimed while the last half of this one goes out, so the database's
            # round trips never leave the pipe to Telegram empty.
            while len(self.sending) > self.batch // 2:
                await asyncio.wait(self.sending, return_when=asyncio.FIRST_COMPLETED)
            # Nothing is claimed during a 429's pause or an outage: it would only wait, held.
            hold = max(self.limiter.paused_for(), self.outage_until - time.monotonic())
            if hold > 0:
                await self._rest(hold, wake_on_sends=False)
                continue
            try:
                busy = await self.step()
            except Exception:  # the database may be away for a moment; keep the worker alive
                log.exception("delivery step failed")
                busy = False
            if not busy:
                await self._rest(self.idle, wake_on_sends=True)

    async def _rest(self, seconds: float, *, wake_on_sends: bool) -> None:
        stop = asyncio.ensure_future(self.stopping.wait())
        try:
            waits = {stop, *self.sending} if wake_on_sends else {stop}
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()

    async def step(self) -> bool:
        """Claim a batch and start sending it; False when nothing is due."""
        for lane in ("realtime", "bulk"):
            async with self.sessionmaker() as session, session.begin():
                deliveries = await delivery_queue.claim(session, lane=lane, limit=self.batch)
                if not deliveries:
                    continue
                ctx = await push_content.load(session, [p.payload for d in deliveries for p in d.pushes])
            paid = self.paid_rate is not None and lane == "bulk"
            slice_started = time.perf_counter()
            for delivery in deliveries:
                if not self.held.isdisjoint(p.id for p in delivery.pushes):
                    # Already on its way from here: its lease lapsed while this worker, starved of
                    # CPU, was late renewing it. Sending it again would be a second copy.
                    continue
                self.held.update(p.id for p in delivery.pushes)
                task = asyncio.create_task(self.acknowledged(delivery, render(delivery, ctx), paid=paid))
                self.sending.add(task)
                task.add_done_callback(self._sent)
                # A batch rendered at once would hold the loop for tens of milliseconds: sends granted
                # meanwhile would leave in a bunch, closer than the rate allows.
                if time.perf_counter() - slice_started > RENDER_SLICE:
                    await asyncio.sleep(0)
                    slice_started = time.perf_counter()
            return True
        return False

    def _sent(self, task: "asyncio.Task[None]") -> None:
        self.sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The send's own outcome was settled or its row's lease runs out; the worker goes on.
            log.error("delivery failed", exc_info=task.exception())

    async def acknowledged(self, delivery: Delivery, out: Message, *, paid: bool = False) -> None:
        ids: list[int] = []
        try:
            ids = await self.deliver(delivery, out, paid=paid)
        finally:
            if ids:
                self.acked.extend(ids)  # not `+=` across the await: a flush may have swapped the list meanwhile
                self.ack_ready.set()
            else:  # settled here, or failed unsettled: its lease runs out and it is claimed again
                self.held.difference_update(p.id for p in delivery.pushes)

    async def _ack_as_sent(self) -> None:
        """Group commit: what was sent in the last `ack_delay` is marked by one UPDATE. At a few
        messages a second each is marked within that delay; at thousands one UPDATE covers a hundred.
        A worker killed outright so leaves only its last fraction of a second of unknown outcome."""
        while True:
            await self.ack_ready.wait()
            await asyncio.sleep(self.ack_delay)
            self.ack_ready.clear()
            try:
                await self.flush()
            except Exception:  # the database may be away for a moment; the ids wait for the next try
                log.exception("marking pushes sent failed")
                await asyncio.sleep(1)
                self.ack_ready.set()

    async def flush(self) -> None:
        """Mark what was sent, in one UPDATE. A worker that is stopped flushes too; one killed outright
        leaves its unmarked rows to be claimed again after the lease, marked as of unknown outcome."""
        async with self.flush_lock:
            sent, self.acked = self.acked, []
            if not sent:
                return
            try:
                async with self.sessionmaker() as session, session.begin():
                    await delivery_queue.sent(session, sent)
            except BaseException:
                self.acked[:0] = sent
                raise
            self.held.difference_update(sent)
            self._count("pushes", "sent", len(sent))

    async def _keep_leases(self) -> None:
        """Rows waiting here (a 429's pause, the chat's turn, an outage's back-off) keep their lease, so
        no worker, this one included, claims them again while they wait."""
        while True:
            await asyncio.sleep(max(0.2, tunables.current.delivery_lease.total_seconds() / 3))
            if not self.held:
                continue
            try:
                async with self.sessionmaker() as session, session.begin():
                    await delivery_queue.keep_leases(session, sorted(self.held))
            except Exception:  # the database may be away for a moment; the next round tries again
                log.exception("keeping leases failed")

    @asynccontextmanager
    async def _turn(self, chat_id: int) -> AsyncIterator[None]:
        turn = self.turns.setdefault(chat_id, _Turn())
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if not turn.users:
                del self.turns[chat_id]

    async def _call(self, chat_id: int, paid: bool, progress: _Progress, send: Callable[[], Awaitable[Any]]) -> None:
        """One Bot API send in its slot. A 429 pauses every send of the bot (every worker's, with
        Redis) and this one goes again after it, still in its chat's turn, so the chat's order holds."""
        pause = self.default_retry_after
        for _ in range(PAUSES_PER_SEND):
            if (wait := self.outage_until - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            await self.limiter.acquire(chat_id, paid=paid)
            self.waiting.discard(progress.task)  # from here on it is under way: a stop lets it finish
            try:
                await send()
            except TelegramRetryAfter as error:
                pause = float(error.retry_after or self.default_retry_after)
            except TelegramAPIError as error:
                if isinstance(error, TelegramNetworkError) or "too many requests" not in str(error).lower():
                    raise
                pause = self.default_retry_after  # a 429 that names no retry_after
            else:
                progress.went += 1
                self._reachable()
                return
            self._count("429", "too_many")
            if not progress.went:
                self.waiting.add(progress.task)  # waiting again: a stop may give it back
            await self.limiter.pause(pause)
        raise _StillLimited(pause)

    async def _send(self, chat_id: int, out: Message, paid: bool, progress: _Progress) -> None:
        # The session's own timeout, not a second timer around it: timers are a tenth of a send's cost.
        common: dict[str, Any] = {"protect_content": out.protect, "request_timeout": self.send_timeout}
        if paid:
            common["allow_paid_broadcast"] = True
        markup = inline_markup(out.buttons)
        await self._call(
            chat_id, paid, progress, partial(self.bot.send_message, chat_id, out.text, reply_markup=markup, **common)
        )
        self.stats["messages"] += 1
        for file in out.files:
            send = self.bot.send_photo if file.kind == "photo" else self.bot.send_document
            await self._call(chat_id, paid, progress, partial(send, chat_id, file.file_id, **common))
            self.stats["files"] += 1

    async def deliver(self, delivery: Delivery, out: Message, *, paid: bool = False) -> list[int]:
        """Send one delivery; returns its push ids when sent (the caller marks them), else [] after
        settling them here (requeued, retried, failed, unreachable, of unknown outcome)."""
        ids = [p.id for p in delivery.pushes]
        if not out.text:
            return ids
        task = asyncio.current_task()
        assert task is not None
        progress = _Progress(task)
        if self.stopping.is_set():  # claimed just before the stop: given back at once
            await self._settle(delivery_queue.requeue, ids, timedelta(0))
            return []
        self.waiting.add(task)
        try:
            async with self._turn(delivery.chat_id):
                await self._send(delivery.chat_id, out, paid, progress)
        except asyncio.CancelledError as cancel:
            self.waiting.discard(task)
            if cancel.args != (RELEASE,) or progress.went:
                raise
            task.uncancel()  # given back, not cancelled: the worker stops gracefully
            await self._settle(delivery_queue.requeue, ids, timedelta(0))
            return []
        except Exception as error:
            self.waiting.discard(task)
            await self._failed(delivery, ids, error, progress)
            return []
        return ids

    async def _failed(self, delivery: Delivery, ids: list[int], error: Exception, progress: _Progress) -> None:
        maybe_sent = progress.went > 0  # a part went before the failure: a repeat is possible
        if isinstance(error, _StillLimited):
            await self._settle(delivery_queue.requeue, ids, timedelta(seconds=error.pause), maybe_sent=maybe_sent)
        elif isinstance(error, TelegramForbiddenError | TelegramNotFound) or (
            isinstance(error, TelegramBadRequest) and "chat not found" in str(error).lower()
        ):
            self._count("unreachable", "unreachable")
            await self._settle(delivery_queue.unreachable, delivery.account_id, ids, str(error))
        elif isinstance(error, TelegramBadRequest | TelegramEntityTooLarge):
            # Telegram refuses this message as it is: it never will take it.
            self._count("failed", "failed")
            await self._settle(delivery_queue.retry, ids, str(error), max_attempts=0, maybe_sent=maybe_sent)
        elif _never_reached(error):
            await self._telegram_unreachable(ids, error, maybe_sent)
        elif _maybe_delivered(error):
            # The request went and no answer came back: Telegram may have delivered it.
            self._count("unknown outcome", "unknown")
            await self._settle(delivery_queue.unknown_outcome, ids, _describe(error), retry_in=self.unknown_retry)
        elif isinstance(error, TelegramAPIError):
            self._count("retried", "retry")
            await self._settle(delivery_queue.retry, ids, str(error), maybe_sent=maybe_sent)
        else:
            raise error

    async def _telegram_unreachable(self, ids: list[int], error: Exception, maybe_sent: bool) -> None:
        """Not the push's fault: the worker backs off (the first failure starts at the shorter wait),
        and the rows wait the outage out in the queue without using an attempt, up to the cap."""
        now = time.monotonic()
        if self.unreachable_since is None:
            self.unreachable_since = now
            self.backoff = self.outage_backoff[0]
            log.warning("Telegram cannot be reached: sends wait (%s)", _describe(error))
        elif now >= self.outage_until:
            self.backoff = min(self.backoff * 2, self.outage_backoff[1])
        self.outage_until = max(self.outage_until, now + self.backoff)
        self.stats["telegram unreachable"] += 1
        failed = await self._settle(
            delivery_queue.telegram_unreachable,
            ids,
            _describe(error),
            retry_in=timedelta(seconds=self.backoff),
            give_up_after=self.outage_cap,
            maybe_sent=maybe_sent,
        )
        self._count("failed", "failed", failed)

    def _reachable(self) -> None:
        if self.unreachable_since is not None:
            log.warning("Telegram answers again after %.0f s", time.monotonic() - self.unreachable_since)
            self.unreachable_since, self.outage_until = None, 0.0

    async def _settle(self, outcome: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        async with self.sessionmaker() as session, session.begin():
            return await outcome(session, *args, **kwargs)


def _never_reached(error: Exception) -> bool:
    """The request surely never reached Telegram's Bot API: no connection was made, or Telegram said
    it cannot serve now (the token refused, the server restarting)."""
    if isinstance(error, TelegramUnauthorizedError | RestartingTelegram):
        return True
    cause = error.__cause__ if isinstance(error, TelegramNetworkError) else error
    return isinstance(cause, ClientConnectorError | ConnectionTimeoutError | ConnectionRefusedError)


def _maybe_delivered(error: Exception) -> bool:
    """The request went out and the answer was lost: a timeout, a reset or a disconnect mid-answer,
    an answer that is not the Bot API's. Telegram may have delivered the message."""
    return isinstance(error, TelegramNetworkError | ClientDecodeError | OSError)


def _describe(error: Exception) -> str:
    cause = error.__cause__ if isinstance(error, TelegramNetworkError) else None
    if isinstance(cause, TimeoutError):
        return "send timed out"
    return f"{type(cause or error).__name__}: {error}"
