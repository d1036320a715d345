"""Settings from the environment and `.env`; a bad value stops start-up with one clear line."""

import hmac
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
    "PAID_BROADCAST_RATE": N_("messages a second from 1 to 1000, or empty for no paid broadcast"),
    "DELIVERY_OUTAGE_HOURS": N_("hours from 1 to 168, e.g. 12"),
    "TUTOR_REMINDER_HOUR": N_("an hour of the day from 0 to 23, e.g. 15"),
    "UNEXCUSED_ABSENCE_ALERT": N_("a whole number of absences from 1 to 100, e.g. 5"),
    "LOW_AVERAGE_ALERT": N_("an average from 1 to 100, e.g. 3.0"),
    "WEBHOOK_URL": N_(
        "the bot's public https:// address for Telegram, e.g. https://diary.school.ru/telegram "
        "(http:// only on 127.0.0.1)"
    ),
    "WEBHOOK_SECRET": N_("1 to 256 characters: Latin letters, digits, _ and -"),
    "WEB_HOST": N_("an address to listen on, e.g. 127.0.0.1 or 0.0.0.0"),
    "WEB_PORT": N_("a port from 1 to 65535, e.g. 8080"),
    "LOG_FORMAT": N_("text or json"),
    "OUTBOX_KEEP_DAYS": N_("a whole number of days from 7 to 3650, e.g. 120"),
    "MINIAPP_URL": N_("the Mini App's public https:// address, e.g. https://diary.school.ru/app/"),
    "MINIAPP_AUTH_HOURS": N_("hours from 1 to 168, e.g. 12"),
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///./diary.db"
    telegram_api_url: str = TELEGRAM_API_DEFAULT
    redis_url: str | None = None
    log_level: str = "INFO"
    # One line per event either way; json for a log collector.
    log_format: str = "text"
    link_code_days: int = Field(default=30, ge=1, le=365)
    # Telegram allows a bot about 30 messages a second in all.
    delivery_rate: float = Field(default=30, gt=0, le=1000)
    # The language of the command line and the fallback when nothing else decides.
    locale: str = "ru"
    # How long a grade, absence or homework push waits, so a correction replaces it.
    grace_minutes: float = Field(default=3, ge=0, le=60)
    # How long a delivery worker holds the pushes it claimed before another may take them.
    delivery_lease_seconds: float = Field(default=60, ge=1, le=3600)
    # Paid broadcast (Telegram charges Stars a message): bulk pushes go at this rate with
    # allow_paid_broadcast. Off when unset.
    paid_broadcast_rate: int | None = Field(default=None, ge=1, le=1000)
    # How long a push waits for Telegram to be reachable again before it is failed.
    delivery_outage_hours: float = Field(default=12, ge=1, le=168)
    # From this hour (school time) class teachers are reminded of absences without a reason.
    tutor_reminder_hour: int = Field(default=15, ge=0, le=23)
    # The class teacher is alerted at this many unexplained absences of a student in a period …
    unexcused_absence_alert: int = Field(default=5, ge=1, le=100)
    # … and when a subject's average in the period falls below this.
    low_average_alert: float = Field(default=3.0, ge=1, le=100)
    # Pushes already sent (or failed, or cancelled) are deleted after this many days.
    outbox_keep_days: int = Field(default=120, ge=7, le=3650)
    # Webhook mode: Telegram posts updates here (behind the TLS proxy); polling when unset.
    webhook_url: str | None = None
    # Telegram sends it with every update; without it one derived from the token is used, the same
    # in every process of the bot.
    webhook_secret: SecretStr | None = None
    # Where a process serves the webhook, /healthz, /readyz and /metrics (the port: unset, no
    # server except for a webhook, which then listens on 8080).
    web_host: str = "127.0.0.1"
    web_port: int | None = Field(default=None, ge=1, le=65535)
    # The Mini App's public address (served by this process under /app/): the menu button and the
    # buttons in /today and /grades open it. Unset: no buttons (the pages are served all the same).
    miniapp_url: str | None = None
    # How long a Mini App's sign-in (Telegram's initData) is taken after Telegram signed it.
    miniapp_auth_hours: float = Field(default=12, ge=1, le=168)

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

    @field_validator("webhook_url", "miniapp_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        """Telegram posts webhooks to and opens Mini Apps from https only; http on this machine is for
        trying it with the emulator."""
        if not value:
            return None
        loopback = re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?/", value)
        if not (re.match(r"^https://[^\s/]+/", value + "/") or loopback):
            raise ValueError("not an https URL")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None  # empty, like WEBHOOK_URL= and REDIS_URL=: not set
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("malformed")
        return value

    def webhook_secret_token(self) -> str:
        """The secret Telegram is asked to send: WEBHOOK_SECRET, or one derived from the token."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        assert self.bot_token is not None
        return hmac.new(self.bot_token.get_secret_value().encode(), b"diary-bot webhook", "sha256").hexdigest()

    @field_validator("paid_broadcast_rate", mode="before")
    @classmethod
    def _paid(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.lower() not in {"text", "json"}:
            raise ValueError("unknown format")
        return value.lower()

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
            outbox_keep=timedelta(days=self.outbox_keep_days),
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
