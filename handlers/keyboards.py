"""Inline keyboards built from the typed callback data."""

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.callbacks import ConsentCb, LanguageCb, LogoutCb


def consent_keyboard(*, accepted: bool) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if accepted:
        kb.button(text=_("Withdraw consent"), callback_data=ConsentCb(accept=False))
    else:
        kb.button(text=_("Accept"), callback_data=ConsentCb(accept=True))
        kb.button(text=_("Decline"), callback_data=ConsentCb(accept=False))
    return kb.as_markup()


def language_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text="Русский", callback_data=LanguageCb(locale="ru"))
    kb.button(text="English", callback_data=LanguageCb(locale="en"))
    return kb.as_markup()


def logout_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, unlink"), callback_data=LogoutCb(confirm=True))
    kb.button(text=_("Cancel"), callback_data=LogoutCb(confirm=False))
    return kb.as_markup()
