"""The administration's screens: /journal (read any class, 000 §2.10) and /substitute (004 §4)."""

from datetime import date, timedelta

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import JournalCb, SubstituteCb
from handlers.journal_render import short_day
from handlers.keyboards import Keyboard
from services import clock, journal_views, lessons
from services.roles import Role, Viewer


async def journal_step(session: AsyncSession, viewer: Viewer, cb: JournalCb) -> tuple[str, InlineKeyboardMarkup]:
    kb = Keyboard()
    if not cb.cls:
        for school_class in await journal_views.readable_classes(session, viewer):
            kb.button(text=school_class.name, callback_data=JournalCb(cls=school_class.id))
        kb.adjust(4)
        return _("The journal: choose the class."), kb.as_markup()
    if not cb.subject:
        for subject in await journal_views.class_subjects(session, viewer, cb.cls):
            kb.button(text=subject.name, callback_data=JournalCb(cls=cb.cls, subject=subject.id))
        kb.adjust(2)
        return _("Choose the subject."), kb.as_markup()
    assert viewer.school is not None
    monday = date.fromordinal(cb.week) if cb.week else journal_views.week_of(clock.school_today(viewer.school))[0]
    page = await journal_views.journal_page(session, viewer, cb.cls, cb.subject, monday, monday + timedelta(days=6))
    lines = [
        f"{page.school_class.name} — {page.subject.name}, {short_day(monday)} – {short_day(monday + timedelta(days=6))}"
    ]
    if not page.lessons:
        lines.append(_("No lessons in the journal this week."))
    for lesson in page.lessons:
        group = f" ({lesson.subgroup})" if lesson.subgroup else ""
        topic = lesson.topic or _("no topic")
        lines.append(f"\n{short_day(lesson.on_date)}, {lesson.lesson_no}{group}: {topic}")
        absent = page.absent.get(lesson.id)
        if absent:
            lines.append("  " + _("absent: {names}").format(names=", ".join(absent)))
        marks = page.grades.get(lesson.id)
        if marks:
            lines.append("  " + _("grades: {list}").format(list=", ".join(f"{n} {v}" for n, v in marks)))
    kb.button(
        text="◀ " + _("previous week"),
        callback_data=JournalCb(cls=cb.cls, subject=cb.subject, week=(monday - timedelta(days=7)).toordinal()),
    )
    kb.button(
        text=_("next week") + " ▶",
        callback_data=JournalCb(cls=cb.cls, subject=cb.subject, week=(monday + timedelta(days=7)).toordinal()),
    )
    kb.button(text=_("another subject"), callback_data=JournalCb(cls=cb.cls))
    kb.adjust(2, 1)
    return "\n".join(lines)[:4000], kb.as_markup()


async def journal(message: Message, session: AsyncSession, viewer: Viewer) -> None:
    text, markup = await journal_step(session, viewer, JournalCb())
    await message.answer(text, reply_markup=markup)


async def journal_nav(query: CallbackQuery, callback_data: JournalCb, session: AsyncSession, viewer: Viewer) -> None:
    assert isinstance(query.message, Message)
    text, markup = await journal_step(session, viewer, callback_data)
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


async def substitute_step(
    session: AsyncSession, viewer: Viewer, cb: SubstituteCb
) -> tuple[str, InlineKeyboardMarkup | None]:
    admin = viewer.require_any(Role.ADMIN)
    kb = Keyboard()
    staff = await lessons.teachers(session, admin.school_id)
    if not cb.teacher:
        for person in staff:
            kb.button(
                text=f"{person.last_name} {person.first_name[:1]}.{(person.middle_name or ' ')[:1]}.",
                callback_data=SubstituteCb(teacher=person.id),
            )
        kb.adjust(2)
        return _("Whose lesson needs a substitute?"), kb.as_markup()
    absent = next((p for p in staff if p.id == cb.teacher), None)
    if absent is None:
        return _("There is no such active teacher."), None
    assert viewer.school is not None
    if not cb.lesson:
        upcoming = await lessons.upcoming_of_teacher(session, absent, clock.school_today(viewer.school))
        cards = await journal_views.cards(session, upcoming)
        for card in cards[:40]:
            mark = "🔁 " if card.lesson.substitute_id else ""
            kb.button(
                text=f"{mark}{short_day(card.lesson.on_date)} {card.lesson.lesson_no}. {card.class_name} "
                f"{card.subject}",
                callback_data=SubstituteCb(teacher=absent.id, lesson=card.lesson.id),
            )
        kb.adjust(1)
        return _("{name}: which lesson?").format(name=absent.full_name), kb.as_markup()
    if cb.to < 0:
        for person in staff:
            if person.id != absent.id:
                kb.button(
                    text=f"{person.last_name} {person.first_name[:1]}.",
                    callback_data=SubstituteCb(teacher=absent.id, lesson=cb.lesson, to=person.id),
                )
        kb.button(
            text=_("No substitute: the lesson's own teacher"),
            callback_data=SubstituteCb(teacher=absent.id, lesson=cb.lesson, to=0),
        )
        kb.adjust(2)
        return _("Who takes the lesson?"), kb.as_markup()
    lesson = await lessons.substitute(session, viewer, cb.lesson, cb.to or None)
    if lesson.substitute_id is None:
        return _("The lesson stays with its own teacher."), None
    name = next(p.full_name for p in staff if p.id == lesson.substitute_id)
    return _("{name} takes the lesson of {day} and fills its journal.").format(
        name=name, day=short_day(lesson.on_date)
    ), None


async def substitute(message: Message, session: AsyncSession, viewer: Viewer) -> None:
    text, markup = await substitute_step(session, viewer, SubstituteCb())
    await message.answer(text, reply_markup=markup)


async def substitute_nav(
    query: CallbackQuery, callback_data: SubstituteCb, session: AsyncSession, viewer: Viewer
) -> None:
    assert isinstance(query.message, Message)
    text, markup = await substitute_step(session, viewer, callback_data)
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


def make_router() -> Router:
    router = Router(name="admin_journal")
    router.message.register(journal, Command("journal"))
    router.callback_query.register(journal_nav, JournalCb.filter())
    router.message.register(substitute, Command("substitute"))
    router.callback_query.register(substitute_nav, SubstituteCb.filter())
    return router
