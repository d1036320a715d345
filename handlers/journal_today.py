"""/today: a teacher's lessons of a day, and each lesson's card with its actions."""

from datetime import date, timedelta

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import DayCb, LessonAct, LessonCb
from handlers.journal_render import card_status, day, lesson_title
from handlers.keyboards import Keyboard
from services import clock, journal_views
from services.journal_views import LessonCard
from services.roles import Viewer


def actions(kb: Keyboard, lesson_id: int) -> None:
    kb.button(text=_("Attend."), callback_data=LessonCb(id=lesson_id, act=LessonAct.ATTENDANCE))
    kb.button(text=_("Grades"), callback_data=LessonCb(id=lesson_id, act=LessonAct.GRADES))
    kb.button(text=_("Topic"), callback_data=LessonCb(id=lesson_id, act=LessonAct.TOPIC))
    kb.button(text=_("HW"), callback_data=LessonCb(id=lesson_id, act=LessonAct.HOMEWORK))


def day_view(cards: list[LessonCard], on: date, window_days: int, today: date) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("Your lessons, {day}:").format(day=day(on))]
    kb = Keyboard()
    sizes: list[int] = []
    if not cards:
        lines.append(_("No lessons on this day."))
    for card in cards:
        title = lesson_title(card.lesson, card.class_name, card.subject)
        lines.append(f"\n{title}\n{card_status(card)}")
        # The card itself, then its four actions in one row: one tap to any of them.
        kb.button(text=title, callback_data=LessonCb(id=card.lesson.id, act=LessonAct.OPEN))
        actions(kb, card.lesson.id)
        sizes += [1, 4]
    earliest = today - timedelta(days=window_days)
    nav = 0
    if on > earliest:
        kb.button(text="◀ " + _("previous day"), callback_data=DayCb(day=(on - timedelta(days=1)).toordinal()))
        nav += 1
    if on != today:
        kb.button(text=_("today"), callback_data=DayCb(day=today.toordinal()))
        nav += 1
    kb.button(text=_("next day") + " ▶", callback_data=DayCb(day=(on + timedelta(days=1)).toordinal()))
    kb.adjust(*sizes, nav + 1)
    return "\n".join(lines), kb.as_markup()


async def render_day(session: AsyncSession, viewer: Viewer, on: date) -> tuple[str, InlineKeyboardMarkup]:
    cards = await journal_views.teacher_day(session, viewer, on)
    assert viewer.school is not None
    return day_view(cards, on, viewer.school.edit_window_days, clock.school_today(viewer.school))


async def today(message: Message, session: AsyncSession, viewer: Viewer) -> None:
    viewer.require_linked()
    assert viewer.school is not None
    text, markup = await render_day(session, viewer, clock.school_today(viewer.school))
    await message.answer(text, reply_markup=markup)


async def other_day(query: CallbackQuery, callback_data: DayCb, session: AsyncSession, viewer: Viewer) -> None:
    assert isinstance(query.message, Message)
    text, markup = await render_day(session, viewer, date.fromordinal(callback_data.day))
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


async def card_view(session: AsyncSession, viewer: Viewer, lesson_id: int) -> tuple[str, InlineKeyboardMarkup]:
    card = await journal_views.lesson_card(session, viewer, lesson_id)
    lesson = card.lesson
    group = " (" + _("group {group}").format(group=lesson.subgroup) + ")" if lesson.subgroup else ""
    when = _("{day}, lesson {no}, {start}–{end}").format(
        day=day(lesson.on_date), no=lesson.lesson_no, start=f"{lesson.starts_at:%H:%M}", end=f"{lesson.ends_at:%H:%M}"
    )
    room = ", " + _("room {room}").format(room=lesson.room) if lesson.room else ""
    lines = [
        f"{card.class_name}{group} — {card.subject}",
        when + room,
        card_status(card),
    ]
    if lesson.topic:
        lines.append(_("Topic: {topic}").format(topic=lesson.topic))
    kb = Keyboard()
    actions(kb, lesson.id)
    kb.button(text="◀ " + _("the day"), callback_data=DayCb(day=lesson.on_date.toordinal()))
    kb.adjust(4, 1)
    return "\n".join(lines), kb.as_markup()


async def open_lesson(query: CallbackQuery, callback_data: LessonCb, session: AsyncSession, viewer: Viewer) -> None:
    assert isinstance(query.message, Message)
    text, markup = await card_view(session, viewer, callback_data.id)
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


def make_router() -> Router:
    router = Router(name="journal_today")
    router.message.register(today, Command("today"))
    router.callback_query.register(other_day, DayCb.filter())
    router.callback_query.register(open_lesson, LessonCb.filter(F.act == LessonAct.OPEN))
    return router
