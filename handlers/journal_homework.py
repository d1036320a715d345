"""The lesson's topic and homework: text, photos and documents, due at the next lesson."""

from datetime import date

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import HomeworkCb, HomeworkOp, LessonAct, LessonCb
from handlers.journal_render import day, short_day, short_name
from handlers.keyboards import Keyboard, back_to_lesson, back_to_lesson_button
from locales.i18n import day_in_words
from models import Lesson
from services import homework
from services.class_lists import lesson_students
from services.homework import Attachment
from services.roles import Viewer


class LessonText(StatesGroup):
    topic = State()
    homework = State()


def attachment_of(message: Message) -> Attachment | None:
    if message.photo:
        return Attachment("photo", message.photo[-1].file_id)
    if message.document:
        return Attachment("document", message.document.file_id, message.document.file_name)
    return None


async def ask_topic(
    query: CallbackQuery, callback_data: LessonCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    assert isinstance(query.message, Message)
    lesson = await homework.writable_lesson(session, viewer, callback_data.id)
    await state.set_state(LessonText.topic)
    await state.update_data(lesson=lesson.id)
    await query.answer()
    current = _("Now: {topic}").format(topic=lesson.topic) + "\n" if lesson.topic else ""
    await query.message.answer(
        current + _("Send the topic of the lesson of {day} as a message.").format(day=day(lesson.on_date))
    )


async def got_topic(message: Message, session: AsyncSession, viewer: Viewer, state: FSMContext) -> None:
    data = await state.get_data()
    if not message.text:
        await message.answer(_("The topic is text: send it as a message."))
        return
    lesson = await homework.set_topic(session, viewer, data["lesson"], message.text)
    await state.set_state(None)
    await message.answer(_("Topic saved: {topic}").format(topic=lesson.topic), reply_markup=back_to_lesson(lesson.id))


def homework_keyboard(lesson_id: int, hw_id: int | None) -> InlineKeyboardMarkup:
    kb = Keyboard()
    if hw_id is None:
        kb.button(text=_("For one student"), callback_data=HomeworkCb(lesson=lesson_id, op=HomeworkOp.ONE))
    else:
        kb.button(
            text=_("Change the due date"), callback_data=HomeworkCb(lesson=lesson_id, op=HomeworkOp.DUE, hw=hw_id)
        )
        kb.button(text="🗑 " + _("Remove"), callback_data=HomeworkCb(lesson=lesson_id, op=HomeworkOp.DELETE, hw=hw_id))
    kb.button(text=_("Done"), callback_data=HomeworkCb(lesson=lesson_id, op=HomeworkOp.DONE))
    kb.adjust(2, 1)
    return kb.as_markup()


async def ask_homework(
    query: CallbackQuery, callback_data: LessonCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    assert isinstance(query.message, Message)
    lesson = await homework.writable_lesson(session, viewer, callback_data.id)
    due = await homework.default_due(session, lesson)
    await state.set_state(LessonText.homework)
    await state.update_data(lesson=lesson.id, hw=None, student=None)
    lines = [_("Send the homework: text, or photos and documents with a caption.")]
    lines.append(_("Due: {day} (the next lesson).").format(day=day(due)) if due else _("Due: not set."))
    existing = await homework.of_lesson(session, viewer, lesson.id)
    markup = homework_keyboard(lesson.id, None)
    if existing:
        kb = Keyboard.from_markup(markup)
        for number, item in enumerate(existing, start=1):
            lines.append(_("Already given ({number}): {text}").format(number=number, text=item.text[:200]))
            kb.row(
                InlineKeyboardButton(
                    text="✏️ " + _("Edit {number}").format(number=number),
                    callback_data=HomeworkCb(lesson=lesson.id, op=HomeworkOp.EDIT, hw=item.id).pack(),
                ),
                InlineKeyboardButton(
                    text="🗑 " + _("Remove {number}").format(number=number),
                    callback_data=HomeworkCb(lesson=lesson.id, op=HomeworkOp.DELETE, hw=item.id).pack(),
                ),
            )
        markup = kb.as_markup()
    await query.answer()
    await query.message.answer("\n".join(lines), reply_markup=markup)


# Typed instead of pressing «Готово»: the end of the homework, never its text.
DONE_WORDS = {"готово", "всё", "все", "done"}


async def got_homework(message: Message, session: AsyncSession, viewer: Viewer, state: FSMContext) -> None:
    """The first message creates the homework; what follows joins it: photos and files, and text on
    a new line (after «✏️ Изменить», the first text replaces it)."""
    data = await state.get_data()
    attachment = attachment_of(message)
    text = message.text or message.caption
    if message.text and message.text.strip().strip("!.").lower() in DONE_WORDS:
        await state.set_state(None)
        lesson = await homework.writable_lesson(session, viewer, data["lesson"])
        summary, markup = await homework_summary(session, viewer, lesson)
        await message.answer(summary, reply_markup=markup)
        return
    if data.get("hw"):
        replace = bool(data.get("replace"))
        hw = await homework.edit(
            session,
            viewer,
            data["hw"],
            text=text,
            add_attachments=[attachment] if attachment else [],
            append=not replace,
        )
        if replace and text:
            await state.update_data(replace=False)
        files = len(await homework.attachments_of(session, viewer, hw.id))
        reply = (
            _("Added to the homework (files: {count}).").format(count=files)
            if attachment
            else _("The homework now reads: {text}").format(text=hw.text)
        )
        await message.answer(
            reply,
            reply_markup=homework_keyboard(data["lesson"], hw.id),
        )
        return
    if not text:
        await message.answer(_("Add the homework's text: send it, or resend the photo with a caption."))
        return
    hw = await homework.post(
        session,
        viewer,
        data["lesson"],
        text,
        attachments=[attachment] if attachment else [],
        student_id=data.get("student"),
    )
    await state.update_data(hw=hw.id)
    due = day(hw.due_on) if hw.due_on else _("not set")
    await message.answer(
        _("Homework posted, due {day}. More photos or files sent now join it.").format(day=due),
        reply_markup=homework_keyboard(data["lesson"], hw.id),
    )


async def _writable(
    query: CallbackQuery, cb: HomeworkCb, session: AsyncSession, viewer: Viewer
) -> tuple[Lesson, Message]:
    """Every homework button is checked against the lesson's writer and window first."""
    assert isinstance(query.message, Message)
    lesson = await homework.writable_lesson(session, viewer, cb.lesson)
    await query.answer()
    return lesson, query.message


async def on_done(
    query: CallbackQuery, callback_data: HomeworkCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    """Ends the homework screen with what the lesson now has, not with a bare prompt."""
    lesson, message = await _writable(query, callback_data, session, viewer)
    await state.set_state(None)
    summary, markup = await homework_summary(session, viewer, lesson)
    await message.edit_text(summary, reply_markup=markup)


async def homework_summary(session: AsyncSession, viewer: Viewer, lesson: Lesson) -> tuple[str, InlineKeyboardMarkup]:
    given = await homework.of_lesson(session, viewer, lesson.id)
    on = day_in_words(lesson.on_date, get_i18n().current_locale)
    if not given:
        return _("No homework was given for the lesson of {day}.").format(day=on), back_to_lesson(lesson.id)
    lines = [_("Homework of the lesson of {day}:").format(day=on)]
    for number, item in enumerate(given, start=1):
        due = " — " + _("due by {day}").format(day=day(item.due_on)) if item.due_on else ""
        lines.append(f"{number}. {item.text[:200] or '📎'}{due}")
    return "\n".join(lines), back_to_lesson(lesson.id)


async def on_for_one(query: CallbackQuery, callback_data: HomeworkCb, session: AsyncSession, viewer: Viewer) -> None:
    lesson, message = await _writable(query, callback_data, session, viewer)
    kb = Keyboard()
    for student, person in await lesson_students(session, lesson):
        kb.button(
            text=short_name(person.last_name, person.first_name),
            callback_data=HomeworkCb(lesson=lesson.id, op=HomeworkOp.STUDENT, student=student.id),
        )
    kb.adjust(2)
    kb.row(back_to_lesson_button(lesson.id))
    await message.edit_text(_("Whose homework is it?"), reply_markup=kb.as_markup())


async def on_student(
    query: CallbackQuery, callback_data: HomeworkCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    lesson, message = await _writable(query, callback_data, session, viewer)
    await state.set_state(LessonText.homework)
    await state.update_data(lesson=lesson.id, hw=None, student=callback_data.student)
    await message.edit_text(_("Send this student's homework: text, photos or documents with a caption."))


async def on_due(query: CallbackQuery, callback_data: HomeworkCb, session: AsyncSession, viewer: Viewer) -> None:
    lesson, message = await _writable(query, callback_data, session, viewer)
    kb = Keyboard()
    for nxt in await homework.due_dates(session, lesson):
        kb.button(
            text=short_day(nxt),
            callback_data=HomeworkCb(lesson=lesson.id, op=HomeworkOp.SET_DUE, hw=callback_data.hw, day=nxt.toordinal()),
        )
    kb.adjust(2)
    kb.row(back_to_lesson_button(lesson.id))
    await message.edit_text(_("Due on which lesson?"), reply_markup=kb.as_markup())


async def on_set_due(query: CallbackQuery, callback_data: HomeworkCb, session: AsyncSession, viewer: Viewer) -> None:
    lesson, message = await _writable(query, callback_data, session, viewer)
    due = date.fromordinal(callback_data.day)
    hw = await homework.edit(session, viewer, callback_data.hw, due_on=due)
    await message.edit_text(
        _("Homework due {day}.").format(day=day(due)), reply_markup=homework_keyboard(lesson.id, hw.id)
    )


async def on_edit(
    query: CallbackQuery, callback_data: HomeworkCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    lesson, message = await _writable(query, callback_data, session, viewer)
    await state.set_state(LessonText.homework)
    await state.update_data(lesson=lesson.id, hw=callback_data.hw, student=None, replace=True)
    await message.edit_text(
        _("Send the new text of the homework; photos and files sent now are added to it."),
        reply_markup=homework_keyboard(lesson.id, callback_data.hw),
    )


async def on_delete(
    query: CallbackQuery, callback_data: HomeworkCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    lesson, message = await _writable(query, callback_data, session, viewer)
    told = await homework.delete(session, viewer, callback_data.hw)
    await state.set_state(None)
    text = _("The homework is removed.")
    if told:
        text += "\n" + ngettext(
            "It had reached {count} family member: they are told it is withdrawn.",
            "It had reached {count} family members: they are told it is withdrawn.",
            told,
        ).format(count=told)
    await message.edit_text(text, reply_markup=back_to_lesson(lesson.id))


def make_router() -> Router:
    router = Router(name="journal_homework")
    router.callback_query.register(ask_topic, LessonCb.filter(F.act == LessonAct.TOPIC))
    router.callback_query.register(ask_homework, LessonCb.filter(F.act == LessonAct.HOMEWORK))
    # One handler an operation: the filter picks it.
    router.callback_query.register(on_done, HomeworkCb.filter(F.op == HomeworkOp.DONE))
    router.callback_query.register(on_for_one, HomeworkCb.filter(F.op == HomeworkOp.ONE))
    router.callback_query.register(on_student, HomeworkCb.filter(F.op == HomeworkOp.STUDENT))
    router.callback_query.register(on_due, HomeworkCb.filter(F.op == HomeworkOp.DUE))
    router.callback_query.register(on_set_due, HomeworkCb.filter(F.op == HomeworkOp.SET_DUE))
    router.callback_query.register(on_edit, HomeworkCb.filter(F.op == HomeworkOp.EDIT))
    router.callback_query.register(on_delete, HomeworkCb.filter(F.op == HomeworkOp.DELETE))
    router.message.register(got_topic, LessonText.topic)
    router.message.register(got_homework, LessonText.homework)
    return router
