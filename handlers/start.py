"""/start (with or without a link code) and /help."""

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.account import CHOSEN_LOCALE
from handlers.keyboards import consent_keyboard
from handlers.render import consent_text, greeting, menu_text, sync_chat_commands
from services import linking
from services.roles import Viewer


async def start_with_code(
    message: Message, command: CommandObject, session: AsyncSession, bot: Bot, i18n: I18n, state: FSMContext
) -> None:
    assert message.from_user is not None
    chosen = (await state.get_data()).get(CHOSEN_LOCALE)  # a language picked before linking
    result = await linking.link(
        session,
        telegram_user_id=message.from_user.id,
        code_text=command.args or "",
        language_code=chosen or message.from_user.language_code,
    )
    viewer = result.viewer
    assert viewer.account is not None
    if viewer.account.locale:
        i18n.current_locale = viewer.account.locale
    if result.replaced_chat_id is not None:
        await sync_chat_commands(bot, result.replaced_chat_id, None, i18n.current_locale)
    await sync_chat_commands(bot, message.chat.id, viewer, i18n.current_locale)
    await message.answer(greeting(viewer))
    if viewer.needs_consent:
        await message.answer(consent_text(), reply_markup=consent_keyboard(accepted=False))
    else:
        await message.answer(menu_text(viewer))


async def start(message: Message, session: AsyncSession, viewer: Viewer, bot: Bot, i18n: I18n) -> None:
    await linking.reachable_again(session, viewer)
    if viewer.linked:
        await message.answer(greeting(viewer))
        # Writing /start again is how a person who had blocked the bot comes back.
        await sync_chat_commands(bot, message.chat.id, viewer, i18n.current_locale)
    await message.answer(menu_text(viewer))


async def help_(message: Message, viewer: Viewer) -> None:
    await message.answer(menu_text(viewer))


def make_router() -> Router:
    router = Router(name="start")
    router.message.register(start_with_code, CommandStart(deep_link=True))
    router.message.register(start, CommandStart())
    router.message.register(help_, Command("help"))
    return router
