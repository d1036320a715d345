"""Sign-in by Telegram's initData: the bot token's HMAC over it, and how long ago Telegram signed it.

There is no other login: the page sends the initData Telegram gave it with every call, and the
person is found from the Telegram user in it exactly as the bot finds who writes to it.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, timedelta

from aiogram.utils.web_app import WebAppInitData, safe_parse_webapp_init_data

from services import clock
from services.errors import N_, DiaryError

log = logging.getLogger(__name__)

HEADER = "X-Telegram-Init-Data"
MAX_INIT_DATA = 4096  # Telegram's initData is well under 1 KB; anything longer is not Telegram's
# Telegram's clock and ours may differ a little; an initData signed further ahead is not real.
CLOCK_SKEW = timedelta(minutes=5)
# The Mini App works in a person's private chat with the bot, like the bot itself.
GROUP_CHATS = frozenset({"group", "supergroup", "channel"})


class SignInFailed(DiaryError):
    """The request carries no valid, fresh initData signed for this bot."""


class GroupRefused(DiaryError):
    """Opened from a group: the diary lives in private chats."""


@dataclass(frozen=True)
class Signed:
    user_id: int
    language_code: str | None


def verify(token: str, raw: str | None, max_age: timedelta) -> Signed:
    """The Telegram user the initData was signed for, or SignInFailed."""
    if not raw or len(raw) > MAX_INIT_DATA:
        raise SignInFailed(N_("Open the diary from the bot in Telegram: this page works only there."))
    try:
        data: WebAppInitData = safe_parse_webapp_init_data(token, raw)
    except (ValueError, TypeError):
        # A forged or altered initData, or one signed for another bot.
        raise SignInFailed(N_("Open the diary from the bot in Telegram: this page works only there.")) from None
    signed_at = data.auth_date if data.auth_date.tzinfo else data.auth_date.replace(tzinfo=UTC)
    now = clock.now()
    if signed_at > now + CLOCK_SKEW:
        # Telegram's servers sign initData (the device cannot: it has no bot token), so a date ahead
        # means this server's clock is behind; "open too long" would send the person round in circles.
        log.warning("Mini App initData signed %s ahead of this server's clock: check its time", signed_at - now)
        raise SignInFailed(
            N_(
                "The diary cannot check your sign-in: its clock disagrees with Telegram's. "
                "Try again in a few minutes; if it repeats, tell the school administration."
            )
        )
    if now - signed_at > max_age:
        raise SignInFailed(N_("This page has been open too long. Close it and open the diary from the bot again."))
    if data.user is None:
        raise SignInFailed(N_("Open the diary from the bot in Telegram: this page works only there."))
    if data.chat_type in GROUP_CHATS:
        raise GroupRefused(
            N_("I work in private messages only, so that nobody else reads a child's diary. Write to me directly.")
        )
    return Signed(data.user.id, data.user.language_code)
