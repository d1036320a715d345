"""The Bot API emulator answers the real aiogram Bot as Telegram would."""

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from devtools.emulator import Emulator
from tests.conftest import http_bot, served


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Emulator, Bot]]:
    emu = Emulator()
    async with served(emu) as url:
        bot = http_bot(url)
        yield emu, bot
        await bot.session.close()


async def test_files_round_trip(pair: tuple[Emulator, Bot]) -> None:
    emu, bot = pair
    await emu.send_document(42, b"%PDF-1.4 note from the doctor", "note.pdf")
    incoming = emu.chats[42].messages[-1]["document"]
    file = await bot.get_file(incoming["file_id"])
    downloaded = await bot.download_file(file.file_path)
    assert downloaded.read() == b"%PDF-1.4 note from the doctor"

    sent = await bot.send_photo(42, BufferedInputFile(b"\x89PNG...", "board.png"), caption="Доска")
    assert sent.photo and sent.caption == "Доска"
    again = await bot.send_photo(42, sent.photo[-1].file_id)  # re-sent from its file id
    assert emu.files[again.photo[-1].file_id].content == b"\x89PNG..."
    with pytest.raises(TelegramBadRequest):
        await bot.send_document(42, "no-such-file-id")


async def test_edits_and_errors_like_telegram(pair: tuple[Emulator, Bot]) -> None:
    emu, bot = pair
    await emu.send_text(43, "hi")
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]])
    message = await bot.send_message(43, "one", reply_markup=markup)
    edited = await bot.edit_message_text("two", chat_id=43, message_id=message.message_id, reply_markup=markup)
    assert edited.text == "two" and emu.last(43)["text"] == "two"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("two", chat_id=43, message_id=message.message_id, reply_markup=markup)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(43, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(99999, "hello")
    emu.block(43)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await bot.send_message(43, "still there?")
