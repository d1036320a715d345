"""Settings from the environment and `.env`; a bad value stops start-up with one clear line."""

import re
from functools import lru_cache

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API_DEFAULT = "https://api.telegram.org"
TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
EXPECTED = {
    "BOT_TOKEN": "the token from @BotFather, like 123456789:AAH…",
    "DATABASE_URL": "an SQLAlchemy async URL: sqlite+aiosqlite:///./diary.db or "
    "postgresql+asyncpg://user:password@host/db",
    "TELEGRAM_API_URL": "an http(s) URL of a Bot API server, e.g. https://api.telegram.org",
    "REDIS_URL": "a redis:// URL, e.g. redis://127.0.0.1:6379/0",
    "LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR",
    "LINK_CODE_DAYS": "a whole number of days from 1 to 365",
    "LOCALE": "ru or en",
    "DELIVERY_RATE": "messages a second, a number above 0 (Telegram allows about 30)",
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

    @property
    def uses_default_telegram(self) -> bool:
        return self.telegram_api_url == TELEGRAM_API_DEFAULT


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


def describe_error(error: ValidationError) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0]).upper() if first["loc"] else "settings"
    return f"{name}: {EXPECTED.get(name, 'a valid value')} is expected"


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(describe_error(error)) from None
