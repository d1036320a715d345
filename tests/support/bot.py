"""Driving the bot as people do: linking, pressing, consenting; and the delivery worker run to empty."""

import asyncio
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import DeliveryWorker
from devtools.emulator import Emulator
from models import Notification, Person
from services import clock
from services.link_codes import issue_codes_for
from services.roles import Scope, Viewer
from tests.support.journal import MONDAY, person

OPERATOR = Viewer.command_line()  # the command line, as tests issue codes before the bot is used


async def link(
    session: AsyncSession, emu: Emulator, ref: str, user: int, locale: str = "ru", scope: Scope = Scope.ALL
) -> str:
    """A demo person (by roster id) links from this Telegram user with a fresh code; returns the code."""
    who = await person(session, ref)
    code = (await issue_codes_for(session, [who], days=30, scope=scope, actor=OPERATOR))[0].code
    await session.commit()
    await emu.say(user, f"/start {code}", language_code=locale)
    return code


async def press(emu: Emulator, user: int, data: str) -> None:
    """Press a button with any data, as a forged press would, on the user's newest message."""
    anchor = emu.bot_messages(user)[-1]["message_id"]
    await emu.wait_processed(await emu.press(user, anchor, data))


async def consent(session: AsyncSession, *refs: str) -> None:
    for ref in refs:
        subject = await person(session, ref)
        await session.execute(update(Person).where(Person.id == subject.id).values(consent_at=MONDAY))
    await session.commit()


def running_from(monkeypatch: pytest.MonkeyPatch, start: datetime) -> None:
    """The clock starts at `start` and runs as real time does, so delays come due."""
    origin = time.monotonic()
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(seconds=time.monotonic() - origin))


async def drain(worker: DeliveryWorker, sessionmaker: async_sessionmaker[AsyncSession], timeout: float = 60) -> None:
    task = asyncio.create_task(worker.run())
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            try:
                async with sessionmaker() as s:
                    left = await s.scalar(
                        select(func.count())
                        .select_from(Notification)
                        .where(
                            Notification.status.in_(("pending", "claimed")),
                            Notification.due_at <= clock.now() + timedelta(seconds=30),
                        )
                    )
            except OperationalError:  # SQLite busy with the worker's own writes: look again
                left = 1
            if not left:
                return
            await asyncio.sleep(0.2)
        raise AssertionError("the queue did not drain")
    finally:
        worker.stopping.set()
        await task
