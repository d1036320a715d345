"""The buttons that open the Mini App: the chat's menu button and a button under /today and /grades."""

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, WebAppInfo
from aiogram.utils.i18n import gettext as _

from services.roles import Viewer

log = logging.getLogger(__name__)

# Chats whose menu button this process has set: once is enough (Telegram keeps it).
_menu_set: set[int] = set()


async def offer_menu_button(bot: Bot, viewer: Viewer, chat_id: int, url: str | None) -> None:
    """A linked person's private chat gets the diary as its menu button, in their language."""
    if not url or not viewer.linked or chat_id in _menu_set:
        return
    try:
        await bot.set_chat_menu_button(
            chat_id=chat_id, menu_button=MenuButtonWebApp(text=_("Diary"), web_app=WebAppInfo(url=url))
        )
        _menu_set.add(chat_id)
    except TelegramAPIError as error:  # a wrong MINIAPP_URL must not cost the person their /today
        log.warning("could not set the Mini App menu button: %s", error)


def with_open_button(markup: InlineKeyboardMarkup | None, url: str | None, text: str) -> InlineKeyboardMarkup | None:
    """The markup with a last row that opens the Mini App (when MINIAPP_URL is set)."""
    if not url:
        return markup
    rows = list(markup.inline_keyboard) if markup is not None else []
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [InlineKeyboardButton(text=text, web_app=WebAppInfo(url=url))]])
