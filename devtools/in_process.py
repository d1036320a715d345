"""The emulator answered in process: the bot's requests go straight to `Emulator.call` and the
updates people make are fed to the dispatcher one by one, with no HTTP and no long poll.

For tests whose subject is the bot's behaviour, not its transport; delivery and the end-to-end tests
keep the real HTTP path.
"""

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any, cast

import orjson
from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile

from devtools.emulator import ApiError, Emulator
from models.db import json_dumps

log = logging.getLogger(__name__)


class InProcessSession(BaseSession):
    """A Bot API session whose every request is answered by the emulator in this process."""

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(json_loads=orjson.loads, json_dumps=json_dumps)
        self.emulator = emulator

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None) -> Any:
        files: dict[str, InputFile] = {}
        params: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False, exclude_none=True).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                params[key] = prepared
        uploads = {name: (await _read(file, bot), file.filename or name) for name, file in files.items()}
        try:
            result = await self.emulator.call(method.__api_method__, params, uploads)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status = error.code
            body = {"ok": False, "error_code": error.code, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
        response = self.check_response(bot=bot, method=method, status_code=status, content=self.json_dumps(body))
        return cast(TelegramType, response.result)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        for stored in self.emulator.files.values():
            if url.endswith(stored.path):
                yield stored.content
                return
        raise FileNotFoundError(url)

    async def close(self) -> None:
        return None


async def _read(file: InputFile, bot: Bot) -> bytes:
    return b"".join([chunk async for chunk in file.read(bot)])


async def feed_updates(emulator: Emulator, dp: Dispatcher, bot: Bot) -> None:
    """What the bot's polling would do, in order and at once: each update people make is handled to
    the end before the next, and marked processed for `Emulator.wait_processed`."""
    while True:
        async with emulator.changed:
            await emulator.changed.wait_for(lambda: bool(emulator.pending) or emulator.closing)
            if emulator.closing:
                return
            update = emulator.pending.pop(0)
        try:
            await dp.feed_raw_update(bot, update)
        except Exception:  # as polling does: one failed update does not stop the next
            log.exception("update %s failed", update["update_id"])
        async with emulator.changed:
            emulator.confirmed = max(emulator.confirmed, update["update_id"])
            emulator.changed.notify_all()


async def start(emulator: Emulator, dp: Dispatcher, bot: Bot) -> "asyncio.Task[None]":
    """The dispatcher's start-up (commands set, as `run` does), then the feeding task."""
    await dp.emit_startup(bot=bot, bots=[bot], dispatcher=dp)
    return asyncio.create_task(feed_updates(emulator, dp, bot))
