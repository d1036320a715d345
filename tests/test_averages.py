"""Weighted averages: the arithmetic, the weight of a kind of work, and every place an average shows."""

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AcademicPeriod, Notification, School, SchoolClass, Subject, WorkType
from services import averages, family, grades, period_grades, push_content, reminders, work_type_admin
from services.errors import DiaryError
from services.roles import Viewer
from tests.conftest import BotHarness
from tests.support.bot import consent, link
from tests.support.journal import MONDAY, act_as, freeze, lesson_of, student_id

OPERATOR = Viewer.command_line()
D = Decimal


def test_weighted_mean_counts_a_heavy_grade_as_often_as_it_weighs() -> None:
    assert averages.weighted_mean([(5, 1), (3, 2)]) == 3.67
    assert averages.weighted_mean([(5, None), (4, D("1.5"))]) == 4.4
    assert averages.weighted_mean([]) is None
    assert averages.mean_of(D(13), D(3)) == 4.33 and averages.mean_of(None, None) is None


def test_rounding_is_halves_up() -> None:
    assert [averages.rounded(x) for x in (4.5, 4.49, 3.5, 2.5, None)] == [5, 4, 4, 3, None]


def test_needed_counts_top_grades_and_the_grade_itself() -> None:
    wanted = averages.needed([(3, 1), (4, 1)], top=5)  # 3,5 → 4 now; 4,5 is needed for a 5
    assert wanted == averages.Needed(5, (averages.Option(5, 4),))
    wanted = averages.needed([(2, 1), (3, 1), (3, 1)], top=5)  # 2,67 → 3; 3,5 for a 4
    assert wanted is not None and wanted.target == 4
    assert wanted.options == (averages.Option(5, 2), averages.Option(4, 5))
    # one 3 lifts a lone 2 to 2,5 → 3: the grade itself is the advice, a 5 would be no fewer
    assert averages.needed([(2, 1)], top=5) == averages.Needed(3, (averages.Option(3, 1),))


def test_needed_is_nothing_at_the_top_or_without_grades() -> None:
    assert averages.needed([(5, 1), (4, 1)], top=5) is None  # 4,5 rounds to 5
    assert averages.needed([], top=5) is None


def test_a_heavy_work_is_offered_when_it_takes_fewer() -> None:
    wanted = averages.needed([(4, 1)] * 6, top=5, heaviest=D(2))
    assert wanted is not None and wanted.options == (averages.Option(5, 6),)
    assert wanted.heavy == averages.Option(5, 3, D(2))
    # one grade of 5 does it either way: no heavier way to offer
    assert averages.needed([(4, 1)], top=5, heaviest=D(2)) == averages.Needed(5, (averages.Option(5, 1),))


@pytest.mark.parametrize(
    "grades",
    [[(2, 1)], [(3, 1), (3, 1), (2, 2)], [(4, 1)] * 17 + [(3, D("1.5"))], [(2, 3), (5, 1)], [(3, 1)] * 40],
)
def test_needed_is_exactly_enough(grades: list[tuple[int, Decimal]]) -> None:
    """The count brings the average to the target, and one fewer does not (the school's rounding)."""
    pairs = [(v, D(w)) for v, w in grades]
    wanted = averages.needed(pairs, top=5, heaviest=D(2))
    assert wanted is not None
    for option in (*wanted.options, *([wanted.heavy] if wanted.heavy else [])):
        assert averages.reaches(pairs, option, wanted.target)
        fewer = averages.Option(option.value, option.count - 1, option.weight)
        assert option.count == 1 or not averages.reaches(pairs, fewer, wanted.target)


def test_ten_point_scale() -> None:
    wanted = averages.needed([(7, 1), (8, 1)], top=10)  # 7,5 → 8; 8,5 for a 9
    assert wanted is not None and wanted.target == 9
    assert wanted.options == (averages.Option(10, 2), averages.Option(9, 4))


@pytest.mark.parametrize("text", ["0", "-1", "10.5", "abc", "", "1.234", "nan", "inf"])
def test_a_bad_weight_is_refused(text: str) -> None:
    with pytest.raises(DiaryError) as refused:
        work_type_admin.parse_weight(text)
    assert refused.value.params == {"weight": text}


def test_a_weight_is_read_with_a_comma_or_a_point() -> None:
    assert work_type_admin.parse_weight("1,5") == D("1.5")
    assert work_type_admin.parse_weight(" 2 ") == D(2)
    assert work_type_admin.parse_weight("10") == D(10)


@pytest.fixture
async def weighted(demo: None, session: AsyncSession, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """In 5А's mathematics: P016 has 2, 2 and a test of 4 (weight 2); P017 has 2 and a test of 3."""
    freeze(monkeypatch)
    await work_type_admin.set_weight(session, OPERATOR, None, "test", "2")
    await session.commit()
    test = await session.scalar(select(WorkType.id).where(WorkType.code == "test"))
    assert test is not None
    lesson = await lesson_of(session, "S03", MONDAY.date(), "MATH", "5А")
    teacher = await act_as(session, "S03")
    first, second = await student_id(session, "P016"), await student_id(session, "P017")
    for sid, value, work in (
        (first, 2, None),
        (first, 2, None),
        (first, 4, test),
        (second, 2, None),
        (second, 3, test),
    ):
        await grades.add(session, teacher, lesson.id, sid, value, work)
    await session.commit()
    period = await session.scalar(select(AcademicPeriod.id).where(AcademicPeriod.name == "2 четверть"))
    math = await session.scalar(select(Subject.id).where(Subject.external_id == "MATH"))
    cls = await session.scalar(select(SchoolClass.id).where(SchoolClass.name == "5А"))
    assert period and math and cls
    return {"first": first, "second": second, "lesson": lesson.id, "period": period, "math": math, "class": cls}


async def test_weights_of_the_school(weighted: dict[str, int], session: AsyncSession) -> None:
    school = await session.scalar(select(School.id))
    assert school is not None
    weights = await averages.weights_of(session, school)
    test = await session.scalar(select(WorkType.id).where(WorkType.code == "test"))
    assert weights[test] == D(2) and set(weights.values()) == {D(1), D(2)}
    assert averages.weight_of(None, weights) == D(1) and averages.weight_of(test, weights) == D(2)
    assert await averages.heaviest_work(session, school) == ("Test", D(2))


async def test_family_views_and_summaries_are_weighted(weighted: dict[str, int], session: AsyncSession) -> None:
    by_subject = await family.grades_by_subject(
        session, [weighted["first"], weighted["second"]], MONDAY.date(), MONDAY.date()
    )
    assert by_subject[weighted["first"]]["Математика"].average == 3.0  # (2 + 2 + 4·2) / 4, not 2,67
    assert by_subject[weighted["second"]]["Математика"].average == 2.67  # (2 + 3·2) / 3


async def test_grade_push_carries_the_weighted_average(weighted: dict[str, int], session: AsyncSession) -> None:
    payload = {
        "grade_id": 1,
        "student_id": weighted["first"],
        "subject_id": weighted["math"],
        "on_date": MONDAY.date().isoformat(),
    }
    ctx = await push_content.load(session, [payload])
    assert ctx.averages[(weighted["first"], weighted["math"])] == ("2 четверть", 3.0)


async def test_period_standing_and_class_list_are_weighted(weighted: dict[str, int], session: AsyncSession) -> None:
    tutor = await act_as(session, "S03")
    where = {"class_id": weighted["class"], "subject_id": weighted["math"], "period_id": weighted["period"]}
    standing = await period_grades.standing(session, tutor, **where, student_id=weighted["second"])
    assert standing.average == 2.67 and standing.suggested == 3 and standing.grades == [2, 3]
    rows = {row.student_id: row.average for row in await period_grades.class_sheet(session, tutor, **where)}
    assert rows[weighted["first"]] == 3.0 and rows[weighted["second"]] == 2.67


async def test_low_average_alert_uses_the_weights(weighted: dict[str, int], session: AsyncSession) -> None:
    from tests.test_reminders import MONDAY_AFTERNOON

    school = await session.scalar(select(School))
    assert school is not None
    await reminders.for_school(session, school, MONDAY_AFTERNOON)
    alerts = [
        n.payload for n in await session.scalars(select(Notification).where(Notification.kind == "alert_average"))
    ]
    # P016's plain mean is 2,67 but the weighted one 3,0: no alert; P017's is 2,67 either way.
    assert [(a["student"], a["average"]) for a in alerts] == [("Никитин Лев", 2.67)]


async def test_changing_a_weight_is_audited_and_refused_when_wrong(demo: None, session: AsyncSession) -> None:
    from models import AuditEntry

    row = await work_type_admin.set_weight(session, OPERATOR, None, "TEST", "1,5")
    assert row.weight == D("1.5")
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "work_type_weight"))
    assert entry is not None and entry.before == {"weight": "1"} and entry.after == {"weight": "1.5"}
    with pytest.raises(DiaryError):
        await work_type_admin.set_weight(session, OPERATOR, None, "test", "11")
    with pytest.raises(DiaryError):
        await work_type_admin.set_weight(session, OPERATOR, None, "nope", "2")
    added = await work_type_admin.add(session, OPERATOR, None, "exam", "Экзамен", "3")
    assert added.weight == D(3)
    renamed = await work_type_admin.add(session, OPERATOR, None, "exam", "Экзамен (пробный)")
    assert renamed.weight == D(3), "renaming keeps the weight"


async def test_grades_tell_what_brings_the_next_whole_grade(
    weighted: dict[str, int], session: AsyncSession, harness: BotHarness
) -> None:
    """P016: 2, 2 and a test of 4 that counts twice — 3,00; a 4 takes 3,50."""
    emu = harness.emu
    await link(session, emu, "P016", 9301)
    await consent(session, "P016")
    (reply,) = await emu.say(9301, "/grades")
    lines = reply["text"].splitlines()
    at = lines.index("Математика: 2 2 4 — средний балл 3,00")
    assert lines[at + 1].strip() == "до 4: ещё 2 пятёрки или 4 четвёрки или 1 пятёрка за «Контрольная работа»"
    await link(session, emu, "P017", 9302, "en")
    await consent(session, "P017")
    (reply,) = await emu.say(9302, "/grades")
    wanted = "to reach 4: 2 more grades of 5 or 5 more grades of 4 or 1 more grade of 5 for «Test»"
    assert f"Математика: 2 3 — average 2.67\n   {wanted}" in reply["text"]
