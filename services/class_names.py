"""A class's name as people type it, in the form the roster keeps it."""

from services.roster.validate import LATIN_TO_CYRILLIC


def class_name_form(text: str) -> str:
    """A class as people write it (5а, 5 А, a Latin 5A) in the form names are kept in: 5А."""
    return "".join(text.split()).upper().translate(LATIN_TO_CYRILLIC)
