"""The gettext catalogs beside this file, read with the standard library so the command line and the
delivery worker need not load aiogram. The bot's handlers use aiogram's I18n over the same catalogs.

Only a MessageId is ever translated: what people wrote (a teacher's comment "Test", a period named
"Save") is text, not a message id, and reaches the reader exactly as written.
"""

import gettext
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).resolve().parent
DOMAIN = "messages"
DEFAULT_LOCALE = "ru"
LOCALES = ("ru", "en")


# A school's student is spoken to as «ты» (a college's, and every adult, as «вы»): the bot's screens
# look up a message's "informal" form first while this is set for the update (views/informal.py lists
# the messages that have one), and take the usual one where there is none.
INFORMAL = "informal"
informal_reader: ContextVar[bool] = ContextVar("informal_reader", default=False)


class MessageId(str):
    """A message of the catalog (what N_() marks): translated where it is shown."""

    __slots__ = ()


@cache
def catalog(locale: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALES_DIR, [locale], fallback=True)


def addressed(texts: gettext.NullTranslations, message: str, plural: str | None = None, n: int = 1) -> str:
    """The message as this reader is spoken to: its «ты» form for a school's student where it has one."""
    if informal_reader.get():
        found = texts.pgettext(INFORMAL, message) if plural is None else texts.npgettext(INFORMAL, message, plural, n)
        if found not in (message, plural):
            return found
    return texts.gettext(message) if plural is None else texts.ngettext(message, plural, n)


def translate(message: str, locale: str, **params: Any) -> str:
    """Translate a message id and fill its parameters in the reader's language: a MessageId is
    translated (never a text because it happens to equal one), a date reads as words ("25 ноября"),
    a fraction with the locale's decimal sign ("4,25")."""
    texts = catalog(locale)
    filled = {k: shown(v, locale) for k, v in params.items()}
    text = addressed(texts, message)
    return text.format(**filled) if filled else text


def shown(value: Any, locale: str) -> Any:
    """A parameter as the reader sees it."""
    if isinstance(value, MessageId) and value:
        return catalog(locale).gettext(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return day_in_words(value, locale)
    if isinstance(value, float):
        return format_decimal(value, "0.00", locale=locale)
    return value


def day_in_words(day: date, locale: str) -> str:
    """25 ноября; with the year when it is not this year's (12 января 2027)."""
    return format_date(day, "d MMMM" if day.year == date.today().year else "d MMMM y", locale=locale)


def translate_plural(singular: str, plural: str, n: int, locale: str) -> str:
    return catalog(locale).ngettext(singular, plural, n)
