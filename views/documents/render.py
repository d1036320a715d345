"""A report's document as a file: its bytes and its name, XLSX or PDF."""

from enum import StrEnum

from views.documents.layout import Document
from views.documents.pdf_writer import to_pdf
from views.documents.xlsx_writer import to_xlsx


class Format(StrEnum):
    XLSX = "xlsx"
    PDF = "pdf"


UNSAFE = set('<>:"/\\|?*')  # what Windows, macOS or Linux refuse in a file's name


def safe_file_name(title: str, extension: str) -> str:
    """A document's title as a file's name any system takes: the words kept (Cyrillic too), the characters
    a file system refuses made dashes, no dot or space at either end, not too long."""
    text = "".join("-" if ch in UNSAFE or not ch.isprintable() else ch for ch in title)
    stem = " ".join(text.split()).strip(" .")[:120].strip(" .") or "report"
    return f"{stem}.{extension}"


def file_name(document: Document, fmt: Format) -> str:
    return safe_file_name(document.file_stem, fmt.value)


def render(document: Document, fmt: Format) -> tuple[bytes, str]:
    content = to_xlsx(document) if fmt is Format.XLSX else to_pdf(document)
    return content, file_name(document, fmt)
