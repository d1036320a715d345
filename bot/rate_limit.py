"""Telegram's limits for one bot, kept by every process that sends for it.

Telegram allows a bot about 30 messages a second in all and one a second to a chat, and a 429 names
how long the whole bot must wait. The limits belong to the token, not to a process, so with Redis
configured every worker asks one place: a Lua script, atomic in Redis, that grants a message by GCRA
(the generic cell rate algorithm: one "theoretical arrival time" per lane, a grant allowed when it is
no more than a small tolerance ahead of now, then advanced by the interval). It reads Redis's clock,
so every process keeps one rate, and it checks the shared "paused until" that a 429 sets and the
chat's own next free time in the same step. Without Redis (one process, SQLite) the same rules run
in memory.

A grant is for now, never for later: a send waits in its process's queue (first come, first served)
and a pump asks for the sends at the head, several in one call at high rates, sleeping until the
lane may grant again. So a 429 stops every send not yet granted, in every process, and a chat is
never reserved ahead of the wait for the bot's rate: its next free time is set when its message is
granted, to that moment plus the chat interval.

Why GCRA in a script rather than a library: the limit is one rate shared by processes, checked with
a pause and a per-chat interval in one atomic step; GCRA keeps one number per lane (a sliding log
would keep a sorted set of every send), and a script is one round trip with no race between the
read and the write. Redis's own TIME keeps the processes on one clock.
"""

import asyncio
import contextlib
import itertools
import logging
import time
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
# Each limit is kept 2.5% under Telegram's, for the network's jitter between a grant and its arrival.
MARGIN = 0.975
# uvloop's timers count whole milliseconds: a shorter sleep ends at once and the pump would spin.
MIN_SLEEP = 0.001
# A grant's answer: given now (GRANTED), or the chat's next free time is this many seconds away.
GRANTED = 0.0


@dataclass(frozen=True)
class Limits:
    rate: float = 30  # messages a second for the whole bot
    chat_interval: float = 1.0  # seconds between two messages to one chat
    paid_rate: float | None = None  # messages a second sent with allow_paid_broadcast, when it is on
    margin: float = MARGIN  # the share of each limit used

    def interval(self, paid: bool) -> float:
        """Seconds between two grants of a lane."""
        rate = self.paid_rate if paid and self.paid_rate else self.rate
        return 1 / (rate * self.margin)

    def tolerance(self, paid: bool) -> float:
        """How early a grant may come. A fifth of an interval keeps the credit of a wake-up a little
        late (31 grants at 30/s still span more than a second, by 19 ms). Above 200/s, 10 ms: timers
        are whole milliseconds, and grants asked for several at a time cost a round trip for several."""
        interval = self.interval(paid)
        return 0.2 * interval if interval > 0.005 else 0.010

    def batch(self, paid: bool) -> int:
        """The most grants one ask can give: what the tolerance holds, and one more."""
        return int(self.tolerance(paid) / self.interval(paid)) + 2


class SendLimiter(Protocol):
    async def acquire(self, chat_id: int, *, paid: bool = False) -> None:
        """Returns when a message to this chat may go now."""

    async def pause(self, seconds: float) -> None:
        """A 429: every send of the bot waits `seconds`, those already waiting for a grant too."""

    def paused_for(self) -> float:
        """Seconds left of a pause this process knows of (0 when none)."""

    async def close(self) -> None: ...


@dataclass(eq=False)
class _Waiter:
    chat_id: int
    granted: "asyncio.Future[None]"


class _PumpedLimiter(ABC):
    """The queue in front of the grants, one per lane, first come first served: a pump asks for
    grants for the sends at its head, several at a time, and sleeps until the lane may grant again.
    A send whose chat is not free yet leaves the queue and comes back at its end when it is, so it
    holds no other chat up. A send given up (its task cancelled) is skipped."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.queues: dict[bool, deque[_Waiter]] = {False: deque(), True: deque()}  # per lane: free, paid
        self.pumps: dict[bool, asyncio.Task[None] | None] = {False: None, True: None}
        self.paused_until = 0.0  # monotonic

    async def acquire(self, chat_id: int, *, paid: bool = False) -> None:
        paid = paid and self.limits.paid_rate is not None
        if not self.queues[paid] and self._granted_at_once(chat_id, paid):
            return
        waiter = _Waiter(chat_id, asyncio.get_running_loop().create_future())
        self._enqueue(waiter, paid)
        await waiter.granted

    def _granted_at_once(self, chat_id: int, paid: bool) -> bool:
        """A grant with no wait, when nobody queues before this send and it can be decided here."""
        return False

    def paused_for(self) -> float:
        return max(0.0, self.paused_until - time.monotonic())

    async def close(self) -> None:
        for pump in self.pumps.values():
            if pump is not None:
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump

    def _enqueue(self, waiter: _Waiter, paid: bool) -> None:
        if waiter.granted.done():
            return
        self.queues[paid].append(waiter)
        pump = self.pumps[paid]
        if pump is None or pump.done():
            self.pumps[paid] = asyncio.create_task(self._pump(paid))

    async def _pump(self, paid: bool) -> None:
        queue = self.queues[paid]
        loop = asyncio.get_running_loop()
        while queue:
            while queue and queue[0].granted.done():
                queue.popleft()
            batch = [waiter for waiter in itertools.islice(queue, self.limits.batch(paid)) if not waiter.granted.done()]
            if not batch:
                continue
            try:
                paused, wait, answers = await self._grant([waiter.chat_id for waiter in batch], paid)
            except Exception:  # a bug must not strand every send: log it and ask again
                log.exception("asking for grants failed")
                await asyncio.sleep(1)
                continue
            if paused:
                self._paused(wait)
                await asyncio.sleep(max(wait, MIN_SLEEP))
                continue
            for waiter, answer in zip(batch, answers, strict=False):
                # Those before it in the queue were given up meanwhile: drop them with it.
                while queue.popleft() is not waiter:
                    continue
                if answer == GRANTED:
                    if not waiter.granted.done():
                        waiter.granted.set_result(None)
                else:
                    loop.call_later(answer, self._enqueue, waiter, paid)
            if len(answers) < len(batch):  # the lane is full for now
                await asyncio.sleep(max(wait, MIN_SLEEP, self.limits.tolerance(paid) / 2))

    @abstractmethod
    async def _grant(self, chats: list[int], paid: bool) -> tuple[bool, float, list[float]]:
        """Grants for these chats, in order, as far as the lane allows now: (paused, wait, answers).
        Paused: nothing granted, `wait` is the pause left. Else one answer for each chat reached
        (GRANTED, or seconds until the chat is free), and `wait` until the lane grants again."""

    def _paused(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)


class LocalLimiter(_PumpedLimiter):
    """The limits in memory, for one process: the same rules as the Redis limiter."""

    def __init__(self, limits: Limits) -> None:
        super().__init__(limits)
        self.arrival = {False: 0.0, True: 0.0}  # per lane: GCRA's theoretical arrival time
        self.chat_free_at: dict[int, float] = {}
        self.prune_at = 10_000

    def _granted_at_once(self, chat_id: int, paid: bool) -> bool:
        paused, _wait, answers = self._decide([chat_id], paid)
        return not paused and answers == [GRANTED]

    async def _grant(self, chats: list[int], paid: bool) -> tuple[bool, float, list[float]]:
        return self._decide(chats, paid)

    def _decide(self, chats: list[int], paid: bool) -> tuple[bool, float, list[float]]:
        now = time.monotonic()
        if self.paused_until > now:
            return True, self.paused_until - now, []
        interval, tolerance = self.limits.interval(paid), self.limits.tolerance(paid)
        arrival = max(self.arrival[paid], now)
        answers: list[float] = []
        for chat in chats:
            if arrival - now > tolerance:
                break
            if (free := self.chat_free_at.get(chat, 0.0)) > now:
                answers.append(free - now)
                continue
            if self.limits.chat_interval:
                self.chat_free_at[chat] = now + self.limits.chat_interval
            arrival += interval
            answers.append(GRANTED)
        self.arrival[paid] = arrival
        self._prune(now)
        return False, max(0.0, arrival - tolerance - now), answers

    async def pause(self, seconds: float) -> None:
        self._paused(seconds)

    def _prune(self, now: float) -> None:
        """Chats whose interval has passed are forgotten, once there are many."""
        if len(self.chat_free_at) < self.prune_at:
            return
        self.chat_free_at = {chat: free for chat, free in self.chat_free_at.items() if free > now}
        self.prune_at = max(10_000, 2 * len(self.chat_free_at))


# Times in Redis are microseconds of the Redis server's clock (TIME), one clock for every process.
# Lua numbers are doubles, exact to 2^53 µs (285 years); '%.0f' writes them without an exponent.
# KEYS: paused-until, the lane's theoretical arrival time, the lane's next time to ask, then one key
# per chat asked for (its next free time). ARGV: the lane's interval, its tolerance, the chat interval
# (µs). Answers {1, pause left} when paused; else {0, wait before asking again, then per chat
# reached: 0 for granted, or µs until the chat is free}.
# A process whose chats were not all reached is told a time to ask again of its own: the next free
# one, an interval after the last told. So several processes take turns, each asking about once a
# grant, instead of all asking at each slot; the grant itself is still decided when it asks.
_GRANT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if paused > now then return {1, paused - now} end
local interval, tolerance, gap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local arrival = math.max(tonumber(redis.call('GET', KEYS[2]) or '0'), now)
local answers = {0, 0}
local granted = false
for i = 4, #KEYS do
  if arrival - now > tolerance then break end
  local chat_free = tonumber(redis.call('GET', KEYS[i]) or '0')
  if chat_free > now then
    answers[#answers + 1] = chat_free - now
  else
    if gap > 0 then
      redis.call('SET', KEYS[i], string.format('%.0f', now + gap), 'PX', math.ceil(gap / 1000) + 1000)
    end
    arrival = arrival + interval
    granted = true
    answers[#answers + 1] = 0
  end
end
if granted then
  redis.call('SET', KEYS[2], string.format('%.0f', arrival), 'PX', math.ceil((arrival - now) / 1000) + 1000)
end
if #answers - 2 < #KEYS - 3 then
  local ask = math.max(tonumber(redis.call('GET', KEYS[3]) or '0'), arrival - tolerance, now)
  local next_ask = ask + interval
  redis.call('SET', KEYS[3], string.format('%.0f', next_ask), 'PX', math.ceil((next_ask - now) / 1000) + 1000)
  answers[2] = ask - now
end
return answers
"""
# KEYS: paused-until; ARGV: the pause (µs). A longer pause already set stays. Answers the pause left.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local till = math.max(now + tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], string.format('%.0f', till), 'PX', math.ceil((till - now) / 1000) + 1000)
return till - now
"""
_REDIS_RETRY = 1.0  # seconds between tries while Redis is away: sends wait rather than break the limit


class RedisLimiter(_PumpedLimiter):
    """The limits kept in Redis, shared by every process sending for the bot. Keys carry the bot's
    id in a hash tag, so in a Redis Cluster they live on one node, as the script needs."""

    def __init__(self, redis: "Redis", bot_id: int, limits: Limits, *, namespace: str = "diary") -> None:
        super().__init__(limits)
        self.redis = redis
        self.base = f"{namespace}:{{bot{bot_id}}}"
        self.pause_key = f"{self.base}:paused-until"
        self.lane_keys = {
            paid: [f"{self.base}:{lane}arrival", f"{self.base}:{lane}next-ask"]
            for paid, lane in ((False, ""), (True, "paid-"))
        }
        chat_us = round(limits.chat_interval * 1e6)
        self.lane_args = {
            paid: [round(limits.interval(paid) * 1e6), round(limits.tolerance(paid) * 1e6), chat_us]
            for paid in (False, True)
        }
        self._grant_script = redis.register_script(_GRANT)
        self._pause_script = redis.register_script(_PAUSE)
        self.redis_down = False

    @classmethod
    def from_url(cls, url: str, bot_id: int, limits: Limits, **kwargs: Any) -> "RedisLimiter":
        from bot.redis_client import connect

        return cls(connect(url), bot_id, limits, **kwargs)

    async def _grant(self, chats: list[int], paid: bool) -> tuple[bool, float, list[float]]:
        keys = [self.pause_key, *self.lane_keys[paid], *(f"{self.base}:chat:{chat}" for chat in chats)]
        while True:
            try:
                answer = await self._grant_script(keys=keys, args=self.lane_args[paid])
            except RedisError:
                # Without Redis no grant is safe: the sends wait rather than break the limit.
                if not self.redis_down:
                    log.warning("Redis is not answering: sends wait until it does")
                    self.redis_down = True
                await asyncio.sleep(_REDIS_RETRY)
                continue
            if self.redis_down:
                log.warning("Redis answers again: sends go on")
                self.redis_down = False
            paused, wait, *answers = answer
            return bool(paused), wait / 1e6, [us / 1e6 for us in answers]

    async def pause(self, seconds: float) -> None:
        try:
            left = await self._pause_script(keys=[self.pause_key], args=[round(seconds * 1e6)]) / 1e6
        except RedisError:
            # The other workers meet the 429 themselves; this one at least honours it.
            log.warning("Redis is not answering: the 429 pauses this worker only")
            left = seconds
        self._paused(left)

    async def close(self) -> None:
        await super().close()
        await self.redis.aclose()


def make_limiter(redis_url: str | None, bot_id: int, limits: Limits) -> SendLimiter:
    """Redis when configured (any number of workers), else memory (one process only)."""
    if redis_url:
        return RedisLimiter.from_url(redis_url, bot_id, limits)
    return LocalLimiter(limits)
