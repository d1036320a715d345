"""The delivery worker: sends the outbox under Telegram's limits, none lost, none twice."""

import asyncio
import logging
import time
from collections import Counter
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiolimiter import AsyncLimiter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.keyboards import inline_markup
from services import delivery_queue, push_content
from services.delivery_queue import Delivery
from views.message import Message
from views.pushes import render

log = logging.getLogger(__name__)
DEFAULT_RETRY_AFTER = 5.0  # a 429 without retry_after still pauses the bot


class DeliveryWorker:
    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        rate: float = 30,
        per_chat_interval: float = 1.0,
        batch: int = 100,
        idle: float = 0.5,
        send_timeout: int = 20,
        ack_delay: float = 0.05,
        default_retry_after: float = DEFAULT_RETRY_AFTER,
        unknown_retry: timedelta = timedelta(seconds=5),
    ) -> None:
        self.bot, self.sessionmaker = bot, sessionmaker
        # Slots 1/rate seconds apart (2.5% under the limit, for the network's jitter). The bucket holds
        # 1.2 slots: the 0.2 keeps the credit of a wake-up that came a few milliseconds late, else the
        # rate sags to 95%; 31 sends still span over a second, by about 19 ms. Above 100/s slots come
        # 10 ms apart, several at a time: timers (uvloop's are whole milliseconds) cannot wait finer.
        effective = rate * 0.975
        period = max(1 / effective, 0.01) * 1.2
        self.limiter = AsyncLimiter(effective * period, period)
        self.per_chat_interval = per_chat_interval
        # About a second's sends at a time: a real-time push claimed next waits behind no more than that.
        self.batch = min(batch, max(10, int(rate)))
        self.idle, self.send_timeout = idle, send_timeout
        self.ack_delay = ack_delay
        # How long a 429 without retry_after pauses, and when a send of unknown outcome goes again.
        self.default_retry_after, self.unknown_retry = default_retry_after, unknown_retry
        self.chat_free_at: dict[int, float] = {}
        self.paused_until = 0.0
        self.stats: Counter[str] = Counter()
        self.stopping = asyncio.Event()
        self.acked: list[int] = []
        self.ack_ready = asyncio.Event()
        self.flush_lock = asyncio.Lock()
        self.sending: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Real-time pushes go ahead of bulk ones; an empty queue is polled every `idle` seconds.
        Stopped, it finishes the sends under way; cancelled, it drops them, and their rows are claimed
        again after the lease."""
        acker = asyncio.create_task(self._ack_as_sent())
        try:
            await self._loop()
            if self.sending:
                await asyncio.wait(self.sending)
        finally:
            for task in self.sending:
                task.cancel()
            acker.cancel()
            await asyncio.shield(self.flush())

    async def _loop(self) -> None:
        while not self.stopping.is_set():
            # The next batch is claimed while the last half of this one goes out, so the database's
            # round trips never leave the pipe to Telegram empty.
            while len(self.sending) > self.batch // 2:
                await asyncio.wait(self.sending, return_when=asyncio.FIRST_COMPLETED)
            try:
                busy = await self.step()
            except Exception:  # the database may be away for a moment; keep the worker alive
                log.exception("delivery step failed")
                busy = False
            if not busy:
                stop = asyncio.ensure_future(self.stopping.wait())
                try:
                    await asyncio.wait({stop, *self.sending}, timeout=self.idle, return_when=asyncio.FIRST_COMPLETED)
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
            for delivery in deliveries:
                task = asyncio.create_task(self.acknowledged(delivery, render(delivery, ctx)))
                self.sending.add(task)
                task.add_done_callback(self._sent)
            return True
        return False

    def _sent(self, task: "asyncio.Task[None]") -> None:
        self.sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The send's own outcome was settled or its row keeps its lease; the worker goes on.
            log.error("delivery failed", exc_info=task.exception())

    async def acknowledged(self, delivery: Delivery, out: Message) -> None:
        ids = await self.deliver(delivery, out)
        self.acked.extend(ids)  # not `+=` across the await: a flush may have swapped the list meanwhile
        self.ack_ready.set()

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
            self.stats["pushes"] += len(sent)

    async def _pace(self, chat_id: int) -> None:
        """Take the chat's next one-a-second slot (reserved before any wait, so two sends to one chat
        never race), wait out a 429 pause, then take a slot of the bot's rate."""
        now = time.monotonic()
        slot = max(now, self.chat_free_at.get(chat_id, 0.0))
        self.chat_free_at[chat_id] = slot + self.per_chat_interval
        await asyncio.sleep(max(0.0, slot - now))
        while (wait := self.paused_until - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        await self.limiter.acquire()

    async def _send(self, chat_id: int, out: Message) -> None:
        await self._pace(chat_id)
        # The session's own timeout, not a second timer around it: timers are a tenth of a send's cost.
        await self.bot.send_message(
            chat_id,
            out.text,
            protect_content=out.protect,
            reply_markup=inline_markup(out.buttons),
            request_timeout=self.send_timeout,
        )
        self.stats["messages"] += 1
        for file in out.files:
            await self._pace(chat_id)
            send = self.bot.send_photo if file.kind == "photo" else self.bot.send_document
            await send(chat_id, file.file_id, protect_content=out.protect, request_timeout=self.send_timeout)
            self.stats["files"] += 1

    async def deliver(self, delivery: Delivery, out: Message) -> list[int]:
        """Send one delivery; returns its push ids when sent (the caller marks them), else [] after
        settling them here (requeued, retried, failed, unreachable)."""
        ids = [p.id for p in delivery.pushes]
        try:
            if out.text:
                await self._send(delivery.chat_id, out)
        except TelegramRetryAfter as error:
            await self._too_many(ids, float(error.retry_after or self.default_retry_after))
            return []
        except (TelegramForbiddenError, TelegramNotFound) as error:
            await self._unreachable(delivery, ids, str(error))
            return []
        except TelegramBadRequest as error:
            if "chat not found" in str(error).lower():
                await self._unreachable(delivery, ids, str(error))
                return []
            self.stats["failed"] += 1
            async with self.sessionmaker() as session, session.begin():
                await delivery_queue.retry(session, ids, str(error), max_attempts=0)
            return []
        except TelegramNetworkError as error:
            if not isinstance(error.__cause__, TimeoutError):
                await self._retry(ids, error)
                return []
            # The request went out and no answer came: Telegram may have delivered it.
            self.stats["unknown outcome"] += 1
            async with self.sessionmaker() as session, session.begin():
                await delivery_queue.unknown_outcome(session, ids, "send timed out", retry_in=self.unknown_retry)
            return []
        except TelegramAPIError as error:
            if "too many requests" in str(error).lower():  # a 429 that names no retry_after
                await self._too_many(ids, self.default_retry_after)
                return []
            await self._retry(ids, error)
            return []
        except (TelegramServerError, OSError) as error:
            await self._retry(ids, error)
            return []
        return ids

    async def _too_many(self, ids: list[int], pause: float) -> None:
        """Every send of this bot waits out the pause; the rows go back to the queue untouched."""
        self.stats["429"] += 1
        self.paused_until = max(self.paused_until, time.monotonic() + pause)
        async with self.sessionmaker() as session, session.begin():
            await delivery_queue.requeue(session, ids, timedelta(seconds=pause))

    async def _retry(self, ids: list[int], error: Exception) -> None:
        self.stats["retried"] += 1
        async with self.sessionmaker() as session, session.begin():
            await delivery_queue.retry(session, ids, str(error))

    async def _unreachable(self, delivery: Delivery, ids: list[int], error: str) -> None:
        self.stats["unreachable"] += 1
        async with self.sessionmaker() as session, session.begin():
            await delivery_queue.unreachable(session, delivery.account_id, ids, error)
