"""Inline keyboards built from the typed callback data."""

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

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


class Keyboard(InlineKeyboardBuilder):
    """aiogram's builder copies the whole keyboard on every button added: for a class of thirty that
    was a third of an attendance tap. This one gathers the buttons and adds them in one go."""

    def __init__(self, markup: list[list[InlineKeyboardButton]] | None = None) -> None:
        self._pending: list[InlineKeyboardButton] = []
        super().__init__(markup)

    def button(self, **kwargs: Any) -> "Keyboard":
        if isinstance(callback_data := kwargs.get("callback_data"), CallbackData):
            kwargs["callback_data"] = callback_data.pack()
        self._pending.append(InlineKeyboardButton(**kwargs))
        return self

    def _flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, []
            super().add(*pending)

    def export(self) -> list[list[InlineKeyboardButton]]:
        self._flush()
        return super().export()

    def add(self, *buttons: InlineKeyboardButton) -> "Keyboard":
        self._flush()
        super().add(*buttons)
        return self

    def row(self, *buttons: InlineKeyboardButton, width: int | None = None) -> "Keyboard":
        self._flush()
        super().row(*buttons, width=width)
        return self

    def adjust(self, *sizes: int, repeat: bool = False) -> "Keyboard":
        self._flush()
        super().adjust(*sizes, repeat=repeat)
        return self


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
