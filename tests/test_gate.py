"""The update gate (once, in order per chat, across processes) and the state read once an update,
on the machine's Redis; each test under a bot id of its own so parallel runs do not meet."""

import asyncio
import os
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis

from bot.gate import MemoryGate, RedisGate, UpdateGate
from bot.state_storage import ReadOnceRedisStorage, one_update

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def bot_id() -> AsyncIterator[int]:
    bot = random.randint(10**9, 2 * 10**9)
    yield bot
    redis = Redis.from_url(REDIS_URL)
    async for key in redis.scan_iter(f"diary:{bot}:*"):
        await redis.delete(key)
    await redis.aclose()


async def two_gates(kind: str, bot_id: int) -> tuple[UpdateGate, UpdateGate]:
    """Two processes' gates: on Redis two clients; in memory one gate (one process) twice."""
    if kind == "redis":
        return RedisGate(REDIS_URL, bot_id), RedisGate(REDIS_URL, bot_id)
    gate = MemoryGate()
    return gate, gate


@pytest.fixture(params=["redis", "memory"])
async def gates(request: pytest.FixtureRequest, bot_id: int) -> AsyncIterator[tuple[UpdateGate, UpdateGate]]:
    first, second = await two_gates(request.param, bot_id)
    yield first, second
    await first.close()
    await second.close()


async def test_an_update_is_let_through_once(gates: tuple[UpdateGate, UpdateGate]) -> None:
    first, second = gates
    async with first.turn(1, 500) as taken:
        assert taken
        async with second.turn(1, 600) as again:  # Telegram's retry to another process, mid-handling
            assert not again
    async with second.turn(1, 500) as later:
        assert not later, "a handled update is remembered as done"


async def test_an_update_that_failed_is_let_through_again(gates: tuple[UpdateGate, UpdateGate]) -> None:
    first, second = gates
    with pytest.raises(RuntimeError):
        async with first.turn(2, 500) as taken:
            assert taken
            raise RuntimeError("the database went away")
    async with second.turn(2, 500) as retried:
        assert retried, "Telegram's retry of a failed update is handled"


async def test_one_chat_waits_for_its_previous_update_and_others_do_not(
    gates: tuple[UpdateGate, UpdateGate],
) -> None:
    first, second = gates
    order: list[str] = []
    entered = asyncio.Event()

    async def slow_tap() -> None:
        async with first.turn(10, 700):
            entered.set()
            await asyncio.sleep(0.2)
            order.append("first tap done")

    async def quick_tap(update_id: int, chat_id: int, name: str) -> None:
        await entered.wait()
        async with second.turn(update_id, chat_id) as taken:
            assert taken
            order.append(name)

    await asyncio.gather(slow_tap(), quick_tap(11, 700, "second tap"), quick_tap(12, 800, "another chat"))
    assert order == ["another chat", "first tap done", "second tap"]


async def test_an_update_without_a_chat_takes_no_lock(gates: tuple[UpdateGate, UpdateGate]) -> None:
    first, second = gates
    async with first.turn(20, None) as taken, second.turn(21, None) as other:
        assert taken and other


async def test_a_lock_that_expired_and_passed_on_is_not_freed_by_its_first_holder(bot_id: int) -> None:
    gate, redis = RedisGate(REDIS_URL, bot_id), Redis.from_url(REDIS_URL)
    chat = f"diary:{bot_id}:chat:900"
    try:
        async with gate.turn(30, 900):
            await redis.set(chat, "another process's token")  # ours expired; another took the chat
        assert await redis.get(chat) == b"another process's token"
        assert await redis.get(f"diary:{bot_id}:update:30") == b"done"
    finally:
        await gate.close()
        await redis.aclose()


class CountingRedis:
    """The storage's Redis client, counting the commands it is sent."""

    def __init__(self, redis: Redis) -> None:
        self.redis, self.commands = redis, 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.redis, name)
        if not callable(attr):
            return attr

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.commands += 1
            return await attr(*args, **kwargs)

        return counted


async def test_the_state_is_read_once_an_update_and_written_at_once(bot_id: int) -> None:
    first, second = ReadOnceRedisStorage(Redis.from_url(REDIS_URL)), ReadOnceRedisStorage(Redis.from_url(REDIS_URL))
    key = StorageKey(bot_id=bot_id, chat_id=5, user_id=5)
    counting = CountingRedis(first.redis)
    first.redis = counting  # type: ignore[assignment]
    try:
        await second.set_state(key, "Grades:typing")
        await second.set_data(key, {"att:1": {"7": "absent"}})
        async with one_update():
            assert await first.get_state(key) == "Grades:typing"
            draft = await first.get_data(key)
            draft["att:1"]["8"] = "late"  # the caller's copy: what is kept does not change
            assert await first.get_data(key) == {"att:1": {"7": "absent"}}
            assert counting.commands == 1, "state and data in one round trip"
            await first.set_data(key, draft)
            await first.set_state(key, None)
            assert counting.commands == 3, "each write at once"
            assert await first.get_data(key) == draft and await first.get_state(key) is None
            assert counting.commands == 3
            assert await second.get_data(key) == draft, "another process sees the write"
        async with one_update():
            await second.set_data(key, {})  # another update, elsewhere
            assert await first.get_data(key) == {}, "a new update reads afresh"
        assert await first.get_state(key) is None  # outside an update: aiogram's own reads
    finally:
        await first.close()
        await second.close()
