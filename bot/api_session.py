"""The bot's HTTP session: aiogram's aiohttp session, sending requests without files as JSON (orjson)."""

from typing import Any, cast

import orjson
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InputFile
from aiohttp import ClientError, ClientTimeout
from aiohttp.payload import BytesPayload

from models.db import json_dumps


def loads_without_echoed_keyboards(raw: str | bytes) -> Any:
    """JSON from Telegram, without the inline keyboards it echoes back: the message of a pressed
    button (in an update) and the message a send or an edit returns carry the whole keyboard, and
    validating thirty buttons into aiogram's models took a third of an attendance tap's framework
    time. The bot never reads a keyboard back: it always builds the one it shows."""
    data = orjson.loads(raw)
    if isinstance(data, dict):
        if "update_id" in data:  # a webhook's update
            _drop_pressed_keyboard(data)
        elif isinstance(result := data.get("result"), dict):
            result.pop("reply_markup", None)
        elif isinstance(result, list):  # getUpdates
            for update in result:
                if isinstance(update, dict):
                    _drop_pressed_keyboard(update)
    return data


def _drop_pressed_keyboard(update: dict[str, Any]) -> None:
    if isinstance(query := update.get("callback_query"), dict) and isinstance(message := query.get("message"), dict):
        message.pop("reply_markup", None)


class JsonSession(AiohttpSession):
    """The Bot API takes a JSON body as well as a form. A JSON body skips aiohttp's form and
    urlencoding, a third of the cost of a send; a request with a file still goes as multipart.

    It also keeps each `Response[...]` type it meets: pydantic caches parametrized generics only
    weakly, and aiogram would otherwise build the class anew for many of its calls."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("json_loads", loads_without_echoed_keyboards)
        kwargs.setdefault("json_dumps", json_dumps)
        super().__init__(**kwargs)
        self._response_types: dict[Any, Any] = {}

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None) -> Any:
        returning = method.__returning__
        if returning not in self._response_types:
            self._response_types[returning] = Response[returning]  # type: ignore[valid-type]  # a type known only at run time
        files: dict[str, InputFile] = {}
        payload = {}
        for key, value in method.model_dump(warnings=False, exclude_none=True).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                payload[key] = prepared
        if files:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                # A ready payload: aiohttp would otherwise look up a payload type for every request.
                data=BytesPayload(self.json_dumps(payload).encode(), content_type="application/json"),
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        response = self.check_response(bot=bot, method=method, status_code=resp.status, content=raw_result)
        return cast(TelegramType, response.result)
