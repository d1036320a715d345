"""/start (with or without a link code) and /help."""

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.account import CHOSEN_LOCALE
from handlers.callbacks import LinkConfirmCb
from handlers.keyboards import consent_keyboard, link_confirm_keyboard
from handlers.miniapp import offer_menu_button
from handlers.render import consent_text, greeting, menu_text, sync_chat_commands
from locales.i18n import informal_reader
from services import family, link_codes, linking
from services.errors import N_
from services.roles import Role, Viewer
from views.words import Phrase, pgettext, say, voice_for

log = logging.getLogger(__name__)


PENDING_CODE = "pending_code"  # a code waiting for the person's yes to replace a link
# A student is greeted by first name as the student of his class: «ты» in a school, «вы» in a
# college (views/words.py), never by name and patronymic as «обучающийся».
STUDENT_GREETING = Phrase(
    N_("Hello, {name}! You are signed in as a student of {cls}."),
    pgettext("female", "Hello, {name}! You are signed in as a student of {cls}."),
    pgettext("informal", "Hello, {name}! You are signed in as a student of {cls}."),
    pgettext("informal male", "Hello, {name}! You are signed in as a student of {cls}."),
    pgettext("informal female", "Hello, {name}! You are signed in as a student of {cls}."),
)


async def start_with_code(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    state: FSMContext,
    miniapp_url: str | None = None,
) -> None:
    await link_with(message, command.args or "", session, bot, i18n, state, confirmed=False, miniapp_url=miniapp_url)


async def link_with(
    message: Message,
    code: str,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    state: FSMContext,
    *,
    confirmed: bool,
    miniapp_url: str | None = None,
) -> None:
    """Link with the code; a link that would replace someone is asked about first, by name."""
    user = message.chat  # a private chat: its id is the user's
    data = await state.get_data()
    chosen = data.get(CHOSEN_LOCALE)  # a language picked before linking
    result = await linking.link(
        session,
        telegram_user_id=user.id,
        code_text=code,
        language_code=chosen or i18n.current_locale,
        confirmed=confirmed,
    )
    if result.needs_confirmation is not None:
        await state.update_data({PENDING_CODE: code})
        await message.answer(replacement_question(result.needs_confirmation), reply_markup=link_confirm_keyboard())
        return
    await state.update_data({PENDING_CODE: None})
    viewer = result.viewer
    assert viewer is not None and viewer.account is not None
    if viewer.account.locale:
        i18n.current_locale = viewer.account.locale
    if result.replaced_chat_id is not None:
        await tell_replaced(bot, i18n, result, viewer)
    # The rest of this update speaks to the person just linked: «ты» to a school's student from the
    # greeting on (the update came in from someone not yet known).
    informal_reader.set(viewer.spoken_to_informally)
    await sync_chat_commands(bot, message.chat.id, viewer, i18n.current_locale)
    await offer_menu_button(bot, viewer, message.chat.id, miniapp_url)
    await message.answer(await greet(session, viewer, i18n.current_locale))
    if viewer.needs_consent:
        await message.answer(consent_text(), reply_markup=consent_keyboard(accepted=False))
    else:
        await message.answer(menu_text(viewer))


def replacement_question(replacement: linking.Replacement) -> str:
    lines = []
    if replacement.current is not None:
        lines.append(
            _("This Telegram account is signed in as {current}. Sign in as {incoming} instead?").format(
                current=replacement.current.full_name, incoming=replacement.incoming.full_name
            )
        )
    if replacement.linked_elsewhere:
        lines.append(
            _("{incoming} is signed in from another Telegram account; that account will be signed out.").format(
                incoming=replacement.incoming.full_name
            )
        )
    return "\n".join(lines)


async def tell_replaced(bot: Bot, i18n: I18n, result: linking.LinkResult, viewer: Viewer) -> None:
    """The account that lost the link is told so, in its own language; its menu goes too."""
    assert result.replaced_chat_id is not None and viewer.person is not None
    locale = result.replaced_locale or i18n.current_locale
    await sync_chat_commands(bot, result.replaced_chat_id, None, locale)
    text = i18n.gettext(
        "{name} signed in to the school diary from another Telegram account, so this one is signed out. "
        "If it was not you, tell the school administrator.",
        locale=locale,
    ).format(name=viewer.person.full_name)
    try:
        await bot.send_message(result.replaced_chat_id, text)
    except TelegramAPIError:  # the old account may have blocked the bot; the link stands
        log.warning("could not tell chat %s it was signed out", result.replaced_chat_id)


async def link_confirmed(
    query: CallbackQuery,
    callback_data: LinkConfirmCb,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    state: FSMContext,
    miniapp_url: str | None = None,
) -> None:
    assert isinstance(query.message, Message)
    code = (await state.get_data()).get(PENDING_CODE)
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    if not callback_data.confirm or not code:
        await state.update_data({PENDING_CODE: None})
        await query.message.answer(_("Nothing changed: the account stays as it was."))
        return
    await link_with(query.message, code, session, bot, i18n, state, confirmed=True, miniapp_url=miniapp_url)


async def code_alone(
    message: Message,
    viewer: Viewer,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    state: FSMContext,
    miniapp_url: str | None = None,
) -> None:
    """A newcomer who sends the code without /start means the same."""
    await link_with(message, message.text or "", session, bot, i18n, state, confirmed=False, miniapp_url=miniapp_url)


def unlinked_code(message: Message, viewer: Viewer) -> bool:
    return not viewer.linked and link_codes.looks_like_code(message.text or "")


async def start(message: Message, session: AsyncSession, viewer: Viewer, bot: Bot, i18n: I18n) -> None:
    if viewer.linked:
        await message.answer(await greet(session, viewer, i18n.current_locale))
        # Writing /start again is how a person who had blocked the bot comes back.
        await sync_chat_commands(bot, message.chat.id, viewer, i18n.current_locale)
    await message.answer(menu_text(viewer))


async def greet(session: AsyncSession, viewer: Viewer, locale: str) -> str:
    """Staff and parents by name and patronymic with their roles; a student as his school speaks to him."""
    person = viewer.person
    if viewer.roles != {Role.STUDENT} or person is None or viewer.school is None:
        return greeting(viewer)
    voice = voice_for(own=True, college=viewer.school.kind == "college")
    sex = family.sex_of(person.sex, person.middle_name)
    cls = await family.own_class_name(session, viewer) or ""
    return say(STUDENT_GREETING, locale, voice, sex, name=person.first_name, cls=cls)


async def help_(message: Message, viewer: Viewer) -> None:
    await message.answer(menu_text(viewer))


def make_router() -> Router:
    router = Router(name="start")
    router.message.register(start_with_code, CommandStart(deep_link=True))
    router.callback_query.register(link_confirmed, LinkConfirmCb.filter())
    router.message.register(start, CommandStart())
    router.message.register(help_, Command("help"))
    router.message.register(code_alone, StateFilter(None), unlinked_code)
    return router
