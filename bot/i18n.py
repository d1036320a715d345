"""gettext catalogs (locales/) and the helpers that translate domain messages."""

from pathlib import Path
from typing import Any

from aiogram.utils.i18n import I18n

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LOCALE = "ru"
LOCALES = ("ru", "en")

i18n = I18n(path=LOCALES_DIR, default_locale=DEFAULT_LOCALE, domain="messages")


def translate(message: str, locale: str | None = None, **params: Any) -> str:
    """Translate a message id and fill its parameters; text parameters are message ids too."""
    filled = {k: i18n.gettext(v, locale=locale) if isinstance(v, str) else v for k, v in params.items()}
    text = i18n.gettext(message, locale=locale)
    return text.format(**filled) if filled else text
