"""The catalogs: every message in the code translated in ru and en, plurals full, .mo files fresh."""

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "__": None}
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def code_messages() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for package in ("bot", "handlers", "services"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def catalog(locale: str):
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def msgid_key(message) -> str | tuple[str, str]:
    return message.id if isinstance(message.id, str) else (message.id[0], message.id[1])


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_every_message_is_translated(locale: str) -> None:
    messages = {msgid_key(m): m for m in catalog(locale) if m.id}
    missing = [m for m in code_messages() if m not in messages]
    assert not missing, f"not in locales/{locale}: {missing} — run the update commands in the README"
    for key, message in messages.items():
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings), f"untranslated in {locale}: {key!r}"
        assert not message.fuzzy, f"fuzzy in {locale}: {key!r}"
        source = key if isinstance(key, str) else key[1]
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(source)), (locale, key, text)


def test_russian_plurals_have_all_three_forms() -> None:
    ru = catalog("ru")
    assert ru.num_plurals == 3
    plurals = [m for m in ru if m.id and not isinstance(m.id, str)]
    assert plurals, "the code uses plural messages"
    for message in plurals:
        assert len(message.string) == 3 and all(message.string), message.id


def test_template_matches_the_code() -> None:
    with (LOCALES / "messages.pot").open("rb") as fh:
        template = {msgid_key(m) for m in read_po(fh) if m.id}
    assert template == code_messages(), "locales/messages.pot is stale — run the extract command in the README"


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_compiled_catalogs_are_fresh(locale: str) -> None:
    with (LOCALES / locale / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for message in catalog(locale):
        if not message.id:
            continue
        if isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, f"stale .mo in {locale}: {message.id!r}"
        else:
            forms = {1: 0, 3: 1, 7: 2} if locale == "ru" else {1: 0, 3: 1}
            for n, index in forms.items():
                assert compiled.ngettext(message.id[0], message.id[1], n) == message.string[index]


def test_russian_plural_choice() -> None:
    from bot.i18n import translate_plural

    forms = [translate_plural("{count} code issued", "{count} codes issued", n, "ru") for n in (1, 3, 5, 21)]
    assert forms == ["выдан {count} код", "выдано {count} кода", "выдано {count} кодов", "выдан {count} код"]
