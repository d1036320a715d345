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


class JsonSession(AiohttpSession):
    """The Bot API takes a JSON body as well as a form. A JSON body skips aiohttp's form and
    urlencoding, a third of the cost of a send; a request with a file still goes as multipart.

    It also keeps each `Response[...]` type it meets: pydantic caches parametrized generics only
    weakly, and aiogram would otherwise build the class anew for many of its calls."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("json_loads", orjson.loads)
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
