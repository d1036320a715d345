"""Each update handled once, and one chat's updates one at a time, across every web process.

Telegram sends an update again when it was not answered 200, and sends different chats' updates
(and sometimes one chat's quick taps) on parallel connections. Several web processes share Redis:
a key per update_id says it is taken or done, and a lock per chat makes two taps on one attendance
sheet wait for each other instead of racing. Without Redis (one process) the same is kept in memory.
"""

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, Update, User
from aiogram.utils.i18n import I18n

from bot.middlewares import Handler
from handlers.errors import OUTCOME
from locales.i18n import LOCALES

log = logging.getLogger(__name__)

# A process that took an update and died leaves it "taken" this long; Telegram's retry then gets it.
TAKEN_SECONDS = 120
DONE_SECONDS = 24 * 3600  # Telegram keeps retrying an update for a day at most
# One update's handling never takes this long; a lock left by a dead process frees itself.
CHAT_LOCK_SECONDS = 60


class GateUnavailable(Exception):
    """The shared store (Redis) does not answer: the update cannot be handled safely now."""


class UpdateGate(Protocol):
    def turn(self, update_id: int, chat_id: int | None) -> Any:
        """An async context manager yielding False for an update taken before (skip it), else
        True with the chat's turn held; on leaving, the update is marked done, or freed for
        Telegram's retry if the block raised."""

    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class ChatLocks:
    """asyncio locks per chat, dropped when nobody holds or waits for them."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    @asynccontextmanager
    async def turn(self, chat_id: int | None) -> AsyncIterator[None]:
        if chat_id is None:  # not a chat's update: nothing to keep in order
            yield
            return
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._users[chat_id] = self._users.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[chat_id] -= 1
            if not self._users[chat_id]:
                del self._users[chat_id], self._locks[chat_id]


class MemoryGate:
    """One process: the updates seen lately, and the chats' locks, in memory."""

    def __init__(self, remember: int = 10_000) -> None:
        self._seen: OrderedDict[int, bool] = OrderedDict()
        self._remember = remember
        self._chats = ChatLocks()

    @asynccontextmanager
    async def turn(self, update_id: int, chat_id: int | None) -> AsyncIterator[bool]:
        if update_id in self._seen:
            yield False
            return
        self._seen[update_id] = False
        while len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        try:
            async with self._chats.turn(chat_id):
                yield True
        except BaseException:
            self._seen.pop(update_id, None)  # Telegram sends it again: let that one through
            raise
        self._seen[update_id] = True

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


# Taking an update and its chat's lock is one round trip to Redis, and so is leaving them: the
# gate's four round trips of an update were a tenth of a tap's time.
ENTER = """
if not redis.call('SET', KEYS[1], 'taken', 'NX', 'EX', ARGV[2]) then return 0 end
if KEYS[2] == KEYS[1] or redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[3]) then return 1 end
return 2
"""
LOCK = "return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0"
LEAVE = """
local ours = 0
if KEYS[2] ~= KEYS[1] and redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
  ours = 1
end
if ARGV[2] == 'done' then redis.call('SET', KEYS[1], 'done', 'EX', ARGV[3]) else redis.call('DEL', KEYS[1]) end
return ours
"""
DUPLICATE, CHAT_BUSY = 0, 2  # what ENTER returns besides 1, taken with the chat's turn
LOCK_POLL_SECONDS = 0.02


class RedisGate:
    """Several processes: a key per update_id (SET NX) and a lock per chat holding a token of its
    own, so a lock that expired and was taken by another process is not freed by this one."""

    def __init__(self, url: str, bot_id: int) -> None:
        from bot.redis_client import connect

        self.redis = connect(url)  # a dead pooled connection is tried again, after a Redis restart
        self.prefix = f"diary:{bot_id}"
        self._local = ChatLocks()  # the process's own taps queue here, not by polling Redis
        self._enter = self.redis.register_script(ENTER)
        self._lock = self.redis.register_script(LOCK)
        self._leave = self.redis.register_script(LEAVE)

    async def _call(self, coro: Any) -> Any:
        from redis.exceptions import RedisError

        try:
            return await coro
        except (RedisError, OSError) as error:  # refused, timed out, or something else on Redis's port
            raise GateUnavailable(str(error)) from None

    @asynccontextmanager
    async def turn(self, update_id: int, chat_id: int | None) -> AsyncIterator[bool]:
        update_key = f"{self.prefix}:update:{update_id}"
        # Without a chat the lock's key is the update's own: the scripts then take no lock.
        keys = [update_key, f"{self.prefix}:chat:{chat_id}" if chat_id is not None else update_key]
        token = uuid.uuid4().hex
        lock_ms = CHAT_LOCK_SECONDS * 1000
        async with self._local.turn(chat_id):
            entered = await self._call(self._enter(keys, [token, TAKEN_SECONDS, lock_ms]))
            if entered == DUPLICATE:
                yield False
                return
            try:
                if entered == CHAT_BUSY:  # the chat's previous update is under way in another process
                    await self._wait_for_chat(keys[1], token, lock_ms)
                yield True
            except BaseException:
                await self._leave_quietly(keys, token, "release")
                raise
            await self._leave_quietly(keys, token, "done")

    async def _wait_for_chat(self, key: str, token: str, lock_ms: int) -> None:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + CHAT_LOCK_SECONDS
        while not await self._call(self._lock([key], [token, lock_ms])):
            if loop.time() > give_up:
                raise GateUnavailable("chat lock not acquired")
            await asyncio.sleep(LOCK_POLL_SECONDS)

    async def _leave_quietly(self, keys: list[str], token: str, outcome: str) -> None:
        try:
            ours = await self._call(self._leave(keys, [token, outcome, DONE_SECONDS]))
        except GateUnavailable:
            log.warning("an update's gate keys could not be %s", "marked done" if outcome == "done" else "freed")
            return
        if keys[1] != keys[0] and not ours:
            log.warning("chat lock expired before its update was handled")

    async def ping(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except Exception:
            return False

    async def close(self) -> None:
        await self.redis.aclose()


class OnceInOrderMiddleware(BaseMiddleware):
    """The first update middleware: a repeated update_id reaches nothing; one chat's updates go one
    at a time. If the shared store is down the person is asked to try again in a minute."""

    def __init__(self, gate: UpdateGate, i18n: I18n) -> None:
        self.gate = gate
        self.i18n = i18n

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        chat: Chat | None = data.get("event_chat")
        try:
            async with self.gate.turn(event.update_id, chat.id if chat else None) as first:
                if not first:
                    log.info("update %s already handled or under way: skipped", event.update_id)
                    data[OUTCOME] = "duplicate"
                    return None
                return await handler(event, data)
        except GateUnavailable:
            return await self.try_again_later(event, data)

    async def try_again_later(self, event: Update, data: dict[str, Any]) -> None:
        user: User | None = data.get("event_from_user")
        code = ((user.language_code if user else None) or "").split("-")[0].lower()
        text = self.i18n.gettext(
            "The diary is briefly unavailable. Nothing was changed: please try again in a minute.",
            locale=code if code in LOCALES else self.i18n.default_locale,
        )
        log.warning("shared store unavailable: update %s answered with try-again", event.update_id)
        data[OUTCOME] = "unavailable"
        try:
            if event.callback_query is not None:
                await event.callback_query.answer(text, show_alert=True)
            elif event.message is not None and event.message.chat.type == "private":
                await event.message.answer(text)
        except Exception:  # Telegram unreachable too: nothing more to do for this update
            log.warning("could not tell the user to try again")
        return None
