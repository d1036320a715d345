"""Building the Bot and the Dispatcher with every middleware and router, and running them."""

import logging

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api_session import JsonSession
from bot.gate import MemoryGate, OnceInOrderMiddleware, UpdateGate
from bot.metrics import UpdateMetricsMiddleware
from bot.middlewares import (
    CommandLeavesDialogMiddleware,
    DbSessionMiddleware,
    LocaleMiddleware,
    PrivateChatsOnlyMiddleware,
    ViewerMiddleware,
    addressed_i18n,
)
from bot.settings import Settings
from bot.state_storage import StateReadOncePerUpdate
from handlers import build_router
from handlers.errors import ErrorReplyMiddleware
from handlers.render import set_default_commands
from locales.i18n import DEFAULT_LOCALE, DOMAIN, LOCALES_DIR

log = logging.getLogger(__name__)


def make_bot(settings: Settings) -> Bot:
    assert settings.bot_token is not None
    session = JsonSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(settings.bot_token.get_secret_value(), session=session, default=DefaultBotProperties())


def make_storage(settings: Settings) -> BaseStorage:
    if settings.redis_url:
        from bot.redis_client import connect
        from bot.state_storage import ReadOnceRedisStorage

        return ReadOnceRedisStorage(connect(settings.redis_url))
    return MemoryStorage()


def make_dispatcher(
    sessionmaker: async_sessionmaker[AsyncSession],
    storage: BaseStorage | None = None,
    settings: Settings | None = None,
    gate: UpdateGate | None = None,
) -> Dispatcher:
    settings = settings or Settings()
    # Handlers get what they need of the settings as the dispatcher's workflow data, not by import.
    # The conversation state is read after the gate (below), not before it as aiogram would:
    # a chat's state is read and written by one update at a time, and a Redis that is down is
    # met by the gate's "try again in a minute".
    dp = Dispatcher(
        storage=storage or MemoryStorage(),
        disable_fsm=True,
        link_code_days=settings.link_code_days,
        miniapp_url=settings.miniapp_url,
    )
    i18n = addressed_i18n(LOCALES_DIR, DEFAULT_LOCALE, DOMAIN)
    # Order matters: each update once and a chat's one at a time, the conversation state, private
    # chats only, the session, who is writing, their language, error replies.
    dp.update.outer_middleware(UpdateMetricsMiddleware())
    dp.update.outer_middleware(OnceInOrderMiddleware(gate or MemoryGate(), i18n))
    dp.update.outer_middleware(StateReadOncePerUpdate())
    dp.update.outer_middleware(dp.fsm)
    dp.update.outer_middleware(PrivateChatsOnlyMiddleware(i18n))
    dp.update.outer_middleware(DbSessionMiddleware(sessionmaker))
    dp.update.outer_middleware(ViewerMiddleware())
    dp.update.outer_middleware(LocaleMiddleware(i18n))
    dp.update.outer_middleware(ErrorReplyMiddleware())
    dp.message.outer_middleware(CommandLeavesDialogMiddleware())
    dp.include_router(build_router())
    dp.startup.register(on_startup)
    return dp


async def on_startup(bot: Bot) -> None:
    me = await bot.get_me()
    log.info("bot @%s started", me.username)
    await set_default_commands(bot)
