"""A screen of the bot: a text with its buttons, drawn in place of the message whose button was pressed."""

from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

Screen = tuple[str, InlineKeyboardMarkup | None]


async def show(query: CallbackQuery, screen: Screen, notice: str = "") -> None:
    """The screen instead of the pressed message; a notice pops up and heads the text."""
    assert isinstance(query.message, Message)
    text, markup = screen
    await query.answer(notice or None)
    await query.message.edit_text(f"{notice}\n\n{text}" if notice else text, reply_markup=markup)
