"""The account itself: language, consent (/privacy) and unlinking (/logout)."""

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import ConsentCb, LanguageCb, LogoutCb
from handlers.keyboards import consent_keyboard, language_keyboard, logout_keyboard
from handlers.render import consent_text, menu_text, sync_chat_commands, when
from services import linking
from services.roles import Viewer

CHOSEN_LOCALE = "chosen_locale"  # the conversation's key for a language chosen before linking


async def language(message: Message) -> None:
    await message.answer(_("Choose the language:"), reply_markup=language_keyboard())


async def language_chosen(
    query: CallbackQuery,
    callback_data: LanguageCb,
    session: AsyncSession,
    viewer: Viewer,
    bot: Bot,
    i18n: I18n,
    state: FSMContext,
) -> None:
    assert isinstance(query.message, Message)
    if not await linking.set_locale(session, viewer, callback_data.locale):
        # Someone who never linked has no account row; the choice stays with the conversation.
        await state.update_data({CHOSEN_LOCALE: callback_data.locale})
    i18n.current_locale = callback_data.locale
    await query.answer()
    await query.message.edit_text(_("Language: English"))
    await sync_chat_commands(bot, query.message.chat.id, viewer, callback_data.locale)
    await query.message.answer(menu_text(viewer))


def privacy_status(viewer: Viewer) -> str:
    assert viewer.person is not None
    if viewer.person.consent_at is not None:
        status = _("You accepted on {date}.").format(date=when(viewer.person.consent_at, viewer))
    elif viewer.person.consent_declined_at is not None:
        status = _("You declined or withdrew consent on {date}. Diary data and notifications are off.").format(
            date=when(viewer.person.consent_declined_at, viewer)
        )
    else:
        status = _("You have not answered yet. Diary data and notifications are off until you accept.")
    return f"{consent_text()}\n\n{status}"


async def privacy(message: Message, viewer: Viewer) -> None:
    person = linking.consent_subject(viewer)
    await message.answer(privacy_status(viewer), reply_markup=consent_keyboard(accepted=person.consent_at is not None))


async def consent_answered(
    query: CallbackQuery, callback_data: ConsentCb, session: AsyncSession, viewer: Viewer
) -> None:
    assert isinstance(query.message, Message)
    if callback_data.accept:
        await linking.accept_consent(session, viewer)
        reply = _("Thank you. Your consent is recorded. You can withdraw it any time with /privacy.")
    else:
        await linking.decline_consent(session, viewer)
        reply = _(
            "Understood. Without consent the bot shows no diary data and sends no notifications. "
            "You can change your mind any time with /privacy."
        )
    await query.answer()
    await query.message.edit_text(privacy_status(viewer))
    await query.message.answer(reply)
    await query.message.answer(menu_text(viewer))


async def logout(message: Message, viewer: Viewer) -> None:
    viewer.require_linked()
    await message.answer(
        _("Unlink this Telegram account from the diary? You will need a new code to link it again."),
        reply_markup=logout_keyboard(),
    )


async def logout_confirmed(query: CallbackQuery, session: AsyncSession, viewer: Viewer, bot: Bot, i18n: I18n) -> None:
    assert isinstance(query.message, Message)
    await linking.unlink(session, viewer)
    await query.answer()
    await query.message.edit_text(_("This Telegram account is unlinked. To link again, send /start with a new code."))
    await sync_chat_commands(bot, query.message.chat.id, None, i18n.current_locale)


async def logout_cancelled(query: CallbackQuery) -> None:
    assert isinstance(query.message, Message)
    await query.answer()
    await query.message.edit_text(_("Nothing changed: the account stays linked."))


def make_router() -> Router:
    router = Router(name="account")
    router.message.register(language, Command("language"))
    router.callback_query.register(language_chosen, LanguageCb.filter())
    router.message.register(privacy, Command("privacy"))
    router.callback_query.register(consent_answered, ConsentCb.filter())
    router.message.register(logout, Command("logout"))
    router.callback_query.register(logout_confirmed, LogoutCb.filter(F.confirm))
    router.callback_query.register(logout_cancelled, LogoutCb.filter(~F.confirm))
    return router
