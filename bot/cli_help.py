"""The command line's help in the operator's language (LOCALE), like everything else it says.

Typer takes help texts when the commands are declared, before any setting is read, so they are
written as message ids (`N_`) and translated when the command line starts: `LocalizedGroup.main`
translates the command tree Typer has just built for this run. Typer's own words (the panel titles,
"[required]") are constants of `typer.rich_utils`, set here for the run; its vendored click writes
"Usage:" and the --help option's text in English, replaced by the two classes below. What click
says about a wrong command line itself ("Missing option '--class'") stays English: those messages
are built inside click from English f-strings, with no hook to translate them.
"""

from typing import Any

from typer import rich_utils
from typer.core import TyperCommand, TyperGroup

from bot.settings import operator_locale
from locales.i18n import translate
from services.errors import N_

HELP_OPTION = N_("Show this message and exit.")
USAGE = N_("Usage:")
# typer.rich_utils' fixed strings, in English as Typer has them.
RICH_STRINGS = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}


class Help:
    """The run's language, chosen once when the command line starts."""

    locale = "ru"


def _t(text: str | None) -> str | None:
    # Only texts of the catalog change; a text without an entry (a name, a path) is shown as written.
    return translate(text, Help.locale) if text else text


def localize(command: Any) -> None:
    """Translate a command's help, its options' help and its subcommands', in place."""
    command.help = _t(command.help)
    command.short_help = _t(command.short_help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = _t(param.help)
    for sub in getattr(command, "commands", {}).values():
        localize(sub)


def _usage(text: str) -> str:
    english = "Usage:"
    return text.replace(english, translate(USAGE, Help.locale), 1) if text.startswith(english) else text


class LocalizedCommand(TyperCommand):
    def get_usage(self, ctx: Any) -> str:
        return _usage(super().get_usage(ctx))

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = translate(HELP_OPTION, Help.locale)
        return option


class LocalizedGroup(TyperGroup):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        # LOCALE as a settings error would read it: the help must show even when a setting is wrong.
        Help.locale = operator_locale()
        localize(self)
        for name, english in RICH_STRINGS.items():
            setattr(rich_utils, name, translate(english, Help.locale))
        return super().main(*args, **kwargs)

    def get_usage(self, ctx: Any) -> str:
        return _usage(super().get_usage(ctx))

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = translate(HELP_OPTION, Help.locale)
        return option
