"""The gettext catalogs beside this file, read with the standard library so the command line and the
delivery worker need not load aiogram. The bot's handlers use aiogram's I18n over the same catalogs.

Only a MessageId is ever translated: what people wrote (a teacher's comment "Test", a period named
"Save") is text, not a message id, and reaches the reader exactly as written.
"""

import gettext
from functools import cache
from pathlib import Path
from typing import Any

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
    """Translate a message id and fill its parameters; a parameter is translated only when it is a
    MessageId itself, never because its text happens to equal one."""
    texts = catalog(locale)
    filled = {k: texts.gettext(v) if isinstance(v, MessageId) and v else v for k, v in params.items()}
    text = texts.gettext(message)
    return text.format(**filled) if filled else text


def translate_plural(singular: str, plural: str, n: int, locale: str) -> str:
    return catalog(locale).ngettext(singular, plural, n)
