"""What the bot says to anything no other handler took: never silence."""

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

router = Router(name="fallback")


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(_("I do not know this command. /help lists what you can do."))


@router.message()
async def anything_else(message: Message) -> None:
    await message.answer(_("I did not understand. /help lists what you can do."))


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer active. Send /help."), show_alert=True)
