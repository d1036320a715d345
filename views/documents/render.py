"""A report's document as a file: its bytes and its name, XLSX or PDF."""

from enum import StrEnum

from views.documents.layout import Document
from views.documents.pdf_writer import to_pdf
from views.documents.xlsx_writer import to_xlsx


class Format(StrEnum):
    XLSX = "xlsx"
    PDF = "pdf"


def file_name(document: Document, fmt: Format) -> str:
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in document.file_stem)
    return f"{stem}.{fmt.value}"


def render(document: Document, fmt: Format) -> tuple[bytes, str]:
    content = to_xlsx(document) if fmt is Format.XLSX else to_pdf(document)
    return content, file_name(document, fmt)
