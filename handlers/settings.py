"""/settings: which notifications come (only those the person's roles can get), quiet hours from
one hour to another, each child's notifications for a parent of several, language."""

from datetime import time

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import ChildMuteCb, SettingsCb, SettingsOp
from handlers.keyboards import Keyboard, language_keyboard
from models import Preference
from services import preferences
from services.errors import N_
from services.preferences import ChildSwitch
from services.roles import Viewer

LABELS = {
    "grades": N_("Grades"),
    "absences": N_("Absences"),
    "homework": N_("New homework"),
    "summaries": N_("Weekly summaries"),
    "reminders": N_("Reminders"),
    "notes": N_("Notes from families"),
}


def _hour(value: int | time) -> str:
    return f"{value:%H:%M}" if isinstance(value, time) else f"{value:02d}:00"


def quiet_hours(preference: Preference) -> str | None:
    if preference.quiet_from is None or preference.quiet_to is None:
        return None
    return f"{_hour(preference.quiet_from)}–{_hour(preference.quiet_to)}"


def view(
    preference: Preference, categories: tuple[str, ...], children: list[ChildSwitch]
) -> tuple[str, InlineKeyboardMarkup]:
    kb = Keyboard()
    if not categories:
        # An administrator alone gets no pushes: nothing to switch, only the language.
        kb.button(text="🌐 " + _("Language"), callback_data=SettingsCb(op=SettingsOp.LANGUAGE))
        return _("The bot sends you no notifications: your role gets none."), kb.as_markup()
    hours = quiet_hours(preference)
    if hours is not None and preference.quiet_to is not None:
        quiet = _("Quiet hours: {hours}; what comes then waits until {end} and arrives as one message.").format(
            hours=hours, end=_hour(preference.quiet_to)
        )
    else:
        quiet = _("Quiet hours: off; notifications come at any time of day.")
    lines = [_("Notifications: tap to turn on or off."), quiet]
    for category in categories:
        on = getattr(preference, f"push_{category}")
        kb.button(
            text=("✅ " if on else "⬜ ") + _(LABELS[category]),
            callback_data=SettingsCb(op=SettingsOp.TOGGLE, value=category, on=not on),
        )
    if children:
        lines.append(_("Each child: 🔔 notifications about them come, 🔕 they are turned off."))
        for child in children:
            kb.button(
                text=("🔕 " if child.muted else "🔔 ") + child.name,
                callback_data=ChildMuteCb(student=child.student_id, mute=not child.muted),
            )
    kb.button(
        text="🌙 " + (_("Quiet hours: {hours}").format(hours=hours) if hours else _("Quiet hours: off")),
        callback_data=SettingsCb(op=SettingsOp.QUIET),
    )
    kb.button(text="🌐 " + _("Language"), callback_data=SettingsCb(op=SettingsOp.LANGUAGE))
    rows = [2] * (len(categories) // 2) + [1] * (len(categories) % 2)
    rows += [2] * (len(children) // 2) + [1] * (len(children) % 2)
    kb.adjust(*rows, 1, 1)
    return "\n".join(lines), kb.as_markup()


def start_picker(preference: Preference) -> tuple[str, InlineKeyboardMarkup]:
    hours = quiet_hours(preference)
    now = _("Now: {hours}.").format(hours=hours) if hours else _("Now there are none.")
    kb = Keyboard()
    for hour in range(24):
        kb.button(text=_hour(hour), callback_data=SettingsCb(op=SettingsOp.QUIET_FROM, start=hour))
    kb.button(text=_("No quiet hours"), callback_data=SettingsCb(op=SettingsOp.QUIET_OFF))
    kb.button(text="◀ " + _("back"), callback_data=SettingsCb(op=SettingsOp.BACK))
    kb.adjust(6, 6, 6, 6, 1, 1)
    text = _("Quiet hours: notifications that come then wait until they end. From what hour?") + "\n" + now
    return text, kb.as_markup()


def end_picker(start: int) -> tuple[str, InlineKeyboardMarkup]:
    kb = Keyboard()
    for hour in range(24):
        if hour != start:
            kb.button(text=_hour(hour), callback_data=SettingsCb(op=SettingsOp.QUIET_TO, start=start, end=hour))
    kb.button(text="◀ " + _("back"), callback_data=SettingsCb(op=SettingsOp.QUIET))
    kb.adjust(6, 6, 6, 5, 1)
    return _("Quiet hours from {start}. Until what hour?").format(start=_hour(start)), kb.as_markup()


async def main_view(session: AsyncSession, viewer: Viewer) -> tuple[str, InlineKeyboardMarkup]:
    preference = await preferences.of(session, viewer)
    children = await preferences.child_switches(session, viewer)
    return view(preference, preferences.categories_for(viewer), children)


async def settings(message: Message, session: AsyncSession, viewer: Viewer) -> None:
    text, markup = await main_view(session, viewer)
    await message.answer(text, reply_markup=markup)


async def on_language(query: CallbackQuery) -> None:
    assert isinstance(query.message, Message)
    await query.answer()
    await query.message.answer(_("Choose the language:"), reply_markup=language_keyboard())


async def on_toggle(query: CallbackQuery, callback_data: SettingsCb, session: AsyncSession, viewer: Viewer) -> None:
    await preferences.set_category(session, viewer, callback_data.value, callback_data.on)
    await show_main(query, session, viewer, _("Saved."))


async def on_child(query: CallbackQuery, callback_data: ChildMuteCb, session: AsyncSession, viewer: Viewer) -> None:
    muted = await preferences.mute_child(session, viewer, callback_data.student, callback_data.mute)
    name = next(
        (c.name for c in await preferences.child_switches(session, viewer) if c.student_id == callback_data.student),
        "",
    )
    notice = _("{name}: notifications turned off.") if muted else _("{name}: notifications turned on.")
    await show_main(query, session, viewer, notice.format(name=name))


async def on_quiet(query: CallbackQuery, session: AsyncSession, viewer: Viewer) -> None:
    assert isinstance(query.message, Message)
    text, markup = start_picker(await preferences.of(session, viewer))
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


async def on_quiet_from(query: CallbackQuery, callback_data: SettingsCb, session: AsyncSession, viewer: Viewer) -> None:
    assert isinstance(query.message, Message)
    await preferences.of(session, viewer)  # a linked account's settings only
    text, markup = end_picker(callback_data.start)
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


async def on_quiet_to(query: CallbackQuery, callback_data: SettingsCb, session: AsyncSession, viewer: Viewer) -> None:
    await preferences.set_quiet(session, viewer, callback_data.start, callback_data.end)
    await show_main(query, session, viewer, _("Saved."))


async def on_quiet_off(query: CallbackQuery, session: AsyncSession, viewer: Viewer) -> None:
    await preferences.set_quiet(session, viewer, None, None)
    await show_main(query, session, viewer, _("Saved."))


async def on_back(query: CallbackQuery, session: AsyncSession, viewer: Viewer) -> None:
    await show_main(query, session, viewer, None)


async def show_main(query: CallbackQuery, session: AsyncSession, viewer: Viewer, notice: str | None) -> None:
    assert isinstance(query.message, Message)
    text, markup = await main_view(session, viewer)
    await query.answer(notice)
    await query.message.edit_text(text, reply_markup=markup)


def make_router() -> Router:
    router = Router(name="settings")
    router.message.register(settings, Command("settings"))
    router.callback_query.register(on_language, SettingsCb.filter(F.op == SettingsOp.LANGUAGE))
    router.callback_query.register(on_toggle, SettingsCb.filter(F.op == SettingsOp.TOGGLE))
    router.callback_query.register(on_quiet, SettingsCb.filter(F.op == SettingsOp.QUIET))
    router.callback_query.register(on_quiet_from, SettingsCb.filter(F.op == SettingsOp.QUIET_FROM))
    router.callback_query.register(on_quiet_to, SettingsCb.filter(F.op == SettingsOp.QUIET_TO))
    router.callback_query.register(on_quiet_off, SettingsCb.filter(F.op == SettingsOp.QUIET_OFF))
    router.callback_query.register(on_back, SettingsCb.filter(F.op == SettingsOp.BACK))
    router.callback_query.register(on_child, ChildMuteCb.filter())
    return router
