"""The kinds of graded work a new school starts with (each school can change its list)."""

from services.errors import N_

DEFAULT_WORK_TYPES: tuple[tuple[str, str], ...] = (
    ("oral", N_("Oral answer")),
    ("homework", N_("Homework")),
    ("classwork", N_("Classwork")),
    ("test", N_("Test")),
    ("independent", N_("Independent work")),
    ("lab", N_("Lab work")),
    ("practical", N_("Practical work")),
    ("project", N_("Project")),
)
