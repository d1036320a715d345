"""Per-update middlewares: the database session, who is writing, and their language."""

import gettext
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.fsm.context import FSMContext
from aiogram.types import Chat, Message, TelegramObject, Update, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.account import CHOSEN_LOCALE
from locales.i18n import LOCALES, addressed, informal_reader
from services.linking import reachable_again
from services.roles import Viewer, load_viewer

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class PrivateChatsOnlyMiddleware(BaseMiddleware):
    """The diary lives in private chats. An update from a group (or from no chat at all) reaches no
    handler and no database: a command there gets one line saying so, anything else silence."""

    def __init__(self, i18n: I18n) -> None:
        self.i18n = i18n

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat: Chat | None = data.get("event_chat")
        if chat is not None and chat.type == ChatType.PRIVATE:
            return await handler(event, data)
        assert isinstance(event, Update)
        user: User | None = data.get("event_from_user")
        code = ((user.language_code if user else None) or "").split("-")[0].lower()
        text = self.i18n.gettext(
            "I work in private messages only, so that nobody else reads a child's diary. Write to me directly.",
            locale=code if code in LOCALES else self.i18n.default_locale,
        )
        if event.message is not None and (event.message.text or "").startswith("/"):
            await event.message.answer(text)
        elif event.callback_query is not None:
            await event.callback_query.answer(text, show_alert=True)
        return None


class DbSessionMiddleware(BaseMiddleware):
    """One session per update. Services only flush; the error middleware inside commits once when
    the handler returns, and anything left open when the session closes is rolled back."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.sessionmaker() as session:
            data["session"] = session
            return await handler(event, data)


class ViewerMiddleware(BaseMiddleware):
    """Loads the Telegram account, its person and roles; authorization itself is in services."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None:
            viewer = data["viewer"] = await load_viewer(data["session"], user.id)
            # Someone who writes to the bot can be written to: a send that failed once (the chat
            # not found, the bot blocked and unblocked) no longer holds their pushes back.
            await reachable_again(data["session"], viewer)
        return await handler(event, data)


class AddressedTranslations(gettext.NullTranslations):
    """A catalog that speaks to a school's student as «ты» (locales/i18n.addressed)."""

    def __init__(self, texts: gettext.NullTranslations) -> None:
        super().__init__()
        self.texts = texts
        self.add_fallback(texts)  # whatever else is asked of a catalog (pgettext, …) is the catalog's own

    def gettext(self, message: str) -> str:
        return addressed(self.texts, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return addressed(self.texts, msgid1, msgid2, n)


def addressed_i18n(path: Path, default_locale: str, domain: str) -> I18n:
    """aiogram's I18n over catalogs that speak to a school's student as «ты». The catalogs are wrapped,
    not the class: aiogram finds the update's I18n by its class (a subclass would not be found)."""
    i18n = I18n(path=path, default_locale=default_locale, domain=domain)
    i18n.locales = {
        locale: cast(gettext.GNUTranslations, AddressedTranslations(texts)) for locale, texts in i18n.locales.items()
    }
    return i18n


class LocaleMiddleware(I18nMiddleware):
    """The account's stored language, else Telegram's when it is ru or en, else the school's; a school's
    student is spoken to as «ты» for the whole update."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        viewer: Viewer | None = data.get("viewer")
        token = informal_reader.set(viewer is not None and viewer.spoken_to_informally)
        try:
            return await super().__call__(handler, event, data)
        finally:
            informal_reader.reset(token)

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        viewer: Viewer | None = data.get("viewer")
        if viewer is not None and viewer.account is not None and viewer.account.locale in LOCALES:
            return viewer.account.locale
        state: FSMContext | None = data.get("state")
        if viewer is not None and viewer.account is None and state is not None:
            chosen = (await state.get_data()).get(CHOSEN_LOCALE)
            if chosen in LOCALES:
                return str(chosen)
        user: User | None = data.get("event_from_user")
        if user is not None and user.language_code:
            code = user.language_code.split("-")[0].lower()
            if code in LOCALES:
                return code
        if viewer is not None and viewer.school is not None:
            return viewer.school.locale
        return self.i18n.default_locale


class CommandLeavesDialogMiddleware(BaseMiddleware):
    """A command ends whatever the bot was waiting for (a topic, homework, a note): the next
    free text must not land in a dialog the person has left. Drafts in the state data stay."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        state = data.get("state")
        if isinstance(event, Message) and (event.text or "").startswith("/") and state is not None:
            await state.set_state(None)
            data["raw_state"] = None  # what the state filters read, taken before this ran
        return await handler(event, data)
