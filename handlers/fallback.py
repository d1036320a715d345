"""What the bot says to anything no other handler took: never silence."""

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _


async def unknown_command(message: Message) -> None:
    await message.answer(_("I do not know this command. /help lists what you can do."))


async def anything_else(message: Message) -> None:
    await message.answer(_("I did not understand. /help lists what you can do."))


async def stale_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer active. Send /help."), show_alert=True)


def make_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(anything_else)
    router.callback_query.register(stale_button)
    return router
