"""/codes: link codes for the not-yet-linked people a tutor or administrator may hand them to.

Nothing is issued at the first tap: the person first sees how many get codes (counted at that
moment) and how many already hold live ones, and chooses to keep the earlier codes valid or to
cancel them. A confirmation pressed again, or on an old message, after codes were issued to the
same people is asked again with fresh numbers (services.link_codes.issue_requested), so presses do
not pile up sets of live codes."""

import asyncio
import csv
import io
from datetime import timedelta
from enum import StrEnum

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import OptionalId
from handlers.keyboards import Keyboard, rows_of
from handlers.render import chunks
from handlers.screens import Screen, show
from services import clock
from services.link_codes import (
    CodeBatch,
    CodeFilter,
    CodeRequest,
    CodeTargets,
    IssuedCode,
    ask_codes,
    code_targets,
    issue_requested,
)
from services.roles import Role, Viewer
from views.documents.code_sheet import Sheet, code_sheet, groups, role_words, sheet_title, whose_line
from views.documents.render import safe_file_name

LISTED_IN_CHAT = 60  # about two classes' families; more come as the files only


class CodesOp(StrEnum):
    CHOOSE = "choose"  # whom for: the classes (an administrator's staff and whole school too)
    ASK = "ask"  # how many get codes, and the two ways to issue them
    ISSUE = "issue"  # issue; codes handed out earlier keep working
    REPLACE = "replace"  # cancel the earlier unused codes of the same people, then issue


class Whom(StrEnum):
    CLASS = "cls"
    STAFF = "staff"
    SCHOOL = "school"


class CodesCb(CallbackData, prefix="codes"):
    op: CodesOp
    whom: Whom = Whom.CLASS
    cls: OptionalId = 0
    stamp: OptionalId = 0  # the newest code of these people when the question was shown


def deep_link(username: str | None, code: str) -> str:
    return f"https://t.me/{username}?start={code}" if username else ""


def codes_csv(codes: list[IssuedCode], username: str | None) -> bytes:
    """A parent's child has a column of its own: the class column holds classes only."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Person"), _("Role"), _("Class"), _("Child"), _("Code"), _("Link")])
    locale = get_i18n().current_locale
    for c in codes:
        writer.writerow(
            [
                c.full_name,
                role_words(c, locale),
                c.class_name or "",
                "; ".join(c.children),
                c.code,
                deep_link(username, c.code),
            ]
        )
    return out.getvalue().encode("utf-8-sig")  # with a BOM, Excel opens Cyrillic correctly


def code_filter(whom: Whom, class_id: int) -> CodeFilter:
    if whom is Whom.STAFF:
        return CodeFilter(staff=True)
    if whom is Whom.SCHOOL:
        return CodeFilter()
    return CodeFilter(class_id=class_id)


def whom_of(request: CodeRequest) -> tuple[Whom, int]:
    if request.staff:
        return Whom.STAFF, 0
    if request.class_id is not None:
        return Whom.CLASS, request.class_id
    return Whom.SCHOOL, 0


def chooses(viewer: Viewer) -> bool:
    """An administrator, or the class teacher of several classes, picks whom the codes are for."""
    return Role.ADMIN in viewer.roles or len(viewer.tutor_class_ids) > 1


def request_text(request: CodeRequest) -> str:
    """Whom the codes are for, how many get one, and who holds live codes already."""
    if request.staff:
        title = _("Link codes for the staff")
    elif request.class_name is not None:
        title = _("Link codes for {cls}").format(cls=request.class_name)
    else:
        title = _("Link codes for the whole school")
    if not request.people:
        return title + "\n" + _("Everyone here has already linked an account: there is nobody to issue codes to.")
    lines = [
        title,
        ngettext(
            "{count} person has not linked an account yet and gets a code.",
            "{count} people have not linked an account yet and get a code each.",
            request.people,
        ).format(count=request.people),
    ]
    if request.holding:
        lines.append(
            ngettext(
                "{count} of them already holds a valid code handed out earlier (codes in all: {codes}).",
                "{count} of them already hold valid codes handed out earlier (codes in all: {codes}).",
                request.holding,
            ).format(count=request.holding, codes=request.live)
        )
    lines.append(_("Codes handed out earlier keep working until one of them is used, unless you cancel them."))
    return "\n".join(lines)


def request_screen(
    request: CodeRequest, issue: CallbackData, replace: CallbackData, back: CallbackData | None
) -> Screen:
    """The question before issuing, for /codes and /coverage alike: its buttons are theirs."""
    kb = Keyboard()
    if request.people:
        kb.button(text=_("Issue (the earlier ones still work)"), callback_data=issue)
        kb.button(text=_("Issue and cancel the earlier ones"), callback_data=replace)
    if back is not None:
        kb.button(text="◀ " + _("back"), callback_data=back)
    kb.adjust(1)
    return request_text(request), kb.as_markup()


def issued_text(batch: CodeBatch) -> str:
    text = ngettext("{count} code issued: it is below.", "{count} codes issued: they are below.", len(batch.codes))
    text = text.format(count=len(batch.codes))
    if batch.revoked:
        text += " " + ngettext(
            "{count} code handed out earlier was cancelled.",
            "{count} codes handed out earlier were cancelled.",
            batch.revoked,
        ).format(count=batch.revoked)
    return text


def back_only(back: CallbackData | None) -> InlineKeyboardMarkup | None:
    if back is None:
        return None
    kb = Keyboard()
    kb.button(text="◀ " + _("back"), callback_data=back)
    return kb.as_markup()


def choose_screen(targets: CodeTargets) -> Screen:
    kb = Keyboard()
    for class_id, name in targets.classes:
        kb.button(text=name, callback_data=CodesCb(op=CodesOp.ASK, whom=Whom.CLASS, cls=class_id))
    sizes = rows_of(len(targets.classes), 4)
    if targets.staff:
        kb.button(text="👥 " + _("Staff"), callback_data=CodesCb(op=CodesOp.ASK, whom=Whom.STAFF))
    if targets.school:
        kb.button(text="🏫 " + _("Whole school"), callback_data=CodesCb(op=CodesOp.ASK, whom=Whom.SCHOOL))
    kb.adjust(*sizes, 1)
    return (
        _(
            "Link codes for whom? They go to those who have not linked an account yet; nothing is issued "
            "before you confirm."
        ),
        kb.as_markup(),
    )


def codes_request_screen(request: CodeRequest, viewer: Viewer) -> Screen:
    whom, class_id = whom_of(request)
    asked = CodesCb(op=CodesOp.ISSUE, whom=whom, cls=class_id, stamp=request.stamp)
    back = CodesCb(op=CodesOp.CHOOSE) if chooses(viewer) else None
    return request_screen(request, asked, asked.model_copy(update={"op": CodesOp.REPLACE}), back)


async def codes(message: Message, command: CommandObject, session: AsyncSession, viewer: Viewer) -> None:
    """/codes asks whom for (an administrator, a class teacher of several classes), /codes 5А and a
    one-class teacher's /codes go straight to the question; nothing is issued yet."""
    asked = (command.args or "").strip()
    if not asked and chooses(viewer):
        text, markup = choose_screen(await code_targets(session, viewer))
    else:
        whole = asked.lower() in ("all", _("all").lower())
        flt = CodeFilter(class_ref=asked) if asked and not whole else CodeFilter()
        text, markup = codes_request_screen(await ask_codes(session, flt, actor=viewer), viewer)
    await message.answer(text, reply_markup=markup)


async def on_press(
    query: CallbackQuery, callback_data: CodesCb, session: AsyncSession, viewer: Viewer, bot: Bot, link_code_days: int
) -> None:
    assert isinstance(query.message, Message)
    op = callback_data.op
    if op is CodesOp.CHOOSE:
        await show(query, choose_screen(await code_targets(session, viewer)))
        return
    flt = code_filter(callback_data.whom, callback_data.cls)
    if op is CodesOp.ASK:
        await show(query, codes_request_screen(await ask_codes(session, flt, actor=viewer), viewer))
        return
    done = await issue_requested(
        session, flt, days=link_code_days, actor=viewer, replace=op is CodesOp.REPLACE, stamp=callback_data.stamp
    )
    if isinstance(done, CodeRequest):
        await show(
            query,
            codes_request_screen(done, viewer),
            notice=_(
                "Codes were issued to these people after this question was shown, so nothing was issued now: "
                "here are the numbers as they are."
            ),
        )
        return
    await show(query, (issued_text(done), back_only(CodesCb(op=CodesOp.CHOOSE) if chooses(viewer) else None)))
    await send_codes(query.message, done, bot, link_code_days)


async def send_codes(message: Message, batch: CodeBatch, bot: Bot, days: int) -> None:
    """The new codes as a message, as a sheet of slips to print and cut (PDF) and as a table (CSV),
    class by class (then the staff) where they are of several."""
    issued = batch.codes
    if not issued:
        await message.answer(_("Everyone here has already linked an account; no codes were issued."))
        return
    username = (await bot.me()).username
    locale = get_i18n().current_locale
    title = sheet_title(issued, locale)
    if batch.revoked:
        head = ngettext(
            "New link codes, valid for {days} day. The unused codes handed out to these people earlier are cancelled:",
            "New link codes, valid for {days} days. The unused codes handed out to these people earlier are cancelled:",
            days,
        )
    else:
        head = ngettext(
            "New link codes, valid for {days} day. Codes handed out earlier still work until one of them is used:",
            "New link codes, valid for {days} days. Codes handed out earlier still work until one of them is used:",
            days,
        )
    lines = [head.format(days=days)]
    if len(issued) <= LISTED_IN_CHAT:
        grouped = list(groups(issued, locale))
        for label, slips in grouped:
            if len(grouped) > 1:
                lines += ["", f"{label}:"]
            lines += [f"{c.full_name} ({whose_line(c, locale)}): {c.code}" for c in slips]
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
        # Drawn off the event loop, as a report is: a whole school's slips take seconds.
        pdf = await asyncio.to_thread(code_sheet, issued, sheet)
        await message.answer_document(
            BufferedInputFile(pdf, filename=safe_file_name(title, "pdf")),
            caption=_("The same codes as slips to print on A4 and cut: a slip a person, with a QR code.")
            if len(issued) <= LISTED_IN_CHAT
            else _("The codes as slips to print on A4 and cut: a slip a person, with a QR code, class by class."),
        )
    await message.answer_document(
        BufferedInputFile(codes_csv(issued, username), filename=safe_file_name(title, "csv")),
        caption=_("The same codes as a table with links, for printing.")
        if len(issued) <= LISTED_IN_CHAT
        else _("The codes as a table with links, for printing."),
    )


def make_router() -> Router:
    router = Router(name="codes")
    router.message.register(codes, Command("codes"))
    router.callback_query.register(on_press, CodesCb.filter())
    return router
