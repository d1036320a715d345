"""/settings: which notifications come, quiet hours, language."""

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import SettingsCb, SettingsOp
from handlers.keyboards import Keyboard, language_keyboard
from models import Preference
from services import preferences
from services.errors import N_
from services.roles import Viewer

LABELS = {
    "grades": N_("Grades"),
    "absences": N_("Absences"),
    "homework": N_("New homework"),
    "summaries": N_("Weekly summaries"),
    "reminders": N_("Reminders"),
}
QUIET_LABELS = {"21-0730": "21:00–07:30", "22-07": "22:00–07:00", "23-08": "23:00–08:00"}


def view(preference: Preference) -> tuple[str, InlineKeyboardMarkup]:
    chosen = f"{preference.quiet_from:%H:%M}–{preference.quiet_to:%H:%M}" if preference.quiet_from else None
    if preference.quiet_from and preference.quiet_to:
        quiet = _("Quiet hours: {hours}; what comes then waits until morning and arrives as one message.").format(
            hours=chosen
        )
    else:
        quiet = _("Quiet hours: off; notifications come at any time of day.")
    text = _("Notifications: tap to turn on or off.") + "\n" + quiet
    kb = Keyboard()
    for category in preferences.CATEGORIES:
        on = getattr(preference, f"push_{category}")
        kb.button(
            text=("✅ " if on else "⬜ ") + _(LABELS[category]),
            callback_data=SettingsCb(op=SettingsOp.TOGGLE, value=category),
        )
    for preset, label in QUIET_LABELS.items():
        mark = "✅ " if label == chosen else "🌙 "
        kb.button(text=mark + label, callback_data=SettingsCb(op=SettingsOp.QUIET, value=preset))
    off = "✅ " if chosen is None else "🌙 "
    kb.button(text=off + _("no quiet hours"), callback_data=SettingsCb(op=SettingsOp.QUIET, value="off"))
    kb.button(text="🌐 " + _("Language"), callback_data=SettingsCb(op=SettingsOp.LANGUAGE))
    kb.adjust(2, 2, 1, 2, 2, 1)
    return text, kb.as_markup()


async def settings(message: Message, session: AsyncSession, viewer: Viewer) -> None:
    text, markup = view(await preferences.of(session, viewer))
    await message.answer(text, reply_markup=markup)


async def on_language(query: CallbackQuery) -> None:
    assert isinstance(query.message, Message)
    await query.answer()
    await query.message.answer(_("Choose the language:"), reply_markup=language_keyboard())


async def on_toggle(query: CallbackQuery, callback_data: SettingsCb, session: AsyncSession, viewer: Viewer) -> None:
    await show_saved(query, await preferences.toggle(session, viewer, callback_data.value))


async def on_quiet(query: CallbackQuery, callback_data: SettingsCb, session: AsyncSession, viewer: Viewer) -> None:
    await show_saved(query, await preferences.set_quiet(session, viewer, callback_data.value))


async def show_saved(query: CallbackQuery, preference: Preference) -> None:
    assert isinstance(query.message, Message)
    text, markup = view(preference)
    await query.answer(_("Saved."))
    await query.message.edit_text(text, reply_markup=markup)


def make_router() -> Router:
    router = Router(name="settings")
    router.message.register(settings, Command("settings"))
    router.callback_query.register(on_language, SettingsCb.filter(F.op == SettingsOp.LANGUAGE))
    router.callback_query.register(on_toggle, SettingsCb.filter(F.op == SettingsOp.TOGGLE))
    router.callback_query.register(on_quiet, SettingsCb.filter(F.op == SettingsOp.QUIET))
    return router
