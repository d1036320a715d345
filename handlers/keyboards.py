"""Inline keyboards built from the typed callback data."""

import itertools
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from aiogram.filters.callback_data import MAX_CALLBACK_LENGTH, CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from handlers.callbacks import (
    ConsentCb,
    ExplainCb,
    LanguageCb,
    LessonAct,
    LessonCb,
    LinkConfirmCb,
    Locale,
    LogoutCb,
    NoteCb,
    NoteOp,
    SummarySeenCb,
)
from views.message import Action, Button, DecideNote, ExplainAbsence, SummarySeen


def packed(data: CallbackData) -> str:
    """`data.pack()` as aiogram makes it, from the fields as they are: aiogram dumps the model
    first, which was most of a button's cost, and a sheet has thirty buttons."""
    sep = data.__separator__
    parts = [data.__prefix__]
    for key, value in data.__dict__.items():
        encoded = data._encode_value(key, value)
        if sep in encoded:
            raise ValueError(f"separator {sep!r} in {key}={encoded!r}")
        parts.append(encoded)
    result = sep.join(parts)
    if len(result.encode()) > MAX_CALLBACK_LENGTH:
        raise ValueError(f"callback data too long: {result!r}")
    return result


@lru_cache(maxsize=4096)
def callback_button(text: str, data: str) -> InlineKeyboardButton:
    """One button object for each label and press: a redrawn sheet is mostly the buttons it had,
    and building aiogram's button model was a third of drawing one. Buttons are never changed
    after they are made, so one object serves every keyboard that shows it."""
    return InlineKeyboardButton(text=text, callback_data=data)


class Keyboard:
    """An inline keyboard laid out as aiogram's builder lays it out (add, row, adjust), without its
    copies: the builder deep-copies the whole keyboard on every button and every export, which was
    a third of an attendance tap for a class of thirty."""

    MAX_WIDTH = 8  # Telegram's widest row of inline buttons

    def __init__(self) -> None:
        self._rows: list[list[InlineKeyboardButton]] = []

    @classmethod
    def from_markup(cls, markup: InlineKeyboardMarkup) -> "Keyboard":
        """A keyboard to add to, starting with the rows of one already made."""
        kb = cls()
        kb._rows = [list(row) for row in markup.inline_keyboard]
        return kb

    def button(self, **kwargs: Any) -> "Keyboard":
        if isinstance(callback_data := kwargs.get("callback_data"), CallbackData):
            kwargs["callback_data"] = packed(callback_data)
        if kwargs.keys() == {"text", "callback_data"}:
            return self.add(callback_button(kwargs["text"], kwargs["callback_data"]))
        return self.add(InlineKeyboardButton(**kwargs))

    def add(self, *buttons: InlineKeyboardButton) -> "Keyboard":
        """The buttons after the last one, filling its row first."""
        rest = list(buttons)
        if self._rows and len(self._rows[-1]) < self.MAX_WIDTH:
            room = self.MAX_WIDTH - len(self._rows[-1])
            self._rows[-1].extend(rest[:room])
            rest = rest[room:]
        return self._rows_of(rest, self.MAX_WIDTH)

    def row(self, *buttons: InlineKeyboardButton, width: int | None = None) -> "Keyboard":
        """The buttons on new rows of their own."""
        return self._rows_of(list(buttons), width or self.MAX_WIDTH)

    def _rows_of(self, buttons: list[InlineKeyboardButton], width: int) -> "Keyboard":
        self._rows.extend(buttons[at : at + width] for at in range(0, len(buttons), width))
        return self

    def adjust(self, *sizes: int, repeat: bool = False) -> "Keyboard":
        """Every button so far laid out again in rows of these sizes; the last size repeats (or all
        of them, with `repeat`)."""
        if any(not 1 <= size <= self.MAX_WIDTH for size in sizes):
            raise ValueError(f"a row holds 1 to {self.MAX_WIDTH} buttons, not {sizes}")
        buttons = [b for row in self._rows for b in row]
        widths: Iterator[int] = itertools.repeat(self.MAX_WIDTH)
        if sizes:
            widths = itertools.cycle(sizes) if repeat else itertools.chain(sizes, itertools.repeat(sizes[-1]))
        self._rows = []
        at = 0
        while at < len(buttons):
            size = next(widths)
            self._rows.append(buttons[at : at + size])
            at += size
        return self

    def export(self) -> list[list[InlineKeyboardButton]]:
        return [list(row) for row in self._rows]

    def as_markup(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=self.export())


def rows_of(count: int, width: int) -> list[int]:
    """Row sizes for `count` buttons `width` a row, the last row short: the button after them (a
    "Back", an "Everyone is present", «Вся школа») starts a row of its own instead of sitting beside
    a student or a class."""
    return [width] * (count // width) + ([count % width] if count % width else [])


def pairs(count: int) -> list[int]:
    """Row sizes for `count` buttons two by two, an odd last one alone."""
    return rows_of(count, 2)


def consent_keyboard(*, accepted: bool) -> InlineKeyboardMarkup:
    kb = Keyboard()
    if accepted:
        kb.button(text=_("Withdraw consent"), callback_data=ConsentCb(accept=False))
    else:
        kb.button(text=_("Accept"), callback_data=ConsentCb(accept=True))
        kb.button(text=_("Decline"), callback_data=ConsentCb(accept=False))
    return kb.as_markup()


def language_keyboard() -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(text="Русский", callback_data=LanguageCb(locale=Locale.RU))
    kb.button(text="English", callback_data=LanguageCb(locale=Locale.EN))
    return kb.as_markup()


def logout_keyboard() -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(text=_("Yes, unlink"), callback_data=LogoutCb(confirm=True))
    kb.button(text=_("Cancel"), callback_data=LogoutCb(confirm=False))
    return kb.as_markup()


def callback_of(action: Action) -> CallbackData:
    """A view's action as this platform's button data."""
    if isinstance(action, ExplainAbsence):
        return ExplainCb(student=action.student_id, day=action.day)
    if isinstance(action, DecideNote):
        return NoteCb(note=action.note_id, op=NoteOp.CONFIRM if action.confirm else NoteOp.REJECT)
    if isinstance(action, SummarySeen):
        return SummarySeenCb(n=action.notification_id)
    raise TypeError(f"no button for {action!r}")


def inline_markup(buttons: list[Button]) -> InlineKeyboardMarkup | None:
    """A view's buttons, one a row, as an inline keyboard (None when there are none)."""
    if not buttons:
        return None
    rows = [[InlineKeyboardButton(text=b.label, callback_data=callback_of(b.action).pack())] for b in buttons]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def link_confirm_keyboard() -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(text=_("Yes, sign in"), callback_data=LinkConfirmCb(confirm=True))
    kb.button(text=_("No, keep it as it is"), callback_data=LinkConfirmCb(confirm=False))
    return kb.as_markup()


def back_to_lesson_button(lesson_id: int) -> InlineKeyboardButton:
    """Every journal screen has a way back to its lesson."""
    return InlineKeyboardButton(
        text="◀ " + _("the lesson"), callback_data=LessonCb(id=lesson_id, act=LessonAct.OPEN).pack()
    )


def back_to_lesson(lesson_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[back_to_lesson_button(lesson_id)]])
