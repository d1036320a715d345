"""The diary's tunable numbers, set once at start-up from the Settings (the environment and .env).

Services read them here instead of the environment, so a value in .env is honoured and a malformed
one stops start-up with the Settings' one line, never with a traceback from an import.
"""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Tunables:
    # How long a grade, absence or homework push waits, so that a teacher's correction replaces it.
    grace: timedelta = timedelta(minutes=3)
    # How long a claimed outbox row is a worker's; after that another may take it.
    delivery_lease: timedelta = timedelta(seconds=60)
    # From this hour (school time) class teachers are reminded of absences without a reason.
    tutor_reminder_hour: int = 15
    # Unexplained absences in a period that make the class teacher alerted.
    unexcused_absence_alert: int = 5
    # A subject average below this in the period makes the class teacher alerted.
    low_average_alert: float = 3.0
    # Pushes sent, failed or cancelled are kept this long (the audit keeps the diary's history):
    # without it the outbox grows by gigabytes a week in a large district.
    outbox_keep: timedelta = timedelta(days=120)
    # New accounts start with quiet hours 21:00–07:30; the demo, watched live, starts without.
    quiet_by_default: bool = True


current = Tunables()


def configure(tunables: Tunables) -> None:
    """Called by the runner (bot, command line) once, before any service runs."""
    global current
    current = tunables
