"""Link codes as an A4 sheet of cut-out slips: a slip a person, with the code, a QR code of the bot's
link and how to use it (fpdf2 draws, segno makes the QR code, both in memory).

Every text of a slip is measured before it is drawn (fpdf2's dry run), so a long school name, a
long name or a parent of several children shrinks its type, and at worst loses its last lines to
«…», rather than running into the code or the next slip."""

import io
import math
import re
from collections.abc import Iterator, Sequence
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
GAP = 1.0  # between the blocks of a slip
CODE_PT, CODE_H = 18.0, 9.0  # the code's type and line
PT = 25.4 / 72  # millimetres in a point
LEADING = 1.3  # a line's height over its type's: DejaVu's ascent and descent stay inside the line
SCALES = (1.0, 0.9, 0.8, 0.7, 0.6)  # how far a slip's texts shrink before lines are cut
GREY = (90, 90, 90)
BLACK = (0, 0, 0)
NO_BREAK_SPACE, NO_BREAK_HYPHEN = "\u00a0", "\u2011"

# Slips are read by parents: the everyday word, in the student's gender (the roster's column, else
# the patronymic), as /coverage says «Ученики». An unknown one takes the common «ученик».
STUDENT_WORDS = {"f": N_("student (girl)")}
STUDENT_WORD = N_("student (boy, or not known)")


@dataclass(frozen=True)
class Sheet:
    """What every slip of a sheet shares."""

    username: str  # the bot's, without @
    valid_until: date
    locale: str


@dataclass(frozen=True)
class Text:
    """A text of a slip and the type it takes when there is room."""

    text: str
    family: str
    style: str
    size: float  # points
    color: tuple[int, int, int] = BLACK


@dataclass(frozen=True)
class Laid:
    """A text as it will be drawn: its type and lines."""

    text: Text
    size: float
    lines: list[str]

    @property
    def line_height(self) -> float:
        return self.size * PT * LEADING

    @property
    def height(self) -> float:
        return len(self.lines) * self.line_height


def deep_link(username: str, code: str) -> str:
    """The link that opens the bot with the code, as /start CODE."""
    return f"https://t.me/{username}?start={code}"


def qr_png(text: str) -> bytes:
    """The QR code as a PNG, in memory; error correction M survives a crease or a smudge."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def role_words(slip: IssuedCode, locale: str) -> str:
    """«ученица», «родитель», «учитель, классный руководитель»: the person's roles on the code."""
    words = []
    for role in slip.roles:
        label = STUDENT_WORDS.get(slip.sex or "", STUDENT_WORD) if role is Role.STUDENT else ROLE_LABELS[role]
        words.append(translate(label, locale))
    return ", ".join(words)


def whose_line(slip: IssuedCode, locale: str) -> str:
    """«ученица, 5А»; a parent's slip names the child as the child, so nobody reads the child's name as
    the parent's: «родитель · ребёнок: Романова Алина, 5А» («дети: …» of several)."""
    roles = role_words(slip, locale)
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


def group_label(slip: IssuedCode, locale: str) -> str:
    """Whose pile the slip goes to: its class (for the class teacher to hand out), or the staff."""
    if slip.group is not None:
        return slip.group
    return translate(N_("Staff") if slip.staff else N_("Without a class"), locale)


def groups(codes: Sequence[IssuedCode], locale: str) -> Iterator[tuple[str, list[IssuedCode]]]:
    """The codes as their groups come (the service orders them class by class, then staff)."""
    label, members = "", list[IssuedCode]()
    for slip in codes:
        own = group_label(slip, locale)
        if members and own != label:
            yield label, members
            members = []
        label = own
        members.append(slip)
    if members:
        yield label, members


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


def unbroken(code: str) -> str:
    """The code as one word: a line may not break at its dashes (they look the same on paper)."""
    return code.replace("-", NO_BREAK_HYPHEN)


def how_to(sheet: Sheet, code: str) -> tuple[str, str, str]:
    """One line for the QR code, one for typing the code, and what follows, with the last day: each
    way to link in the order it is done, so whoever types the code is not sent to look for «Старт»."""
    return (
        translate(N_("Scan the QR code with the phone's camera: Telegram opens the bot, press Start."), sheet.locale),
        translate(
            N_("Or find @{bot} in Telegram and send: {command}"),
            sheet.locale,
            bot=sheet.username,
            command=f"/start{NO_BREAK_SPACE}{unbroken(code)}",
        ),
        translate(
            N_("Then accept the consent. The code works once, until {date}."), sheet.locale, date=sheet.valid_until
        ),
    )


def _words(text: str) -> Iterator[tuple[str, str]]:
    """The places a line may break: (what joins it to the text before, the piece). Between words at a
    space, and after the hyphen of a double name («Константинопольская-|Щербакова»), which fpdf2's
    own wrapping splits mid-word instead once the name is too long for a line."""
    for n, word in enumerate(w for w in text.split(" ") if w):
        for i, piece in enumerate(re.findall(r"[^-]+-?|-", word)):
            yield (" " if n and not i else ""), piece


def _wrap(pdf: FPDF, text: Text, size: float, width: float) -> list[str]:
    """The text's lines at this type, each measured to fit the width; a word longer than a line
    is split where the line ends."""
    pdf.set_font(text.family, text.style, size)
    room = width - 2 * pdf.c_margin
    lines: list[str] = []
    line = ""
    for glue, piece in _words(text.text):
        if pdf.get_string_width(line + glue + piece) <= room:
            line += glue + piece
            continue
        if line:
            lines.append(line)
        while pdf.get_string_width(piece) > room and len(piece) > 1:
            cut = max(1, next(n for n in range(len(piece), 0, -1) if pdf.get_string_width(piece[:n]) <= room))
            lines.append(piece[:cut])
            piece = piece[cut:]
        line = piece
    return [*lines, line] if line else lines


def _ellipsized(pdf: FPDF, line: str, width: float) -> str:
    room = width - 2 * pdf.c_margin
    while line and pdf.get_string_width(line.rstrip() + "…") > room:
        line = line[:-1]
    return line.rstrip() + "…"


def _shrinking(count: int, least_needed: Sequence[Sequence[int]]) -> Iterator[list[float]]:
    """Scales of the texts to try, largest first: the texts least needed shrink all the way before
    the next ones do, so a long school name gives way before the person's and the children's names."""
    scales = [SCALES[0]] * count
    yield list(scales)
    for together in least_needed:
        for scale in SCALES[1:]:
            for n in together:
                scales[n] = scale
            yield list(scales)


def fit(pdf: FPDF, texts: list[Text], width: float, height: float, least_needed: Sequence[Sequence[int]]) -> list[Laid]:
    """The texts in a box: in their type if they fit, else smaller, the least needed first (`least_needed`:
    indexes of `texts`, those shrinking together grouped), down to SCALES' last; then lines are cut
    (ending in «…») in the same order, each text keeping a line while any room is left. Whatever the
    texts, the lines never exceed the box."""
    laid: list[Laid] = []
    for scales in _shrinking(len(texts), least_needed):
        laid = [Laid(t, t.size * k, _wrap(pdf, t, t.size * k, width)) for t, k in zip(texts, scales, strict=True)]
        if sum(piece.height for piece in laid) <= height:
            return laid
    keep = [len(piece.lines) for piece in laid]

    def over() -> float:
        return sum(k * piece.line_height for k, piece in zip(keep, laid, strict=True)) - height

    order = [n for together in least_needed for n in together]
    for n in order:
        if over() > 0:
            keep[n] -= max(0, min(keep[n] - 1, math.ceil(over() / laid[n].line_height - 1e-9)))
    for n in order:
        if over() > 0:
            keep[n] = 0
    cut = []
    for k, piece in zip(keep, laid, strict=True):
        lines = piece.lines[:k]
        if 0 < k < len(piece.lines):
            pdf.set_font(piece.text.family, piece.text.style, piece.size)
            lines[-1] = _ellipsized(pdf, lines[-1], width)
        cut.append(Laid(piece.text, piece.size, lines))
    return cut


def _draw(pdf: FPDF, x: float, y: float, width: float, laid: list[Laid]) -> float:
    """The laid texts one under the other from (x, y); returns where they end."""
    for piece in laid:
        pdf.set_font(piece.text.family, piece.text.style, piece.size)
        pdf.set_text_color(*piece.text.color)
        for line in piece.lines:
            pdf.set_xy(x, y)
            pdf.cell(width, piece.line_height, line, align="L")
            y += piece.line_height
    return y


def _slip(pdf: FPDF, x: float, y: float, slip: IssuedCode, sheet: Sheet) -> None:
    """From the top: the school, name and whose the code is beside the QR code (further down when they
    need it); the code; how to use it. The steps fit first, being of a known length, the rest after."""
    w, h = (pdf.w - 2 * MARGIN) / COLUMNS, (pdf.h - 2 * MARGIN) / ROWS
    inner = w - 2 * PAD
    text_w = inner - QR_SIDE - 2
    steps = fit(
        pdf,
        [Text(line, "DejaVuCond", "", 7.5) for line in how_to(sheet, slip.code)],
        inner,
        h - 2 * PAD - QR_SIDE - CODE_H - 2 * GAP,
        least_needed=((2,), (0, 1)),
    )
    steps_h = sum(piece.height for piece in steps)
    about = fit(
        pdf,
        [
            Text(slip.school, "DejaVuCond", "", 8, GREY),
            Text(slip.full_name, "DejaVu", "B", 11),
            Text(whose_line(slip, sheet.locale), "DejaVuCond", "", 9),
        ],
        text_w,
        h - 2 * PAD - steps_h - CODE_H - 2 * GAP,
        least_needed=((0,), (1, 2)),
    )
    about_end = _draw(pdf, x + PAD, y + PAD, text_w, about)
    pdf.image(io.BytesIO(qr_png(deep_link(sheet.username, slip.code))), x + w - PAD - QR_SIDE, y + PAD, QR_SIDE)
    code_y = max(about_end, y + PAD + QR_SIDE) + GAP
    pdf.set_font("DejaVu", "B", CODE_PT)
    room = inner - 2 * pdf.c_margin
    size = min(CODE_PT, CODE_PT * room / pdf.get_string_width(slip.code))  # W and M are wide: 17 of them
    pdf.set_font("DejaVu", "B", size)
    pdf.set_text_color(*BLACK)
    pdf.set_xy(x + PAD, code_y)
    pdf.cell(inner, CODE_H, slip.code, align="C")
    _draw(pdf, x + PAD, code_y + CODE_H + GAP, inner, steps)


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


def _heading(pdf: FPDF, label: str, page: int, pages: int) -> None:
    """Whose pile the page is (a class, the staff), above the slips: the pages of a whole school's
    sheet go to each class teacher as they come off the printer."""
    pdf.set_font("DejaVuCond", "", 8)
    pdf.set_text_color(*GREY)
    pdf.set_xy(MARGIN, MARGIN - 5)
    pdf.cell(pdf.w - 2 * MARGIN, 4, f"{label} · {page}/{pages}", align="L")


def code_sheet(codes: list[IssuedCode], sheet: Sheet) -> bytes:
    """The slips eight to an A4 page (portrait), ready to print and cut; each group (a class, the
    staff) in the order given starts a page of its own, headed with the group."""
    pdf = a4("portrait")
    pdf.set_auto_page_break(False)
    pdf.set_title(sheet_title(codes, sheet.locale))
    w, h = (pdf.w - 2 * MARGIN) / COLUMNS, (pdf.h - 2 * MARGIN) / ROWS
    per_page = COLUMNS * ROWS
    for label, slips in groups(codes, sheet.locale):
        pages = math.ceil(len(slips) / per_page)
        for n, slip in enumerate(slips):
            if n % per_page == 0:
                pdf.add_page()
                _cut_lines(pdf)
                _heading(pdf, label, n // per_page + 1, pages)
            place = n % per_page
            _slip(pdf, MARGIN + (place % COLUMNS) * w, MARGIN + (place // COLUMNS) * h, slip, sheet)
    return bytes(pdf.output())
