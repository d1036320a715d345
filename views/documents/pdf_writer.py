"""A document as a PDF (fpdf2): A4 landscape, DejaVu embedded for Cyrillic, a section's table with its
headings repeated on every page, the notes and a line for the signature."""

from fpdf import FPDF

from views.documents.fonts import a4
from views.documents.layout import Align, Cell, Document, Look, Section, group_spans_rows

HEADER_FILL = (217, 225, 242)
FILLS = {Look.ALERT: (248, 215, 218), Look.OFF: (231, 230, 230), Look.TOTAL: (237, 242, 249)}
GREY = (90, 90, 90)
MIN_NAME_SIZE = 5.0  # a name is set no smaller; past that it is cut
SHRINK_LIMIT = 0.8  # a name smaller than this share of the table's type is put in two lines instead
PT = 0.3528  # millimetres in a point
LINES: dict[tuple[str, float, float], int] = {}  # a heading's lines at a width and size, the same in every PDF
FITS: dict[tuple[str, float, float], float] = {}  # a heading's type size at a width


def _heading(pdf: FPDF, section: Section) -> None:
    """The title and the heading lines, each wrapped at the page's width: a school's full official name
    is often longer than a line."""
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 7, section.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for line in section.heading:
        pdf.multi_cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


class Grid:
    """A section's table drawn cell by cell: fpdf2's table() breaks every cell's text into lines, which
    made a whole school's attendance sheets take ten seconds; a report's cells are one line each."""

    def __init__(self, pdf: FPDF, section: Section) -> None:
        self.pdf, self.section = pdf, section
        self.size = 6.5 if section.small else 9
        self.line = 3.2 if section.small else 4.4
        self.height = 4.2 if section.small else 5.4
        self.stacked = 2.5 if section.small else 3.4  # the step between the lines of a cell of several
        total = sum(c.width for c in section.columns)
        self.widths = [c.width * pdf.epw / total for c in section.columns]
        self.lefts = [pdf.l_margin + sum(self.widths[:n]) for n in range(len(self.widths))]
        self.style: Look | None = None
        self.top: float | None = None  # the first row of the block on this page
        self.bottom = 0.0
        self.lines: list[float] = []

    def _turned_height(self, text: str) -> float:
        return self.pdf.get_string_width(text) + 2.0

    def _box_turned(self, x: float, y: float, w: float, h: float, text: str) -> None:
        pdf = self.pdf
        pdf.rect(x, y, w, h, style="DF")
        width = pdf.get_string_width(text)
        baseline = x + w / 2 + self.size * PT * 0.35
        start = y + h - (h - width) / 2
        with pdf.rotation(90, baseline, start):
            pdf.text(baseline, start, text)

    def _box(self, x: float, y: float, w: float, h: float, text: str, turned: bool = False) -> None:
        """A heading cell: filled, framed, its text wrapped at spaces and centred (or turned upwards)."""
        pdf = self.pdf
        if turned:
            self._box_turned(x, y, w, h, text)
            return
        pdf.rect(x, y, w, h, style="DF")
        size = self._fit(text, w)
        lines = self._lines(text, w, size)
        pdf.set_font_size(size)
        if lines == 1:  # most headings (the days) are one line: placed, not broken into lines again
            width = pdf.get_string_width(text)
            pdf.text(x + (w - width) / 2, y + h / 2 + size * 0.125, text)
        else:
            pdf.set_xy(x, y + (h - lines * self.line) / 2)
            pdf.multi_cell(w, self.line, text, align="C")
        pdf.set_font_size(self.size)

    def _fit(self, text: str, w: float) -> float:
        """The heading's type size: smaller where its longest word would not fit the column, so a word is
        never broken in two («Пропущено», not «Пропущен|о»)."""
        key = (text, round(w, 2), self.size)
        if key not in FITS:
            room = w - 2 * self.pdf.c_margin
            longest = max((self.pdf.get_string_width(word) for word in text.split()), default=0.0)
            FITS[key] = int(self.size * min(1.0, room / longest) * 4) / 4 if longest else self.size
        return FITS[key]

    def _lines(self, text: str, w: float, size: float) -> int:
        """How many lines a heading takes; asked again on every page, so remembered."""
        key = (text, round(w, 2), size)
        if key not in LINES:
            self.pdf.set_font_size(size)
            lines = self.pdf.multi_cell(w, self.line, text, dry_run=True, output="LINES")
            self.pdf.set_font_size(self.size)
            assert isinstance(lines, list)
            LINES[key] = len(lines)
        return LINES[key]

    def _turned_column(self, n: int) -> bool:
        """Only a section that asks for it turns headings (the statement's subjects), and only those with a
        word too long for the column: the others stay level, in the table's own type."""
        title = self.section.columns[n].title
        return self.section.turn_headings and bool(title) and self._fit(title, self.widths[n]) < self.size

    def headings(self) -> None:
        pdf, section = self.pdf, self.section
        pdf.set_font("DejaVuCond", "B", self.size)
        pdf.set_fill_color(*HEADER_FILL)
        pdf.set_text_color(0, 0, 0)
        self.style = None
        top = pdf.y
        both: set[int] = set()
        spans: list[tuple[int, float, str]] = []
        col = 0
        for group in section.groups:
            w = sum(self.widths[col : col + group.span])
            spans.append((col, w, group.title))
            if group_spans_rows(section, col, group.span):
                both.add(col)
            col += group.span
        titled = [self._lines(t, w, self._fit(t, w)) for c, w, t in spans if c not in both]
        upper = max(titled) * self.line + 1.0 if titled else 0.0
        turned = {n for n, c in enumerate(section.columns) if n not in both and self._turned_column(n)}
        lower = max(
            (
                self._lines(c.title, self.widths[n], self._fit(c.title, self.widths[n]))
                for n, c in enumerate(section.columns)
                if n not in both and n not in turned
            ),
            default=1,
        )
        lower_height = max([lower * self.line + 1.0, *(self._turned_height(section.columns[n].title) for n in turned)])
        for c, w, title in spans:
            self._box(self.lefts[c], top, w, upper + lower_height if c in both else upper, title)
        for n, column in enumerate(section.columns):
            if n not in both:
                self._box(self.lefts[n], top + upper, self.widths[n], lower_height, column.title, n in turned)
        pdf.set_xy(pdf.l_margin, top + upper + lower_height)

    def _use(self, look: Look) -> None:
        """The font and colours of a look, switched only when the look changes (most cells are plain)."""
        if self.style == look:
            return
        self.style = look
        self.pdf.set_font("DejaVuCond", "B" if look in (Look.BOLD, Look.TOTAL) else "", self.size)
        self.pdf.set_text_color(*(GREY if look is Look.CURRENT else (0, 0, 0)))
        self.pdf.set_fill_color(*FILLS.get(look, (255, 255, 255)))

    def row(self, cells: list[Cell]) -> None:
        """Fills and texts only where there are some (most of an attendance sheet's cells are empty); the
        rules are drawn for the whole block of rows at once, which keeps a school's sheets to a second or two.
        A cell of several lines (a day with marks of two reasons) makes its row taller: nothing is cut."""
        pdf = self.pdf
        parts = [self._parts(n, c.shown) for n, c in enumerate(cells)]
        lines = max((len(p) for p in parts), default=1)
        height = max(self.height, lines * self.stacked + 1.0) if lines > 1 else self.height
        if pdf.y + height > pdf.page_break_trigger:
            self.rules()
            pdf.add_page()
            self.headings()
        y = pdf.y
        if self.top is None:
            self.top = y
        for n, cell in enumerate(cells):
            if cell.look in FILLS:
                self._use(cell.look)
                pdf.rect(self.lefts[n], y, self.widths[n], height, style="F")
            if cell.shown:
                self._use(cell.look)
                self._cell_text(n, y, height, parts[n])
        self.bottom = y + height
        self.lines.append(self.bottom)
        pdf.set_xy(pdf.l_margin, self.bottom)

    def _parts(self, n: int, shown: str) -> list[str]:
        """A cell's lines: a day's marks one a line; a name too long for its column (a double surname)
        in two lines at a space rather than in a type too small to read."""
        if "\n" in shown or not shown:
            return shown.split("\n")
        if self.section.columns[n].align is not Align.LEFT or " " not in shown:
            return [shown]
        room = self.widths[n] - 0.8
        if self.pdf.get_string_width(shown) * SHRINK_LIMIT <= room:
            return [shown]
        words = shown.split(" ")
        best = min(range(1, len(words)), key=lambda k: abs(len(" ".join(words[:k])) - len(" ".join(words[k:]))))
        return [" ".join(words[:best]), " ".join(words[best:])]

    def _cell_text(self, n: int, y: float, height: float, parts: list[str]) -> None:
        if len(parts) == 1:
            self._text(n, y + height / 2 + self.size * 0.125, parts[0], self.size)
            return
        size = self.size * 0.9
        for i, part in enumerate(parts):
            middle = y + height / 2 + (i - (len(parts) - 1) / 2) * self.stacked
            self._text(n, middle + size * 0.125, part, size)

    def _text(self, n: int, baseline: float, text: str, size: float) -> None:
        """A cell's line: in a smaller type where it is wider than its column, never cut short (a mark, a
        figure); only a very long name is cut at last, rather than spilt over the next column."""
        pdf, w = self.pdf, self.widths[n]
        align = self.section.columns[n].align
        room = w - 0.8
        width = pdf.get_string_width(text) * size / self.size
        if width > room:
            size = max(size * room / width, MIN_NAME_SIZE if align is Align.LEFT else 0.5)
            width = pdf.get_string_width(text) * size / self.size
        while align is Align.LEFT and len(text) > 1 and width > room:
            text = text[:-1]
            width = pdf.get_string_width(text) * size / self.size
        if size != self.size:
            pdf.set_font_size(size)
        x = self.lefts[n] + (
            0.5 if align is Align.LEFT else (w - width) / 2 if align is Align.CENTER else w - width - 0.5
        )
        pdf.text(x, baseline, text)
        if size != self.size:
            pdf.set_font_size(self.size)

    def rules(self) -> None:
        """The block's rules: a line under each row and between the columns, from the block's top to its bottom."""
        if self.top is None:
            return
        pdf = self.pdf
        pdf.set_draw_color(0, 0, 0)
        right = pdf.l_margin + sum(self.widths)
        for y in self.lines:
            pdf.line(pdf.l_margin, y, right, y)
        for x in [*self.lefts, right]:
            pdf.line(x, self.top, x, self.bottom)
        self.top, self.lines = None, []


def _table(pdf: FPDF, section: Section) -> None:
    grid = Grid(pdf, section)
    grid.headings()
    for cells in section.rows:
        grid.row(cells)
    grid.rules()
    pdf.set_text_color(0, 0, 0)


def _footer(pdf: FPDF, section: Section) -> None:
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 8.5)
    for note in section.notes:
        pdf.multi_cell(0, 4.5, note, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for line in section.signatures:
        pdf.ln(6)
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")


def to_pdf(document: Document) -> bytes:
    pdf = a4("landscape")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=10)
    pdf.set_title(document.file_stem)
    pdf.set_author(document.author)
    pdf.set_creator("diary-bot")
    for section in document.sections:
        pdf.add_page()
        _heading(pdf, section)
        _table(pdf, section)
        _footer(pdf, section)
    return bytes(pdf.output())
