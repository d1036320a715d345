"""Link codes as an A4 sheet of cut-out slips: a slip a person, with the code, a QR code of the bot's
link and how to use it (fpdf2 draws, segno makes the QR code, both in memory)."""

import io
from dataclasses import dataclass
from datetime import date

import segno
from fpdf import FPDF

from locales.i18n import translate
from locales.i18n import translate_plural as ngettext  # the name pybabel extracts plurals by
from services.errors import N_
from services.link_codes import IssuedCode
from services.roles import ROLE_LABELS, Role
from views.documents.fonts import a4

COLUMNS, ROWS = 2, 4  # eight slips a page: the code reads at arm's length and the QR code scans
MARGIN = 10.0
PAD = 4.0
QR_SIDE = 32.0
GREY = (90, 90, 90)


@dataclass(frozen=True)
class Sheet:
    """What every slip of a sheet shares."""

    username: str  # the bot's, without @
    valid_until: date
    locale: str


def deep_link(username: str, code: str) -> str:
    """The link that opens the bot with the code, as /start CODE."""
    return f"https://t.me/{username}?start={code}"


def qr_png(text: str) -> bytes:
    """The QR code as a PNG, in memory; error correction M survives a crease or a smudge."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def whose_line(slip: IssuedCode, locale: str) -> str:
    """«обучающийся, 5А»; a parent's slip names the child as the child, so nobody reads the child's name as
    the parent's: «родитель · ребёнок: Романова Алина, 5А» («дети: …» of several)."""
    roles = ", ".join(translate(ROLE_LABELS[r], locale) for r in slip.roles)
    children = children_text(slip, locale)
    if children:
        return f"{roles} · {children}"
    return f"{roles}, {slip.class_name}" if slip.class_name else roles


def children_text(slip: IssuedCode, locale: str) -> str | None:
    """A parent's children, labelled as such: «ребёнок: Романова Алина, 5А»; None for anyone else."""
    if Role.PARENT not in slip.roles or not slip.children:
        return None
    text = ngettext("child: {children}", "children: {children}", len(slip.children), locale)
    return text.format(children="; ".join(slip.children))


def sheet_title(codes: list[IssuedCode], locale: str) -> str:
    """«Коды 5А»: the class every code of the sheet is for (a parent's children may be in two classes),
    or plain «Коды» for a sheet of several classes; the file's name and the PDF's title."""
    shared: set[str] | None = None
    for slip in codes:
        classes = set((slip.class_name or "").split(", ")) - {""}
        shared = classes if shared is None else shared & classes
    if shared and len(shared) == 1:
        return translate(N_("Link codes {cls}"), locale, cls=shared.pop())
    return translate(N_("Link codes"), locale)


def how_to(sheet: Sheet, code: str) -> tuple[str, str]:
    """The two lines on how to use the slip."""
    return (
        translate(
            N_("1. Scan the QR code with the phone's camera, or find @{bot} in Telegram and send /start {code}."),
            sheet.locale,
            bot=sheet.username,
            code=code,
        ),
        translate(
            N_("2. Press Start and accept the consent: the diary comes to that chat. One use only, until {date}."),
            sheet.locale,
            date=sheet.valid_until,
        ),
    )


def _slip(pdf: FPDF, x: float, y: float, slip: IssuedCode, sheet: Sheet) -> None:
    w = (pdf.w - 2 * MARGIN) / COLUMNS
    text_w = w - 2 * PAD - QR_SIDE - 2
    pdf.set_text_color(*GREY)
    pdf.set_font("DejaVuCond", "", 8)
    pdf.set_xy(x + PAD, y + PAD)
    pdf.multi_cell(text_w, 3.6, slip.school, new_x="LEFT", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(text_w, 5, slip.full_name, new_x="LEFT", new_y="NEXT", align="L")
    pdf.set_font("DejaVuCond", "", 9)
    pdf.multi_cell(text_w, 4.2, whose_line(slip, sheet.locale), new_x="LEFT", new_y="NEXT", align="L")
    pdf.image(io.BytesIO(qr_png(deep_link(sheet.username, slip.code))), x + w - PAD - QR_SIDE, y + PAD, QR_SIDE)
    pdf.set_font("DejaVu", "B", 18)
    pdf.set_xy(x + PAD, y + PAD + QR_SIDE + 1)
    pdf.cell(w - 2 * PAD, 9, slip.code, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVuCond", "", 7.5)
    for line in how_to(sheet, slip.code):
        pdf.multi_cell(w - 2 * PAD, 3.3, line, new_x="LEFT", new_y="NEXT", align="L")


def _cut_lines(pdf: FPDF) -> None:
    """Dashed lines to cut along, between the slips and round them."""
    w, h = (pdf.w - 2 * MARGIN) / COLUMNS, (pdf.h - 2 * MARGIN) / ROWS
    pdf.set_draw_color(160, 160, 160)
    pdf.set_line_width(0.2)
    with pdf.local_context():
        pdf.set_dash_pattern(dash=2, gap=1.5)
        for col in range(COLUMNS + 1):
            pdf.line(MARGIN + col * w, MARGIN, MARGIN + col * w, pdf.h - MARGIN)
        for row in range(ROWS + 1):
            pdf.line(MARGIN, MARGIN + row * h, pdf.w - MARGIN, MARGIN + row * h)


def code_sheet(codes: list[IssuedCode], sheet: Sheet) -> bytes:
    """The slips in the order given, eight to an A4 page (portrait), ready to print and cut."""
    pdf = a4("portrait")
    pdf.set_auto_page_break(False)
    pdf.set_title(sheet_title(codes, sheet.locale))
    w, h = (pdf.w - 2 * MARGIN) / COLUMNS, (pdf.h - 2 * MARGIN) / ROWS
    per_page = COLUMNS * ROWS
    for n, slip in enumerate(codes):
        if n % per_page == 0:
            pdf.add_page()
            _cut_lines(pdf)
        place = n % per_page
        _slip(pdf, MARGIN + (place % COLUMNS) * w, MARGIN + (place // COLUMNS) * h, slip, sheet)
    return bytes(pdf.output())
