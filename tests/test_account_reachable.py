"""An account marked unreachable (a send failed: chat not found, the bot blocked) is reachable
again as soon as its person writes to the bot, not only after /start."""

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import TelegramAccount
from services import clock
from tests.conftest import BotHarness
from tests.support.bot import link


async def test_writing_to_the_bot_clears_the_unreachable_mark(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    await link(session, harness.emu, "S03", 7301, "ru")
    await session.execute(
        update(TelegramAccount).where(TelegramAccount.telegram_user_id == 7301).values(blocked_at=clock.now())
    )
    await session.commit()
    await harness.emu.say(7301, "/help")
    session.expire_all()
    assert (
        await session.scalar(select(TelegramAccount.blocked_at).where(TelegramAccount.telegram_user_id == 7301)) is None
    )
