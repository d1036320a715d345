"""The bot's commands and which roles see each; the menu and setMyCommands come from here."""

from dataclasses import dataclass, replace

from services.errors import N_
from services.roles import CONSENT_ROLES, STAFF_ROLES, Role


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # a message id, translated where shown
    roles: frozenset[Role] | None  # None: every linked person
    family_description: str | None = None  # what the command is to a family, where it gives them less than staff


COMMANDS: tuple[Command, ...] = (
    Command("start", N_("Start and link your account"), None),
    Command("help", N_("What I can do for you"), None),
    Command("today", N_("My lessons and the journal"), frozenset({Role.TEACHER})),
    Command("absences", N_("Absences waiting for a reason"), frozenset({Role.TUTOR})),
    Command("class", N_("My class today and this week"), frozenset({Role.TUTOR})),
    Command("period", N_("Set the period grades"), frozenset({Role.TUTOR, Role.TEACHER})),
    Command("journal", N_("Read a class's journal"), frozenset({Role.ADMIN, Role.TUTOR})),
    Command("substitute", N_("Give a lesson to a substitute teacher"), frozenset({Role.ADMIN})),
    Command("codes", N_("Link codes for people not yet linked"), frozenset({Role.ADMIN, Role.TUTOR})),
    Command(
        "reports",
        N_("Reports as PDF or XLSX: attendance, progress, report cards"),
        frozenset({Role.ADMIN, Role.TUTOR, Role.TEACHER, Role.STUDENT, Role.PARENT}),
        N_("Report card for a term or the year, as PDF or XLSX"),
    ),
    Command("coverage", N_("Who of the families the bot reaches"), frozenset({Role.ADMIN, Role.TUTOR})),
    Command("grades", N_("Grades this period"), CONSENT_ROLES),
    Command("homework", N_("Homework for tomorrow and the week"), CONSENT_ROLES),
    Command("schedule", N_("The timetable"), CONSENT_ROLES),
    Command("attendance", N_("Absences this period"), CONSENT_ROLES),
    Command("summary", N_("The week so far"), CONSENT_ROLES),
    Command("privacy", N_("Consent to the processing of personal data"), CONSENT_ROLES),
    Command("settings", N_("Notifications, quiet hours, language"), None),
    Command("language", N_("Change the language"), None),
    Command("logout", N_("Unlink this Telegram account"), None),
)
# What someone who has not linked an account yet may do.
PUBLIC_COMMANDS: tuple[str, ...] = ("start", "help", "language")


def commands_for(roles: frozenset[Role]) -> list[Command]:
    """The person's commands, each described as it is for them (a family's /reports is the report card)."""
    return [
        replace(c, description=c.family_description) if c.family_description and not roles & STAFF_ROLES else c
        for c in COMMANDS
        if c.roles is None or c.roles & roles
    ]


def public_commands() -> list[Command]:
    return [c for c in COMMANDS if c.name in PUBLIC_COMMANDS]
