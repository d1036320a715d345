"""The absence loop: the family explains, the class teacher confirms or rejects."""

import contextlib
from datetime import date

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import ExplainCb, NoteCb, NoteKind, NoteOp
from handlers.keyboards import Keyboard
from services import absence_notes
from services.roles import Viewer
from views.labels import NOTE_KINDS

KIND_LABELS = NOTE_KINDS


class NoteText(StatesGroup):
    explanation = State()
    rejection = State()


async def on_explain(
    query: CallbackQuery, callback_data: ExplainCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    assert isinstance(query.message, Message)
    await absence_notes.require_explainable(session, viewer, callback_data.student, date.fromordinal(callback_data.day))
    await query.answer()
    if not callback_data.kind:
        kb = Keyboard()
        for kind, label in KIND_LABELS.items():
            kb.button(
                text=_(label),
                callback_data=ExplainCb(student=callback_data.student, day=callback_data.day, kind=NoteKind(kind)),
            )
        kb.adjust(3)
        await query.message.answer(_("What was the reason?"), reply_markup=kb.as_markup())
        return
    await state.set_state(NoteText.explanation)
    await state.update_data(student=callback_data.student, day=callback_data.day, kind=callback_data.kind)
    await query.message.answer(_("Add a few words, or a photo of the note or the certificate."))


async def got_explanation(message: Message, session: AsyncSession, viewer: Viewer, state: FSMContext) -> None:
    data = await state.get_data()
    file_id = message.photo[-1].file_id if message.photo else message.document.file_id if message.document else None
    await absence_notes.explain(
        session,
        viewer,
        student_id=data["student"],
        on_date=date.fromordinal(data["day"]),
        kind=data["kind"],
        text=message.text or message.caption,
        file_id=file_id,
    )
    await state.set_state(None)
    await message.answer(_("Sent to the class teacher. You will learn the decision here."))


async def on_confirm(query: CallbackQuery, callback_data: NoteCb, session: AsyncSession, viewer: Viewer) -> None:
    assert isinstance(query.message, Message)
    await absence_notes.decide(session, viewer, callback_data.note, confirm=True)
    outcome = _("Confirmed: the reason is set.")
    await query.answer(outcome)
    # The card no longer waits for a decision: it says what was decided, with no buttons left.
    await query.message.edit_text(f"{card_text(query.message)}\n\n✅ {outcome}", reply_markup=None)


async def on_reject(
    query: CallbackQuery, callback_data: NoteCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    """The tutor's comment is asked for only once the note is known to be theirs to decide."""
    assert isinstance(query.message, Message)
    await absence_notes.pending_note(session, viewer, callback_data.note)
    await state.set_state(NoteText.rejection)
    await state.update_data(note=callback_data.note, card=query.message.message_id, card_text=card_text(query.message))
    await query.answer()
    await query.message.answer(_("Why is it rejected? The family will see your comment."))


def card_text(message: Message) -> str:
    return message.text or message.caption or ""


async def got_rejection(message: Message, session: AsyncSession, viewer: Viewer, state: FSMContext, bot: Bot) -> None:
    data = await state.get_data()
    await absence_notes.decide(session, viewer, data["note"], confirm=False, comment=message.text)
    await state.set_state(None)
    outcome = _("Rejected; the family is told.")
    await message.answer(outcome)
    if data.get("card"):
        with contextlib.suppress(TelegramBadRequest):  # the card may be too old to edit; the reply stands
            await bot.edit_message_text(
                f"{data.get('card_text', '')}\n\n✖ {outcome}", chat_id=message.chat.id, message_id=data["card"]
            )


def make_router() -> Router:
    router = Router(name="absence_notes")
    router.callback_query.register(on_explain, ExplainCb.filter())
    router.callback_query.register(on_confirm, NoteCb.filter(F.op == NoteOp.CONFIRM))
    router.callback_query.register(on_reject, NoteCb.filter(F.op == NoteOp.REJECT))
    router.message.register(got_explanation, NoteText.explanation)
    router.message.register(got_rejection, NoteText.rejection)
    return router
