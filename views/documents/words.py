"""How figures and dates read in a report, in the reader's language (Babel: 4,25 and 30 % in Russian)."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from locales.i18n import translate
from services.errors import N_
from views.documents.layout import Cell, Look
from views.labels import PERIOD_MARKS

# The short marks of a Russian attendance sheet: Б (illness), У (excused), Н (unexcused), ОТ (no reason yet).
REASON_CODES = {
    "illness": N_("ILL"),
    "excused": N_("EXC"),
    "unexcused": N_("UNX"),
    "none": N_("ABS"),
}
LATE_CODE = N_("LATE")
PERIOD_SHORT = {"pass": N_("pass (short)"), "na": N_("n/c (short)")}
SIGN_LINE = "______________________ / ______________________"


def sign_line(name: str) -> str:
    """The line to sign on, with the signer's name after it where the school knows who signs."""
    return f"______________________ / {name}" if name else SIGN_LINE


def rounded_share(share: float, places: int = 0) -> Decimal:
    """A share as the percent it shows, rounded halves up (the school's rule: 12,5 % is 13 %)."""
    percent = (Decimal(str(share)) * 100).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return (percent / 100).normalize()


def percent_text(share: float, locale: str, places: int = 0) -> str:
    """«13 %», «29,7 %» in the reader's locale, halves up."""
    return format_percent(rounded_share(share, places), locale=locale, decimal_quantization=False)


def places_against(share: float, threshold: float) -> int:
    """The decimals a share needs so that it reads on the same side of the threshold as it is: 29,7 %,
    not «30 %», for a student just under 30 %."""
    places = 0
    while share < threshold and rounded_share(share, places) >= Decimal(str(threshold)) and places < 4:
        places += 1
    return places


def percent_format(places: int) -> str:
    """The spreadsheet's display of a share with that many decimals: 0% or 0.0%."""
    return "0." + "0" * places + "%" if places else "0%"


class Words:
    """A report's words and figures in one locale."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, message: str, **params: object) -> str:
        return translate(message, self.locale, **params)

    def day(self, on: date) -> str:
        return format_date(on, "d MMMM y", locale=self.locale)

    def month(self, first: date) -> str:
        return format_date(first, "LLLL y", locale=self.locale)

    def decimal(self, value: float) -> str:
        return format_decimal(value, "0.00", locale=self.locale)

    def percent(self, share: float, places: int = 0) -> str:
        return percent_text(share, self.locale, places)

    def average_cell(self, value: float | None, look: Look = Look.PLAIN) -> Cell:
        if value is None:
            return Cell(None, "", look=look)
        return Cell(value, self.decimal(value), "0.00", look)

    def share_cell(self, share: float | None) -> Cell:
        if share is None:
            return Cell(None, "—", look=Look.TOTAL)
        return Cell(share, self.percent(share), "0%", Look.TOTAL)

    def count_cell(self, count: int, look: Look = Look.PLAIN) -> Cell:
        return Cell(count, str(count), "0", look) if count else Cell(None, "", look=look)

    def period_mark(self, value: str) -> str:
        """A given period grade as the table shows it: 5, зач., н/а."""
        return self(PERIOD_SHORT[value]) if value in PERIOD_SHORT else value

    def period_mark_long(self, value: str) -> str:
        return self(PERIOD_MARKS[value]) if value in PERIOD_MARKS else value
