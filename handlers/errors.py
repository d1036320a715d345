"""The one place that turns domain errors into the user's message, and failures into an apology.

It is a middleware inside the locale and session middlewares, so the reply is in the user's
language and a half-done change is rolled back before anything is said.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import translate
from services.errors import DiaryError

log = logging.getLogger(__name__)


async def tell(update: Update, bot: Bot, text: str) -> None:
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        if len(text) <= 200:
            await query.answer(text, show_alert=True)
        else:
            await query.answer()
        await bot.send_message(message.chat.id if message is not None else query.from_user.id, text)
    elif update.message is not None:
        await update.message.answer(text)


class ErrorReplyMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        try:
            return await handler(event, data)
        except DiaryError as error:
            if "session" in data:
                await data["session"].rollback()
            await tell(event, data["bot"], translate(error.message, get_i18n().current_locale, **error.params))
        except Exception:
            log.exception("update %s failed", event.update_id)
            if "session" in data:
                await data["session"].rollback()
            try:
                await tell(
                    event,
                    data["bot"],
                    _("Something went wrong on our side and nothing was saved. Please try again in a minute."),
                )
            except Exception:  # Telegram itself may be what failed
                log.warning("could not tell the user about the failure", exc_info=True)
        return None
