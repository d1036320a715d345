"""The fonts every PDF embeds: DejaVu (shipped here, Bitstream Vera licence) covers Cyrillic."""

from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).with_name("fonts")

# family name -> (regular, bold) files
FAMILIES = {
    "DejaVu": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "DejaVuCond": ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"),
}


def a4(orientation: str = "landscape") -> FPDF:
    """An A4 document in millimetres with the DejaVu families registered and DejaVu selected."""
    pdf = FPDF(orientation="L" if orientation == "landscape" else "P", unit="mm", format="A4")
    for family, (regular, bold) in FAMILIES.items():
        pdf.add_font(family, "", str(FONTS / regular))
        pdf.add_font(family, "B", str(FONTS / bold))
    pdf.set_font("DejaVu", size=10)
    return pdf
