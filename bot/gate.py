"""Each update handled once, and one chat's updates one at a time, across every web process.

Telegram sends an update again when it was not answered 200, and sends different chats' updates
(and sometimes one chat's quick taps) on parallel connections. Several web processes share Redis:
a key per update_id says it is taken or done, and a lock per chat makes two taps on one attendance
sheet wait for each other instead of racing. Without Redis (one process) the same is kept in memory.
"""

import asyncio
import logging
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
    async def take(self, update_id: int) -> bool: ...
    async def done(self, update_id: int) -> None: ...
    async def release(self, update_id: int) -> None: ...
    def chat_turn(self, chat_id: int) -> Any: ...  # an async context manager
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class ChatLocks:
    """asyncio locks per chat, dropped when nobody holds or waits for them."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    @asynccontextmanager
    async def turn(self, chat_id: int) -> AsyncIterator[None]:
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

    async def take(self, update_id: int) -> bool:
        if update_id in self._seen:
            return False
        self._seen[update_id] = False
        while len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        return True

    async def done(self, update_id: int) -> None:
        self._seen[update_id] = True

    async def release(self, update_id: int) -> None:
        self._seen.pop(update_id, None)

    def chat_turn(self, chat_id: int) -> Any:
        return self._chats.turn(chat_id)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class RedisGate:
    """Several processes: SET NX per update_id, and redis-py's lock per chat (a token-checked
    release, so a lock that expired and was taken by another process is not freed by this one)."""

    def __init__(self, url: str, bot_id: int) -> None:
        from bot.redis_client import connect

        self.redis = connect(url)  # a dead pooled connection is tried again, after a Redis restart
        self.prefix = f"diary:{bot_id}"
        self._local = ChatLocks()  # the process's own taps queue here, not by polling Redis

    async def _call(self, coro: Any) -> Any:
        from redis.exceptions import LockError, RedisError

        try:
            return await coro
        except LockError:
            raise
        except (RedisError, OSError) as error:  # refused, timed out, or something else on Redis's port
            raise GateUnavailable(str(error)) from None

    async def take(self, update_id: int) -> bool:
        key = f"{self.prefix}:update:{update_id}"
        return bool(await self._call(self.redis.set(key, "taken", nx=True, ex=TAKEN_SECONDS)))

    async def done(self, update_id: int) -> None:
        await self._call(self.redis.set(f"{self.prefix}:update:{update_id}", "done", ex=DONE_SECONDS))

    async def release(self, update_id: int) -> None:
        await self._call(self.redis.delete(f"{self.prefix}:update:{update_id}"))

    @asynccontextmanager
    async def chat_turn(self, chat_id: int) -> AsyncIterator[None]:
        async with self._local.turn(chat_id):
            lock = self.redis.lock(
                f"{self.prefix}:chat:{chat_id}",
                timeout=CHAT_LOCK_SECONDS,
                sleep=0.02,
                blocking_timeout=CHAT_LOCK_SECONDS,
            )
            if not await self._call(lock.acquire()):
                raise GateUnavailable("chat lock not acquired")
            try:
                yield
            finally:
                from redis.exceptions import LockError

                try:
                    await self._call(lock.release())
                except LockError:  # expired meanwhile: nothing of ours to free
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
            if not await self.gate.take(event.update_id):
                log.info("update %s already handled or under way: skipped", event.update_id)
                data[OUTCOME] = "duplicate"
                return None
        except GateUnavailable:
            return await self.try_again_later(event, data)
        try:
            if chat is None:
                result = await handler(event, data)
            else:
                async with self.gate.chat_turn(chat.id):
                    result = await handler(event, data)
        except GateUnavailable:
            await self._forget(event.update_id)
            return await self.try_again_later(event, data)
        except BaseException:
            await self._forget(event.update_id)  # Telegram sends it again: let that one through
            raise
        try:
            await self.gate.done(event.update_id)
        except GateUnavailable:
            log.warning("update %s handled, but not marked done", event.update_id)
        return result

    async def _forget(self, update_id: int) -> None:
        try:
            await self.gate.release(update_id)
        except GateUnavailable:
            log.warning("update %s could not be released for a retry", update_id)

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
