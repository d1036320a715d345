"""The import refuses a timetable that books one teacher into two classes at once (issue 10, item 4);
a class's groups with one teacher, back-to-back lessons and rows valid in different weeks pass."""

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from locales.i18n import translate
from services.roster import RosterInvalid, import_roster
from tests.support.roster import copy_demo, read_table, snapshot, write_table


def edit_row(folder: Path, key: list[str], **values: str) -> int:
    """Change the timetable row that starts with `key` (class, weekday, lesson); returns its row number."""
    rows = read_table(folder, "timetable")
    header = rows[0]
    for number, row in enumerate(rows[1:], start=2):
        if row[: len(key)] == key:
            for column, value in values.items():
                row[header.index(column)] = value
            write_table(folder, "timetable", rows)
            return number
    raise AssertionError(f"no timetable row {key}")


def teach(folder: Path, class_id: str, subject_id: str, staff_id: str) -> None:
    rows = read_table(folder, "teaching")
    rows.append([class_id, subject_id, staff_id, ""])
    write_table(folder, "teaching", rows)


def row_of(folder: Path, key: list[str]) -> int:
    rows = read_table(folder, "timetable")
    return next(n for n, row in enumerate(rows[1:], start=2) if row[: len(key)] == key)


async def test_a_teacher_in_two_classes_at_once_is_refused_with_the_clash_named(
    session: AsyncSession, tmp_path: Path
) -> None:
    folder = copy_demo(tmp_path)
    # Соколова (S03) teaches 7Б mathematics on Mondays at 09:20; 9В's history then goes to her too.
    teach(folder, "C9V", "MATH", "S03")
    clashing = edit_row(folder, ["C9V", "1", "2"], subject_id="MATH", staff_id="S03")
    first = row_of(folder, ["C7B", "1", "2"])
    before = await snapshot(session)
    with pytest.raises(RosterInvalid) as refused:
        await import_roster(session, folder)
    [issue] = refused.value.issues
    assert (issue.source, issue.row, issue.column) == ("timetable.csv", clashing, "staff_id")
    assert translate(issue.message, "ru", **issue.params) == (
        "Соколова Елена Викторовна уже ведёт урок в это время: 7Б, Математика, по понедельникам "
        f"с 09:20 до 10:00 (строка {first}). Учитель не может вести два класса одновременно."
    )
    assert translate(issue.message, "en", **issue.params).startswith(
        "Соколова Елена Викторовна already teaches 7Б, Математика, on Mondays from 09:20 to 10:00"
    )
    await session.rollback()
    assert await snapshot(session) == before, "nothing is saved"


async def test_a_partial_overlap_is_a_clash_and_back_to_back_lessons_are_not(
    session: AsyncSession, tmp_path: Path
) -> None:
    folder = copy_demo(tmp_path)
    teach(folder, "C1A", "MATH", "S03")
    # S03 has 7Б at 09:20–10:00 on Mondays; 1А's lesson 2 given to her at 09:40 overlaps it by twenty minutes.
    late = edit_row(folder, ["C1A", "1", "2"], staff_id="S03", starts_at="09:40", ends_at="10:15")
    with pytest.raises(RosterInvalid) as refused:
        await import_roster(session, folder, dry_run=True)
    # The later row of the two is refused, naming the earlier one.
    [issue] = refused.value.issues
    assert (issue.row, issue.column, issue.params["other"]) == (row_of(folder, ["C7B", "1", "2"]), "staff_id", late)
    assert issue.params["class_name"] == "1А" and issue.params["start"] == "09:40"
    # Starting as the other ends (10:00) is no clash.
    edit_row(folder, ["C1A", "1", "2"], starts_at="10:00", ends_at="10:15")
    report = await import_roster(session, folder, dry_run=True)
    assert report.dry_run


async def test_one_teacher_for_both_groups_of_a_class_and_rows_of_other_weeks_pass(
    session: AsyncSession, tmp_path: Path
) -> None:
    folder = copy_demo(tmp_path)
    # 5А's English on Mondays: Гордеева (S07) takes group 1 as well as group 2, side by side.
    teach(folder, "C5A", "ENG", "S07")
    edit_row(folder, ["C5A", "1", "4", "11:20", "12:00", "ENG", "S06"], staff_id="S07")
    # Соколова in 9В at 09:20 on Mondays, but only from January, when 7Б's row has ended.
    teach(folder, "C9V", "MATH", "S03")
    edit_row(folder, ["C7B", "1", "2"], valid_to="2026-12-31")
    edit_row(folder, ["C9V", "1", "2"], subject_id="MATH", staff_id="S03", valid_from="2027-01-01")
    report = await import_roster(session, folder)
    await session.commit()
    assert report.created["timetable"] == 96
    # Rows whose dates meet again clash again.
    edit_row(folder, ["C9V", "1", "2"], valid_from="2026-12-01")
    with pytest.raises(RosterInvalid) as refused:
        await import_roster(session, folder, dry_run=True)
    assert [i.column for i in refused.value.issues] == ["staff_id"]
