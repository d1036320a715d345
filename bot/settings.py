"""Settings from the environment and `.env`; a bad value stops start-up with one clear line."""

import os
import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from locales.i18n import DEFAULT_LOCALE, LOCALES, translate
from services.errors import N_
from services.tunables import Tunables

TELEGRAM_API_DEFAULT = "https://api.telegram.org"
TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
EXPECTED = {
    "BOT_TOKEN": N_("the token from @BotFather, like 123456789:AAH…"),
    "DATABASE_URL": N_(
        "an SQLAlchemy async URL: sqlite+aiosqlite:///./diary.db or postgresql+asyncpg://user:password@host/db"
    ),
    "TELEGRAM_API_URL": N_("an http(s) URL of a Bot API server, e.g. https://api.telegram.org"),
    "REDIS_URL": N_("a redis:// URL, e.g. redis://127.0.0.1:6379/0"),
    "LOG_LEVEL": N_("one of DEBUG, INFO, WARNING, ERROR"),
    "LINK_CODE_DAYS": N_("a whole number of days from 1 to 365"),
    "LOCALE": N_("ru or en"),
    "DELIVERY_RATE": N_("messages a second, a number above 0 (Telegram allows about 30)"),
    "GRACE_MINUTES": N_("minutes from 0 to 60, e.g. 3"),
    "DELIVERY_LEASE_SECONDS": N_("seconds from 1 to 3600, e.g. 60"),
    "TUTOR_REMINDER_HOUR": N_("an hour of the day from 0 to 23, e.g. 15"),
    "UNEXCUSED_ABSENCE_ALERT": N_("a whole number of absences from 1 to 100, e.g. 5"),
    "LOW_AVERAGE_ALERT": N_("an average from 1 to 100, e.g. 3.0"),
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///./diary.db"
    telegram_api_url: str = TELEGRAM_API_DEFAULT
    redis_url: str | None = None
    log_level: str = "INFO"
    link_code_days: int = Field(default=30, ge=1, le=365)
    # Telegram allows a bot about 30 messages a second in all.
    delivery_rate: float = Field(default=30, gt=0, le=1000)
    # The language of the command line and the fallback when nothing else decides.
    locale: str = "ru"
    # How long a grade, absence or homework push waits, so a correction replaces it.
    grace_minutes: float = Field(default=3, ge=0, le=60)
    # How long a delivery worker holds the pushes it claimed before another may take them.
    delivery_lease_seconds: float = Field(default=60, ge=1, le=3600)
    # From this hour (school time) class teachers are reminded of absences without a reason.
    tutor_reminder_hour: int = Field(default=15, ge=0, le=23)
    # The class teacher is alerted at this many unexplained absences of a student in a period …
    unexcused_absence_alert: int = Field(default=5, ge=1, le=100)
    # … and when a subject's average in the period falls below this.
    low_average_alert: float = Field(default=3.0, ge=1, le=100)

    @field_validator("bot_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("malformed")  # never echo the token itself
        return value

    @field_validator("database_url")
    @classmethod
    def _db(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("unsupported")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("not a URL")
        return value.rstrip("/")

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("not a redis URL")
        return value or None

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("unknown level")
        return value.upper()

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in {"ru", "en"}:
            raise ValueError("unknown locale")
        return value

    def tunables(self) -> Tunables:
        """The numbers the services work by, from these settings."""
        return Tunables(
            grace=timedelta(minutes=self.grace_minutes),
            delivery_lease=timedelta(seconds=self.delivery_lease_seconds),
            tutor_reminder_hour=self.tutor_reminder_hour,
            unexcused_absence_alert=self.unexcused_absence_alert,
            low_average_alert=self.low_average_alert,
        )


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


def describe_error(error: ValidationError, locale: str) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0]).upper() if first["loc"] else "settings"
    expected = EXPECTED.get(name, N_("a valid value"))
    return translate(N_("{name}: expected {expected}."), locale, name=name, expected=expected)


def operator_locale() -> str:
    """The language of a settings error: LOCALE when it is itself right, else Russian."""
    wanted = os.environ.get("LOCALE")
    if wanted is None and Path(".env").exists():
        wanted = dotenv_values(".env").get("LOCALE")
    return wanted if wanted in LOCALES else DEFAULT_LOCALE


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(describe_error(error, operator_locale())) from None
