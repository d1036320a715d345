"""The conversations' state in Redis, read once an update.

aiogram reads a chat's state for every update, and its data again each time a handler asks; a tap
on the attendance sheet read the data twice and the state once, three round trips to Redis. Here
the first read of an update fetches state and data together (MGET) and keeps them until the update
ends; every write goes to Redis at once, as in aiogram, and updates what is kept.
"""

import copy
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import TelegramObject

from bot.middlewares import Handler

# An update's reads, by the chat's key: [state, data]. None outside an update (the CLI, a job).
_read: ContextVar[dict[StorageKey, list[Any]] | None] = ContextVar("state_read", default=None)


@asynccontextmanager
async def one_update() -> AsyncIterator[None]:
    token = _read.set({})
    try:
        yield
    finally:
        _read.reset(token)


class StateReadOncePerUpdate(BaseMiddleware):
    """Before aiogram's state middleware: what the update reads of its chat's state is kept for it."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with one_update():
            return await handler(event, data)


class ReadOnceRedisStorage(RedisStorage):
    async def _kept(self, key: StorageKey) -> list[Any] | None:
        kept = _read.get()
        if kept is None:
            return None
        if key not in kept:
            state, data = await self.redis.mget(
                self.key_builder.build(key, "state"), self.key_builder.build(key, "data")
            )
            kept[key] = [
                state.decode() if isinstance(state, bytes) else state,
                self.json_loads(data.decode() if isinstance(data, bytes) else data) if data is not None else {},
            ]
        return kept[key]

    async def get_state(self, key: StorageKey) -> str | None:
        kept = await self._kept(key)
        if kept is None:
            return await super().get_state(key)
        return kept[0]

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        kept = await self._kept(key)
        if kept is None:
            return await super().get_data(key)
        return copy.deepcopy(kept[1])  # the caller may change what it gets, as aiogram's own

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await super().set_state(key, state)
        if (kept := _read.get()) is not None and key in kept:
            kept[key][0] = state.state if isinstance(state, State) else state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await super().set_data(key, data)
        if (kept := _read.get()) is not None and key in kept:
            kept[key][1] = copy.deepcopy(dict(data))
