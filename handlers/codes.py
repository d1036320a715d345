"""/codes: link codes for the not-yet-linked people a tutor or administrator may hand them to."""

import csv
import io
from datetime import timedelta

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.render import chunks, role_names
from services import clock
from services.link_codes import CodeFilter, IssuedCode, issue_codes
from services.roles import Role, Viewer
from views.documents.code_sheet import Sheet, code_sheet, sheet_title, whose_line
from views.documents.render import safe_file_name

LISTED_IN_CHAT = 60  # about two classes' families; more come as the files only


def deep_link(username: str | None, code: str) -> str:
    return f"https://t.me/{username}?start={code}" if username else ""


def codes_csv(codes: list[IssuedCode], username: str | None) -> bytes:
    """A parent's child has a column of its own: the class column holds classes only."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Person"), _("Role"), _("Class"), _("Child"), _("Code"), _("Link")])
    for c in codes:
        writer.writerow(
            [
                c.full_name,
                role_names(c.roles),
                c.class_name or "",
                "; ".join(c.children),
                c.code,
                deep_link(username, c.code),
            ]
        )
    return out.getvalue().encode("utf-8-sig")  # with a BOM, Excel opens Cyrillic correctly


async def codes(
    message: Message, command: CommandObject, session: AsyncSession, viewer: Viewer, bot: Bot, link_code_days: int
) -> None:
    asked = (command.args or "").strip()
    if not asked and Role.ADMIN in viewer.roles:
        # A whole school's codes are hundreds of lines: an administrator names the class, or asks for all.
        await message.answer(
            _(
                "Codes for which class? Send /codes 5А for one class, or /codes all for the whole school "
                "(its codes then come as files only)."
            )
        )
        return
    class_ref = None if asked.lower() in ("", "all", _("all").lower()) else asked
    issued = await issue_codes(session, CodeFilter(class_ref=class_ref), days=link_code_days, actor=viewer)
    await send_codes(message, issued, bot, link_code_days)


async def send_codes(message: Message, issued: list[IssuedCode], bot: Bot, days: int) -> None:
    """The new codes as a message, as a sheet of slips to print and cut (PDF) and as a table (CSV)."""
    if not issued:
        await message.answer(_("Everyone here has already linked an account; no codes were issued."))
        return
    username = (await bot.me()).username
    title = sheet_title(issued, get_i18n().current_locale)
    lines = [
        ngettext(
            "New link codes, valid for {days} day. Codes handed out earlier still work until one of them is used:",
            "New link codes, valid for {days} days. Codes handed out earlier still work until one of them is used:",
            days,
        ).format(days=days)
    ]
    locale = get_i18n().current_locale
    if len(issued) <= LISTED_IN_CHAT:
        lines += [f"{c.full_name} ({whose_line(c, locale)}): {c.code}" for c in issued]
    else:
        lines.append(
            ngettext(
                "{count} code is in the files below.", "{count} codes are in the files below.", len(issued)
            ).format(count=len(issued))
        )
    for part in chunks(lines):
        await message.answer(part)
    if username:
        sheet = Sheet(username, (clock.now() + timedelta(days=days)).date(), locale)
        await message.answer_document(
            BufferedInputFile(code_sheet(issued, sheet), filename=safe_file_name(title, "pdf")),
            caption=_("The same codes as slips to print on A4 and cut: a slip a person, with a QR code."),
        )
    await message.answer_document(
        BufferedInputFile(codes_csv(issued, username), filename=safe_file_name(title, "csv")),
        caption=_("The same codes as a table with links, for printing."),
    )


def make_router() -> Router:
    router = Router(name="codes")
    router.message.register(codes, Command("codes"))
    return router
