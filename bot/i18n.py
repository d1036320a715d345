"""The gettext catalogs in locales/, read with the standard library so the CLI need not load aiogram.

The bot itself uses aiogram's I18n over the same compiled catalogs (bot/app.py).
"""

import gettext
from functools import cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
DEFAULT_LOCALE = "ru"
LOCALES = ("ru", "en")


@cache
def catalog(locale: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALES_DIR, [locale], fallback=True)


def translate(message: str, locale: str, **params: Any) -> str:
    """Translate a message id and fill its parameters; text parameters are message ids too."""
    texts = catalog(locale)
    # An empty string is the catalog's header in gettext, never a message.
    filled = {k: texts.gettext(v) if isinstance(v, str) and v else v for k, v in params.items()}
    text = texts.gettext(message)
    return text.format(**filled) if filled else text


def translate_plural(singular: str, plural: str, n: int, locale: str) -> str:
    return catalog(locale).ngettext(singular, plural, n)
