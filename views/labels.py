"""The words for the diary's codes (marks, reasons, period marks, kinds of note), in one place."""

from services.errors import N_

MARK_LABELS = {"absent": N_("absent"), "late": N_("late"), "present": N_("present")}
REASON_LABELS = {"excused": N_("excused"), "unexcused": N_("unexcused"), "illness": N_("illness")}
PERIOD_MARKS = {"pass": N_("pass"), "na": N_("not certified")}
NOTE_KINDS = {"illness": N_("illness"), "family": N_("family reasons"), "other": N_("other")}
# The year's grades besides the year's own mark (services/period_grades.KINDS).
PERIOD_GRADE_KINDS = {"exam": N_("exam"), "final": N_("final grade")}
