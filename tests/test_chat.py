"""`diary-bot chat` as a person uses it: the real command, its input piped, against a served emulator
whose updates the real dispatcher handles."""

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from devtools.chat import Screen
from devtools.emulator import Emulator
from tests.conftest import ROOT, BotHarness, served
from tests.support.bot import link

TEACHER = 5001


class ChatProcess:
    """`python -m bot chat` (what `diary-bot chat` runs), typed into through a pipe."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.transcript: list[str] = []

    async def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()

    async def until(self, pattern: str) -> str:
        """Read what the chat prints up to a line matching `pattern`; returns that line."""
        assert self.process.stdout is not None
        while True:
            try:  # only a guard against a hung test: the line either comes or the chat is broken
                raw = await asyncio.wait_for(self.process.stdout.readline(), 60)
            except TimeoutError:
                raise AssertionError(f"no {pattern!r} in:\n" + "\n".join(self.transcript)) from None
            assert raw, f"the chat ended before {pattern!r}:\n" + "\n".join(self.transcript)
            line = raw.decode().rstrip("\n")
            self.transcript.append(line)
            if re.search(pattern, line):
                return line

    def printed_since(self, mark: int) -> str:
        return "\n".join(self.transcript[mark:])


@pytest.fixture
async def chat(harness: BotHarness) -> AsyncIterator[tuple[Emulator, ChatProcess]]:
    """The chat of the teacher's Telegram account, started once the account is linked."""
    emu = harness.emu
    async with served(emu) as url:
        env = {**os.environ, "LOCALE": "ru"}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "chat",
            "--user",
            str(TEACHER),
            "--url",
            url,
            env=env,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        chat = ChatProcess(process)
        try:
            yield emu, chat
        finally:
            if process.stdin is not None:
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        assert process.returncode == 0, "\n".join(chat.transcript)


async def started(session: AsyncSession, emu: Emulator, chat: ChatProcess) -> None:
    await link(session, emu, "S03", TEACHER)
    await chat.until("^Пишите сообщения и команды")


def button_texts(message: dict[str, Any]) -> list[str]:
    rows = message["reply_markup"]["inline_keyboard"]
    return [button["text"] for row in rows for button in row]


async def test_a_push_is_printed_without_a_keystroke_and_its_alert_shown(
    demo: None, session: AsyncSession, harness: BotHarness, chat: tuple[Emulator, ChatProcess]
) -> None:
    emu, process = chat
    await started(session, emu, process)
    # Nothing is typed: the bot writes on its own, with a button whose data no handler knows any more.
    stale = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Старая кнопка", callback_data="gone:1")]])
    await harness.bot.send_message(TEACHER, "Пришло без нажатия клавиши", reply_markup=stale)
    assert await process.until("Пришло без нажатия клавиши") == "🤖 Пришло без нажатия клавиши"
    line = await process.until(r"Старая кнопка")
    number = re.search(r"\[(\d+)\] Старая кнопка", line)
    assert number, line

    await process.type(number[1])
    assert await process.until("^⚠") == "⚠ Эта кнопка уже не действует. Отправьте /help."


async def test_numbers_go_on_across_messages_and_press_the_button_shown_with_them(
    demo: None, session: AsyncSession, chat: tuple[Emulator, ChatProcess]
) -> None:
    emu, process = chat
    await started(session, emu, process)
    # Two screens with buttons arrive together (each used to number from [1]).
    for _ in range(2):
        await emu.wait_processed(await emu.send_text(TEACHER, "/settings"))
    first, second = emu.bot_messages(TEACHER)[-2:]
    count = len(emu.buttons(first))
    assert count > 1 and emu.buttons(second) == emu.buttons(first)
    await process.until(rf"\[{2 * count}\]")
    before_first = button_texts(first)

    # The second screen's first button is [count + 1]: it toggles that screen's first setting only.
    mark = len(process.transcript)
    await process.type(str(count + 1))
    await process.until(r"^🤖 \(изменено\)")
    await process.until(rf"\[{2 * count}\]")
    printed = process.printed_since(mark)
    assert "ℹ Сохранено." in printed
    toggled = button_texts(second)
    assert toggled[0] != before_first[0] and toggled[1:] == before_first[1:]
    assert button_texts(first) == before_first
    # The edited screen shows the same kind of buttons, so it keeps its numbers.
    assert f"[{count + 1}] {toggled[0]}" in printed

    # [2] still presses the first screen's second button (the second setting), and edits that screen.
    mark = len(process.transcript)
    await process.type("2")
    await process.until(r"^🤖 \(изменено\)")
    await process.until(rf"\[{count}\]")
    now_first = button_texts(first)
    assert now_first[1] != before_first[1] and f"[2] {now_first[1]}" in process.printed_since(mark)
    assert button_texts(second) == toggled

    # A number no button was given is refused, and says how to send it as text.
    await process.type("999")
    assert await process.until("999") == "> 999"
    assert await process.until("^Кнопки") == "Кнопки [999] нет. Чтобы отправить число текстом, наберите \\999."


def screen(message_id: int, *data: str) -> dict[str, Any]:
    rows = [[{"text": d, "callback_data": d} for d in data]]
    return {"message_id": message_id, "text": "…", "reply_markup": {"inline_keyboard": rows}}


def test_an_edited_message_keeps_its_numbers_only_for_the_same_kind_of_buttons() -> None:
    shown = Screen()
    shown.show(screen(10, "day:prev"))
    lines = shown.show(screen(11, "att:1", "att:2"))
    assert lines[-1] == "   [2] att:1  [3] att:2"
    # Student 1 marked: the same screen, the same numbers.
    assert shown.show(screen(11, "att:1", "att:2"), edited=True)[-1] == "   [2] att:1  [3] att:2"
    # Saved, the lesson screen replaces it: new numbers; the old ones press nothing, not a lesson button.
    assert (
        shown.show(screen(11, "lesson:open", "lesson:back"), edited=True)[-1] == "   [4] lesson:open  [5] lesson:back"
    )
    assert shown.press(2) == "Кнопки [2] больше нет: её сообщение изменилось или удалено."
    assert shown.press(1) == (10, "day:prev") and shown.press(5) == (11, "lesson:back")
    shown.forget(10)
    assert isinstance(shown.press(1), str)


async def test_the_view_long_polls_messages_edits_and_pop_ups_in_order() -> None:
    emu = Emulator()
    emu.add_chat(TEACHER)
    sent = await emu.call("sendMessage", {"chat_id": TEACHER, "text": "one"}, {})
    seen = emu.chats[TEACHER].version
    assert (await emu.watch(TEACHER, seen, 0))["events"] == []
    waiting = asyncio.create_task(emu.watch(TEACHER, seen, 60))
    await emu.call("editMessageText", {"chat_id": TEACHER, "message_id": sent["message_id"], "text": "two"}, {})
    assert [e["message"]["text"] for e in (await waiting)["events"]] == ["two"]

    await emu.press(TEACHER, sent["message_id"], "x")
    [query_id] = emu.pressed_by
    await emu.call("answerCallbackQuery", {"callback_query_id": query_id, "text": "Готово", "show_alert": "true"}, {})
    view = await emu.watch(TEACHER, seen, 0)
    assert [e.get("message", {}).get("text") or e["popup"]["text"] for e in view["events"]] == ["two", "Готово"]
    assert view["events"][1]["popup"]["show_alert"] is True
    assert (await emu.watch(TEACHER, view["version"], 0))["events"] == []
