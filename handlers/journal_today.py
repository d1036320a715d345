"""/today: a teacher's lessons of a day, and each lesson's card with its actions."""

from datetime import date, timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import DayCb, LessonAct, LessonCb
from handlers.journal_render import card_status, day, lesson_title, short_day
from handlers.keyboards import Keyboard
from handlers.miniapp import offer_menu_button, with_open_button
from locales.i18n import day_in_words
from services import clock, journal_views
from services.journal_views import LessonCard
from services.roles import Viewer


def actions(kb: Keyboard, lesson_id: int, started: bool = True, grading: bool = True) -> int:
    """The lesson's actions: attendance and grades only once it has begun, grades only where the
    class takes them (not in a first grade). Returns how many."""
    count = 2
    if started:
        kb.button(text=_("Attend."), callback_data=LessonCb(id=lesson_id, act=LessonAct.ATTENDANCE))
        count += 1
        if grading:
            kb.button(text=_("Grades"), callback_data=LessonCb(id=lesson_id, act=LessonAct.GRADES))
            count += 1
    kb.button(text=_("Topic"), callback_data=LessonCb(id=lesson_id, act=LessonAct.TOPIC))
    kb.button(text=_("HW"), callback_data=LessonCb(id=lesson_id, act=LessonAct.HOMEWORK))
    return count


def step(on: date, direction: int, weekdays: set[int]) -> date:
    """The next day either way on which the teacher has lessons: no tapping through weekends."""
    for n in range(1, 8):
        candidate = on + timedelta(days=direction * n)
        if candidate.isoweekday() in weekdays:
            return candidate
    return on + timedelta(days=direction)


def day_view(cards: list[LessonCard], on: date, days: journal_views.TeachingDays) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("Your lessons, {day}:").format(day=day(on))]
    kb = Keyboard()
    sizes: list[int] = []
    if not cards:
        lines.append(_("No lessons on this day."))
    for card in cards:
        title = lesson_title(card.lesson, card.class_name, card.subject)
        status = card_status(card) if card.started else _("not begun yet: topic and homework can be given ahead")
        lines.append(f"\n{title}\n{status}")
        # The card itself, then its actions in one row: one tap to any of them.
        kb.button(text=title, callback_data=LessonCb(id=card.lesson.id, act=LessonAct.OPEN))
        sizes += [1, actions(kb, card.lesson.id, card.started, card.grading)]
    previous = step(on, -1, days.weekdays)
    nav = 0
    if previous >= days.first_editable:
        kb.button(text="◀ " + short_day(previous), callback_data=DayCb(day=previous.toordinal()))
        nav += 1
    else:
        lines.append("\n" + read_only_before(days))
    if on != days.today:
        kb.button(text=_("today"), callback_data=DayCb(day=days.today.toordinal()))
        nav += 1
    kb.button(text="📅", callback_data=DayCb(day=on.toordinal(), pick=True))
    following = step(on, 1, days.weekdays)
    kb.button(text=short_day(following) + " ▶", callback_data=DayCb(day=following.toordinal()))
    kb.adjust(*sizes, nav + 2)
    return "\n".join(lines), kb.as_markup()


def read_only_before(days: journal_views.TeachingDays) -> str:
    return ngettext(
        "Days before {first} are read-only: the journal can be changed for {count} day. "
        "An older entry is corrected by the school administration.",
        "Days before {first} are read-only: the journal can be changed for {count} days. "
        "An older entry is corrected by the school administration.",
        days.window,
    ).format(first=day_in_words(days.first_editable, get_i18n().current_locale), count=days.window)


# The calendar reaches a week past the current one: homework and topics are often planned ahead.
WEEKS_AHEAD = 1


def calendar_view(on: date, days: journal_views.TeachingDays) -> tuple[str, InlineKeyboardMarkup]:
    """The days the journal can still be changed, a row a week, and the week ahead."""
    kb = Keyboard()
    sizes: list[int] = []
    monday = days.first_editable - timedelta(days=days.first_editable.isoweekday() - 1)
    last = days.today + timedelta(days=7 * WEEKS_AHEAD + 7 - days.today.isoweekday())
    while monday <= last:
        row = 0
        for offset in range(7):
            candidate = monday + timedelta(days=offset)
            if candidate.isoweekday() not in days.weekdays or not days.first_editable <= candidate <= last:
                continue
            label = short_day(candidate)
            if candidate == days.today:
                label = "• " + label
            kb.button(text=label, callback_data=DayCb(day=candidate.toordinal()))
            row += 1
        if row:
            sizes.append(row)
        monday += timedelta(days=7)
    kb.button(text="◀ " + _("back"), callback_data=DayCb(day=on.toordinal()))
    kb.adjust(*sizes, 1)
    text = _("Choose a day.") + "\n" + read_only_before(days)
    return text, kb.as_markup()


async def render_day(session: AsyncSession, viewer: Viewer, on: date) -> tuple[str, InlineKeyboardMarkup]:
    cards = await journal_views.teacher_day(session, viewer, on)
    return day_view(cards, on, await journal_views.teaching_days(session, viewer))


async def today(
    message: Message, session: AsyncSession, viewer: Viewer, bot: Bot, miniapp_url: str | None = None
) -> None:
    viewer.require_linked()
    assert viewer.school is not None
    text, markup = await render_day(session, viewer, clock.school_today(viewer.school))
    await message.answer(text, reply_markup=with_open_button(markup, miniapp_url, _("The journal as a table")))
    await offer_menu_button(bot, viewer, message.chat.id, miniapp_url)


async def other_day(query: CallbackQuery, callback_data: DayCb, session: AsyncSession, viewer: Viewer) -> None:
    assert isinstance(query.message, Message)
    on = date.fromordinal(callback_data.day)
    if callback_data.pick:
        text, markup = calendar_view(on, await journal_views.teaching_days(session, viewer))
    else:
        text, markup = await render_day(session, viewer, on)
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
        card_status(card) if card.started else _("not begun yet: attendance and grades open at its start"),
    ]
    if lesson.topic:
        lines.append(_("Topic: {topic}").format(topic=lesson.topic))
    kb = Keyboard()
    count = actions(kb, lesson.id, card.started, card.grading)
    kb.button(text="◀ " + _("the day"), callback_data=DayCb(day=lesson.on_date.toordinal()))
    kb.adjust(count, 1)
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
