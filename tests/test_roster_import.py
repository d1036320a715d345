"""Roster import: round trip, idempotence, updates, deactivation, normalisation, bad input."""

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AcademicPeriod,
    Guardianship,
    Person,
    RoleGrant,
    School,
    SchoolClass,
    Student,
    TeachingAssignment,
    TimetableSlot,
    WorkType,
)
from services.roster import RosterInvalid, import_roster, read_roster
from tests.conftest import DEMO, ROOT
from tests.support.roster import copy_demo, read_table, set_cell, snapshot, write_table


async def test_demo_loads_with_everything_linked_up(session: AsyncSession) -> None:
    report = await import_roster(session, DEMO)
    await session.commit()
    assert report.created["students"] == 60 and report.created["staff"] == 9
    school = await session.scalar(select(School))
    assert school is not None and school.timezone == "Asia/Barnaul" and school.grade_max == 5
    first = await session.scalar(select(SchoolClass).where(SchoolClass.name == "1А"))
    assert first is not None and first.grading is False and first.grade_level == 1
    # the teacher who is also a parent is one person with both ids and a child
    teacher_parent = await session.scalar(select(Person).where(Person.staff_ref == "S06"))
    assert teacher_parent is not None and teacher_parent.parent_ref == "R900"
    assert await session.scalar(select(Guardianship).where(Guardianship.parent_id == teacher_parent.id))
    two = await session.scalar(select(Person).where(Person.parent_ref == "R015"))
    children = list(await session.scalars(select(Guardianship).where(Guardianship.parent_id == two.id)))
    assert len(children) == 2
    assert len(list(await session.scalars(select(AcademicPeriod)))) == 5
    assert len(list(await session.scalars(select(WorkType)))) == 8
    english = list(await session.scalars(select(TimetableSlot).where(TimetableSlot.subgroup == "2")))
    assert english, "split English lessons have a second subgroup"


async def test_xlsx_and_csv_are_the_same_roster() -> None:
    csv_tables, csv_issues = read_roster(DEMO)
    xlsx_tables, xlsx_issues = read_roster(ROOT / "examples" / "demo-school.xlsx")
    assert csv_issues == xlsx_issues == []
    assert csv_tables.keys() == xlsx_tables.keys()
    for name in csv_tables:
        assert csv_tables[name].headers == xlsx_tables[name].headers
        assert csv_tables[name].rows == xlsx_tables[name].rows, name


async def test_importing_twice_changes_nothing(session: AsyncSession) -> None:
    await import_roster(session, DEMO)
    await session.commit()
    before = await snapshot(session)
    report = await import_roster(session, ROOT / "examples" / "demo-school.xlsx")
    await session.commit()
    assert not report.created and not report.updated and not report.deactivated
    after = await snapshot(session)
    assert after["audit_entries"] == before["audit_entries"] + 1
    assert {k: v for k, v in after.items() if k != "audit_entries"} == {
        k: v for k, v in before.items() if k != "audit_entries"
    }


async def test_edited_roster_updates_rows_it_names(session: AsyncSession, tmp_path) -> None:
    await import_roster(session, DEMO)
    await session.commit()
    folder = copy_demo(tmp_path)
    set_cell(folder, "students", 2, "last_name", "Павлова-Смирнова")
    set_cell(folder, "students", 3, "class_id", "C5A")
    set_cell(folder, "schools", 2, "edit_window_days", "10")
    report = await import_roster(session, folder)
    await session.commit()
    assert report.updated["students"] == 2 and report.updated["schools"] == 1
    renamed = await session.scalar(select(Person).where(Person.student_ref == "P001"))
    assert renamed.last_name == "Павлова-Смирнова"
    moved = await session.scalar(
        select(SchoolClass.external_id)
        .join(Student, Student.class_id == SchoolClass.id)
        .join(Person, Person.id == Student.person_id)
        .where(Person.student_ref == "P002")
    )
    assert moved == "C5A"
    assert (await session.scalar(select(School))).edit_window_days == 10


async def test_leaving_student_is_deactivated_and_kept(session: AsyncSession, tmp_path) -> None:
    await import_roster(session, DEMO)
    await session.commit()
    folder = copy_demo(tmp_path)
    set_cell(folder, "students", 5, "active", "no")
    rows = read_table(folder, "staff")
    write_table(folder, "staff", rows)
    # a row that disappears is not deleted either
    students = read_table(folder, "students")
    write_table(folder, "students", students[:-1])
    parents = [r for r in read_table(folder, "parents") if "P060" not in r[4]]
    write_table(folder, "parents", parents)
    report = await import_roster(session, folder)
    await session.commit()
    assert report.deactivated["students"] == 1
    gone = await session.scalar(select(Person).where(Person.student_ref == "P004"))
    assert gone is not None and gone.active is False
    still = await session.scalar(select(Person).where(Person.student_ref == "P060"))
    assert still is not None and still.active is True
    assert await session.scalar(select(Student).where(Student.person_id == gone.id)) is not None


async def test_dropped_timetable_rows_and_roles_follow_the_roster(session: AsyncSession, tmp_path) -> None:
    await import_roster(session, DEMO)
    await session.commit()
    folder = copy_demo(tmp_path)
    slots = read_table(folder, "timetable")
    write_table(folder, "timetable", slots[:-1])
    set_cell(folder, "staff", 3, "roles", "teacher")  # S02 stops being an admin
    report = await import_roster(session, folder)
    await session.commit()
    assert report.deactivated["timetable"] == 1
    assert len(list(await session.scalars(select(TimetableSlot).where(TimetableSlot.active.is_(False))))) == 1
    s02 = await session.scalar(select(Person).where(Person.staff_ref == "S02"))
    roles = set(await session.scalars(select(RoleGrant.role).where(RoleGrant.person_id == s02.id)))
    assert roles == {"teacher"}


async def test_without_parents_table_parents_are_left_alone(session: AsyncSession, tmp_path) -> None:
    await import_roster(session, DEMO)
    await session.commit()
    folder = copy_demo(tmp_path)
    (folder / "parents.csv").unlink()
    report = await import_roster(session, folder)
    await session.commit()
    assert "parents" in report.skipped_tables
    assert len(list(await session.scalars(select(Guardianship).where(Guardianship.active.is_(True))))) > 60


async def test_what_people_type_differently_is_normalised_and_reported(session: AsyncSession, tmp_path) -> None:
    folder = copy_demo(tmp_path)
    set_cell(folder, "classes", 3, "name", " 5 a ")  # Latin a, a space, spaces around
    set_cell(folder, "students", 4, "last_name", "  Семёнов ")
    report = await import_roster(session, folder)
    await session.commit()
    assert await session.scalar(select(SchoolClass.name).where(SchoolClass.external_id == "C5A")) == "5А"
    assert await session.scalar(select(Person.last_name).where(Person.student_ref == "P003")) == "Семёнов"
    notes = {(n.source, n.column): n for n in report.notes}
    assert notes[("classes.csv", "name")].params["after"] == "5А"
    assert set(notes[("classes.csv", "name")].params["reasons"]) == {
        "Latin letters replaced with Cyrillic ones",
        "space removed",
        "letter capitalised",
    }
    assert notes[("students.csv", "last_name")].rows == (4,)


async def test_dry_run_saves_nothing(db_url: str, session: AsyncSession) -> None:
    """The command line's unit of work rolls a dry run back, whatever it would have created."""
    from bot.cli import _import

    report = await _import(db_url, DEMO, dry_run=True)
    assert report.created["students"] == 60
    assert all(v == 0 for v in (await snapshot(session)).values())


def bad(table: str, row: int, column: str, value: str):
    def edit(folder):
        set_cell(folder, table, row, column, value)

    return edit


def drop_column(table: str, column: str):
    def edit(folder):
        rows = read_table(folder, table)
        index = rows[0].index(column)
        write_table(folder, table, [r[:index] + r[index + 1 :] for r in rows])

    return edit


def add_column(table: str, column: str):
    def edit(folder):
        rows = read_table(folder, table)
        write_table(folder, table, [rows[0] + [column]] + [[*r, ""] for r in rows[1:]])

    return edit


def duplicate_row(table: str, row: int):
    def edit(folder):
        rows = read_table(folder, table)
        write_table(folder, table, [*rows, rows[row - 1]])

    return edit


def overlap(folder):
    rows = read_table(folder, "timetable")
    header = rows[0]
    first = rows[1]
    clash = list(first)
    clash[header.index("lesson_no")] = "9"
    clash[header.index("starts_at")] = first[header.index("starts_at")]
    clash[header.index("ends_at")] = "23:00"
    write_table(folder, "timetable", [*rows, clash])


def remove_table(name: str):
    def edit(folder):
        (folder / f"{name}.csv").unlink()

    return edit


BAD_INPUTS = {
    "missing column": (
        drop_column("students", "last_name"),
        "students.csv",
        1,
        "last_name",
        "A required column is missing",
    ),
    "unknown column": (add_column("staff", "phone"), "staff.csv", 1, "phone", "Unknown column"),
    "empty required cell": (bad("students", 7, "first_name", ""), "students.csv", 7, "first_name", "The cell is empty"),
    "bad date": (bad("periods", 3, "starts_on", "05.11.2026"), "periods.csv", 3, "starts_on", "is not a date"),
    "bad time": (bad("timetable", 4, "starts_at", "8.30"), "timetable.csv", 4, "starts_at", "is not a time"),
    "start after end": (
        bad("timetable", 5, "ends_at", "07:00"),
        "timetable.csv",
        5,
        "ends_at",
        "ends (07:00) before it starts",
    ),
    "period ends before start": (
        bad("periods", 2, "ends_on", "2026-08-01"),
        "periods.csv",
        2,
        "ends_on",
        "The period ends",
    ),
    "unknown reference": (
        bad("students", 10, "class_id", "C11Z"),
        "students.csv",
        10,
        "class_id",
        "“C11Z” is not an id in the table classes",
    ),
    "unknown child": (
        bad("parents", 3, "student_ids", "P002;P999"),
        "parents.csv",
        3,
        "student_ids",
        "“P999” is not an id in the table students",
    ),
    "duplicate id": (duplicate_row("staff", 4), "staff.csv", 11, "staff_id", "is used twice; row 4 has it too"),
    "overlapping slots": (overlap, "timetable.csv", 98, "starts_at", "overlaps row 2"),
    "weekday 8": (
        bad("timetable", 6, "weekday", "8"),
        "timetable.csv",
        6,
        "weekday",
        "is not a whole number from 1 to 7",
    ),
    "grade_min > grade_max": (
        bad("schools", 2, "grade_min", "6"),
        "schools.csv",
        2,
        "grade_min",
        "grade_min (6) is above grade_max (5)",
    ),
    "unknown time zone": (
        bad("schools", 2, "timezone", "Europe/Barnaul"),
        "schools.csv",
        2,
        "timezone",
        "is not a time zone",
    ),
    "bad role": (bad("staff", 5, "roles", "director"), "staff.csv", 5, "roles", "is not a role"),
    "bad yes/no": (bad("students", 8, "active", "maybe"), "students.csv", 8, "active", "is not yes or no"),
    "teacher not teaching the subject": (
        bad("timetable", 3, "staff_id", "S01"),
        "timetable.csv",
        3,
        "staff_id",
        "does not teach this subject in this class",
    ),
    "missing table": (remove_table("subjects"), "subjects", None, None, "The table is missing"),
    "bad period kind": (bad("periods", 2, "kind", "trimester"), "periods.csv", 2, "kind", "is not one of"),
}


@pytest.mark.parametrize("case", BAD_INPUTS.keys())
async def test_bad_roster_is_refused_whole_with_a_clear_message(case: str, session: AsyncSession, tmp_path) -> None:
    await import_roster(session, DEMO)
    await session.commit()
    folder = copy_demo(tmp_path)
    set_cell(folder, "students", 2, "last_name", "Изменённая")  # a valid change that must not land
    edit, source, row, column, message = BAD_INPUTS[case]
    edit(folder)
    before = await snapshot(session)
    with pytest.raises(RosterInvalid) as raised:
        await import_roster(session, folder)
    matching = [i for i in raised.value.issues if i.source == source and i.row == row and i.column == column]
    assert matching, raised.value.issues
    from locales.i18n import translate

    assert any(message in translate(i.message, "en", **i.params) for i in matching), matching
    assert await snapshot(session) == before
    assert await session.scalar(select(Person.last_name).where(Person.student_ref == "P001")) == "Павлова"


async def test_every_error_is_reported_not_just_the_first(session: AsyncSession, tmp_path) -> None:
    folder = copy_demo(tmp_path)
    set_cell(folder, "timetable", 4, "weekday", "0")
    set_cell(folder, "students", 9, "class_id", "nope")
    set_cell(folder, "schools", 2, "timezone", "Mars/Olympus")
    with pytest.raises(RosterInvalid) as raised:
        await import_roster(session, folder)
    assert {(i.source, i.row) for i in raised.value.issues} >= {
        ("timetable.csv", 4),
        ("students.csv", 9),
        ("schools.csv", 2),
    }
    assert (await snapshot(session))["persons"] == 0


async def test_bad_xlsx_is_reported(tmp_path, session: AsyncSession) -> None:
    broken = tmp_path / "roster.xlsx"
    broken.write_bytes(b"not a workbook")
    with pytest.raises(RosterInvalid) as raised:
        await import_roster(session, broken)
    assert "cannot be opened" in raised.value.issues[0].message


async def test_csv_with_excel_bom_is_accepted(session: AsyncSession, tmp_path) -> None:
    folder = copy_demo(tmp_path)
    path = folder / "staff.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    report = await import_roster(session, folder)
    await session.commit()
    assert report.created["staff"] == 9


async def test_inactive_teaching_is_kept_for_history(session: AsyncSession, tmp_path) -> None:
    await import_roster(session, DEMO)
    await session.commit()
    folder = copy_demo(tmp_path)
    rows = read_table(folder, "teaching")
    header = rows[0]
    # drop 1А's PE teaching and its timetable slots together
    keep = [r for r in rows if not (r[header.index("class_id")] == "C1A" and r[header.index("subject_id")] == "PE")]
    write_table(folder, "teaching", keep)
    slots = read_table(folder, "timetable")
    write_table(folder, "timetable", [r for r in slots if not (r[0] == "C1A" and r[5] == "PE")])
    report = await import_roster(session, folder)
    await session.commit()
    assert report.deactivated["teaching"] == 1
    assert len(list(await session.scalars(select(TeachingAssignment)))) == 31


async def test_a_lower_case_latin_letter_becomes_the_cyrillic_capital_it_looks_like(
    session: AsyncSession, tmp_path
) -> None:
    folder = copy_demo(tmp_path)
    set_cell(folder, "classes", 3, "name", "5b")  # typed on a Latin layout: looks like «5В» once capitalised
    await import_roster(session, folder)
    await session.commit()
    assert await session.scalar(select(SchoolClass.name).where(SchoolClass.external_id == "C5A")) == "5В"
