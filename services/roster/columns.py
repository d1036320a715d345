"""The columns of each roster table (roster-format.md): which are required, which optional."""

REQUIRED: dict[str, tuple[str, ...]] = {
    "schools": ("school_id", "name", "timezone"),
    "staff": ("staff_id", "school_id", "last_name", "first_name", "roles"),
    "classes": ("class_id", "school_id", "name", "grade_level"),
    "students": ("student_id", "class_id", "last_name", "first_name"),
    "parents": ("parent_id", "last_name", "first_name", "student_ids"),
    "subjects": ("subject_id", "school_id", "name"),
    "teaching": ("class_id", "subject_id", "staff_id"),
    "timetable": (
        "class_id",
        "weekday",
        "lesson_no",
        "starts_at",
        "ends_at",
        "subject_id",
        "staff_id",
    ),
    "periods": ("period_id", "school_id", "name", "kind", "starts_on", "ends_on"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "schools": (
        "grade_min",
        "grade_max",
        "edit_window_days",
        "locale",
        "summary_weekday",
        "summary_time",
        "kind",
    ),
    "staff": ("middle_name", "active"),
    "classes": ("tutor_id", "grading"),
    "students": ("middle_name", "subgroup", "active", "sex"),
    "parents": ("middle_name", "staff_id", "active"),
    "subjects": (),
    "teaching": ("subgroup",),
    "timetable": ("room", "subgroup", "valid_from", "valid_to"),
    "periods": (),
}
# A roster may leave parents out (a college of adults); every other table must be there.
OPTIONAL_TABLES = frozenset({"parents"})
