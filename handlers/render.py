"""Shared pieces of what the bot shows: role names, the menu, the consent text, commands."""

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from babel.dates import format_datetime

from locales.i18n import DEFAULT_LOCALE, LOCALES, translate
from services.menu import Command, commands_for, public_commands
from services.roles import ROLE_LABELS, Role, Viewer

log = logging.getLogger(__name__)


def role_names(roles: frozenset[Role] | tuple[Role, ...]) -> str:
    order = list(Role)
    return ", ".join(_(ROLE_LABELS[r]) for r in sorted(roles, key=order.index))


def menu_text(viewer: Viewer) -> str:
    if not viewer.linked:
        return _(
            "I am your school's electronic diary bot. To start, send /start and the code you got "
            "on paper, like this: /start ABCDE-FGHJK-MNPQR.\n\n"
            "Students and parents get codes from their class teacher; staff from the school administrator."
        )
    lines = [_("What you can do:")]
    lines += [f"/{c.name} — {_(c.description)}" for c in commands_for(viewer.roles) if c.name != "start"]
    if viewer.needs_consent:
        lines += ["", _("Diary data appears here after you accept the processing of personal data: /privacy")]
    return "\n".join(lines)


def greeting(viewer: Viewer) -> str:
    assert viewer.person is not None
    if not viewer.roles:
        return _(
            "Hello, {name}! Your account is linked, but the school roster gives you no role "
            "at the moment. Ask the school administrator."
        ).format(name=viewer.person.short_name)
    return _("Hello, {name}! You are signed in as: {roles}.").format(
        name=viewer.person.short_name, roles=role_names(viewer.roles)
    )


def consent_text() -> str:
    return _(
        "Consent to the processing of personal data\n\n"
        "To show you grades, attendance and homework, the school processes personal data of the "
        "student and the parents (Federal Law No. 152-FZ “On Personal Data”). Under the school's "
        "rules on the electronic diary, the diary is open to students and parents who have given "
        "this consent, and each family sees only its own child's data.\n\n"
        "You can withdraw your consent at any time with /privacy; then the bot stops showing diary "
        "data and sending notifications."
    )


def when(moment: datetime, viewer: Viewer) -> str:
    zone = ZoneInfo(viewer.school.timezone) if viewer.school else None
    return format_datetime(moment.astimezone(zone), "d MMMM y, HH:mm", locale=get_i18n().current_locale)


def bot_commands(commands: list[Command], locale: str) -> list[BotCommand]:
    return [BotCommand(command=c.name, description=translate(c.description, locale)) for c in commands]


async def set_default_commands(bot: Bot) -> None:
    """What people who have not linked yet see, in each language (Russian for the rest)."""
    # Private chats only: in a group the bot offers nothing (it answers there with one line).
    private = BotCommandScopeAllPrivateChats()
    for locale in LOCALES:
        await bot.set_my_commands(bot_commands(public_commands(), locale), scope=private, language_code=locale)
    await bot.set_my_commands(bot_commands(public_commands(), DEFAULT_LOCALE), scope=private)


async def sync_chat_commands(bot: Bot, chat_id: int, viewer: Viewer | None, locale: str) -> None:
    """The chat's own command list follows its person's roles; failure here must not undo a link."""
    try:
        scope = BotCommandScopeChat(chat_id=chat_id)
        if viewer is None or not viewer.linked:
            await bot.delete_my_commands(scope=scope)
        else:
            await bot.set_my_commands(bot_commands(commands_for(viewer.roles), locale), scope=scope)
    except TelegramAPIError as error:
        log.warning("could not update the command list of chat %s: %s", chat_id, error)


MESSAGE_LIMIT = 4000  # Telegram allows 4096 characters; a little room is kept


def chunks(lines: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Lines joined into messages under Telegram's limit, split between lines, never inside one."""
    parts: list[str] = []
    current = ""
    for line in lines:
        while len(line) > limit:  # a single overlong line is cut, as a last resort
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        if current and len(current) + len(line) + 1 > limit:
            parts.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return parts + ([current] if current else [])
