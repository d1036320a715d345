"""The one place that ends an update's unit of work: committed once when the handler returns,
rolled back on any error, the domain error turned into the user's message and any other failure
into an apology.

It is a middleware inside the locale and session middlewares, so the reply is in the user's
language and a half-done change is rolled back before anything is said. Committing here, not
outside, means a commit that fails still reaches the user as "nothing was saved".
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramRetryAfter
from aiogram.types import TelegramObject, Update
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from locales.i18n import translate
from services import unit_memo
from services.errors import DiaryError

log = logging.getLogger(__name__)

# The update's outcome, for the process's metrics (read by the outermost middleware in bot/).
OUTCOME = "metrics_outcome"
# Set in the dispatcher's data when Telegram posts updates (webhook) and so sends again one that was
# not answered 200; by polling an update not handled is gone.
TELEGRAM_RETRIES = "telegram_retries"


def worth_a_retry(error: BaseException) -> bool:
    """The database or Telegram is away or busy for a moment: the same update may well succeed soon."""
    if isinstance(error, TelegramRetryAfter | TelegramNetworkError):
        return True  # the reply itself was refused for now: a flood of taps, or Telegram out of reach
    return database_unreachable(error)


def database_unreachable(error: BaseException) -> bool:
    """The database is restarting or the connection broke: the update may well succeed in a moment."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, ConnectionError)  # refused or reset before SQLAlchemy could wrap it


async def tell(update: Update, bot: Bot, text: str) -> None:
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        if len(text) <= 200:
            await query.answer(text, show_alert=True)
        else:
            await query.answer()
        await bot.send_message(message.chat.id if message is not None else query.from_user.id, text)
    elif update.message is not None:
        await update.message.answer(text)


class ErrorReplyMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        session: AsyncSession | None = data.get("session")
        try:
            result = await handler(event, data)
            if session is not None:
                await _commit(session)
            return result
        except TelegramBadRequest as error:
            if "message is not modified" not in str(error):
                await self._apologize(event, data)
                return None
            # The screen already shows what was saved: keep the change, nothing to say.
            if session is not None:
                await session.commit()
            if event.callback_query is not None:
                await event.callback_query.answer()
        except DiaryError as error:
            data[OUTCOME] = "refused"
            if session is not None:
                await (session.commit() if error.keeps_record else session.rollback())
            await tell(event, data["bot"], translate(error.message, get_i18n().current_locale, **error.params))
        except Exception as error:
            if data.get(TELEGRAM_RETRIES) and worth_a_retry(error):
                # Not an apology but a 500: Telegram posts the update again, and the gate lets
                # that one through, so what the person did is done once the database is back.
                # (An apology would meet the same 429 or outage and be lost with the update.)
                data[OUTCOME] = "retried"
                log.warning("update %s left for Telegram to send again: %s", event.update_id, type(error).__name__)
                if session is not None:
                    await _quietly_rollback(session)
                raise
            await self._apologize(event, data)
        return None

    async def _apologize(self, event: Update, data: dict[str, Any]) -> None:
        data[OUTCOME] = "failed"
        log.exception("update %s failed", event.update_id)
        if "session" in data:
            await _quietly_rollback(data["session"])
        try:
            await tell(
                event,
                data["bot"],
                _("Something went wrong on our side and nothing was saved. Please try again in a minute."),
            )
        except Exception:  # Telegram itself may be what failed
            log.warning("could not tell the user about the failure", exc_info=True)


async def _commit(session: AsyncSession) -> None:
    """Commit the update's work. A transaction that only read has nothing to lose when the database
    goes away at its end: the reply it sent stands, and sending the update again would say it twice."""
    wrote = unit_memo.wrote(session)
    try:
        await session.commit()
    except Exception as error:
        if wrote or not database_unreachable(error):
            raise
        log.warning("the database went away as a read-only update ended: nothing was to be saved")


async def _quietly_rollback(session: AsyncSession) -> None:
    """A rollback on a connection that is gone fails too; the session is closed after it anyway."""
    try:
        await session.rollback()
    except Exception:
        log.warning("rollback failed", exc_info=True)
