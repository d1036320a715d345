"""The gettext catalogs beside this file, read with the standard library so the command line and the
delivery worker need not load aiogram. The bot's handlers use aiogram's I18n over the same catalogs.

Only a MessageId is ever translated: what people wrote (a teacher's comment "Test", a period named
"Save") is text, not a message id, and reaches the reader exactly as written.
"""

import gettext
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


class MessageId(str):
    """A message of the catalog (what N_() marks): translated where it is shown."""

    __slots__ = ()


@cache
def catalog(locale: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALES_DIR, [locale], fallback=True)


def translate(message: str, locale: str, **params: Any) -> str:
    """Translate a message id and fill its parameters in the reader's language: a MessageId is
    translated (never a text because it happens to equal one), a date reads as words ("25 ноября"),
    a fraction with the locale's decimal sign ("4,25")."""
    texts = catalog(locale)
    filled = {k: shown(v, locale) for k, v in params.items()}
    text = texts.gettext(message)
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
