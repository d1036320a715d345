"""Weekly summaries (000 §2.12): built in bulk for a whole school and queued for every consenting
student and parent, one message per child; the family marks it seen and the tutor sees who has."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Guardianship, Notification, Person, School, SchoolClass, Student, SummaryRun, TelegramAccount
from services import clock, family, outbox
from services.absences import tutor_class
from services.errors import N_, NotFound
from services.family import Child
from services.push_kinds import PushKind
from services.roles import Scope, Viewer

CHUNK = 2000  # students per round of queries: memory stays flat, queries grow with N / CHUNK only


def payload_of(summary: family.WeekSummary, shaped: dict[int, list[Any]] | None = None) -> dict[str, Any]:
    """The summary as the push carries it; `shaped` keeps each homework's row across the children of
    a class, who share it."""
    shaped = {} if shaped is None else shaped
    homework = []
    for t in summary.homework_next_week:
        row = shaped.get(t.homework_id)
        if row is None:
            row = shaped[t.homework_id] = [t.due_on.isoformat() if t.due_on else None, t.subject, t.text[:300]]
        homework.append(row)
    return {
        "student_id": summary.student_id,
        "week_start": summary.week_start.isoformat(),
        "grades": {s: [v for _d, v, _w in g.grades] for s, g in summary.week.items()},
        "week_avg": {s: g.average for s, g in summary.week.items()},
        "period_avg": summary.period_averages,
        "absences": [[m.on_date.isoformat(), m.lesson_no, m.subject, m.mark, m.reason] for m in summary.absences],
        "homework": homework,
        "period_grades": [[m.period, m.subject, m.kind, m.value] for m in summary.period_grades],
        **({"homework_from": summary.homework_from.isoformat()} if summary.homework_from else {}),
        **({} if summary.graded else {"graded": False}),
    }


async def refresh_statistics(session: AsyncSession) -> None:
    """After a broadcast is queued, PostgreSQL's planner must know the outbox grew a hundredfold, or
    the delivery worker's claims get plans made for an empty table until autovacuum comes round."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(text("ANALYZE notifications"))


async def plans_for_the_values(session: AsyncSession) -> None:
    """For this transaction, PostgreSQL plans each query for its values. asyncpg keeps statements
    prepared, and after five runs of one (a school's thousand-id IN list) PostgreSQL may switch to a
    generic plan, blind to the values and a hundred times slower here."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


async def queue_week(session: AsyncSession, school: School, week_start: date) -> int:
    """Queue the week's summaries of a school in the caller's transaction; running it again adds
    nothing (dedup keys), and once the school's run is complete it is not built again."""
    await plans_for_the_values(session)
    done = await session.scalar(
        select(SummaryRun.id).where(SummaryRun.school_id == school.id, SummaryRun.week_start == week_start)
    )
    if done is not None:
        return 0
    today = week_start + timedelta(days=6)
    period = await family.current_period(session, school.id, min(today, clock.school_today(school)))
    kids = [
        Child(sid, "", class_id, "", subgroup)
        for sid, class_id, subgroup in await session.execute(
            select(Student.id, Student.class_id, Student.subgroup)
            .join(Person, Person.id == Student.person_id)
            .join(SchoolClass, SchoolClass.id == Student.class_id)
            .where(SchoolClass.school_id == school.id, Person.active.is_(True))
            .order_by(Student.id)
        )
    ]
    due = clock.now()
    queued = 0
    for start in range(0, len(kids), CHUNK):
        await plans_for_the_values(session)  # each chunk is a transaction of its own
        chunk = kids[start : start + CHUNK]
        families = await outbox.family_of(session, [k.student_id for k in chunk])
        built = await family.summaries(session, chunk, week_start, period, school.timezone)
        rows = []
        shaped: dict[int, list[Any]] = {}
        for kid in chunk:
            payload = payload_of(built[kid.student_id], shaped)
            for recipient in families[kid.student_id]:
                key = f"summary:{week_start.isoformat()}:s{kid.student_id}:p{recipient.person_id}"
                rows.append(
                    {
                        "person_id": recipient.person_id,
                        "account_id": recipient.account_id,
                        "category": "summaries",
                        "kind": PushKind.WEEKLY_SUMMARY,
                        "lane": "bulk",
                        "payload": payload,
                        "topic": key,
                        "dedup_key": key,
                        "status": "pending",
                        "due_at": due,
                        "attempts": 0,
                        "created_at": due,
                    }
                )
        if not rows:
            continue
        existing = set(
            await session.scalars(
                select(Notification.dedup_key).where(Notification.dedup_key.in_([r["dedup_key"] for r in rows]))
            )
        )
        fresh = [r for r in rows if r["dedup_key"] not in existing]
        if fresh:
            await session.execute(insert(Notification), fresh)
            queued += len(fresh)
    # The school's week and the mark that it is done are one transaction: another instance that
    # finished the same school first makes this flush (or the runner's commit) fail, and nothing is
    # queued twice.
    session.add(SummaryRun(school_id=school.id, week_start=week_start, queued=queued))
    await session.flush()
    return queued


def due_week(school: School, now: datetime) -> date | None:
    """The Monday of the week whose summary is due now in the school's zone, if it is due."""
    local = now.astimezone(ZoneInfo(school.timezone))
    monday = local.date() - timedelta(days=local.isoweekday() - 1)
    if (local.isoweekday(), local.time()) >= (school.summary_weekday, school.summary_time):
        return monday
    return None


async def mark_seen(session: AsyncSession, viewer: Viewer, notification_id: int) -> bool:
    """The family read the summary: only the one it was sent to can say so."""
    person = viewer.require_linked()
    # An UPDATE's result is a CursorResult, which carries the rowcount; execute() is typed as the plain Result.
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.person_id == person.id,
                Notification.kind == PushKind.WEEKLY_SUMMARY,
                Notification.seen_at.is_(None),
            )
            .values(seen_at=clock.now())
        ),
    )
    await session.flush()
    if not result.rowcount:
        exists = await session.scalar(
            select(Notification.id).where(Notification.id == notification_id, Notification.person_id == person.id)
        )
        if exists is None:
            raise NotFound(N_("This summary is not yours."))
    return bool(result.rowcount)


@dataclass
class Receipts:
    """The week's summary in a class, by child (one family each): read, received and not read yet,
    not received by a connected family (turned off, muted, unreachable, still waiting), and the
    families nobody of which is connected (no linked, consenting account), who cannot have got it."""

    seen: list[str] = field(default_factory=list)
    not_seen: list[str] = field(default_factory=list)
    not_received: list[str] = field(default_factory=list)
    not_connected: int = 0

    @property
    def received(self) -> int:
        return len(self.seen) + len(self.not_seen)


async def receipts(session: AsyncSession, viewer: Viewer, class_id: int, week_start: date) -> Receipts:
    """For the class teacher: which families got this week's summary and which have marked it seen."""
    school_class = await tutor_class(session, viewer, class_id)
    students = (
        await session.execute(
            select(Student.id, Person.id, Person.last_name, Person.first_name)
            .join(Person, Person.id == Student.person_id)
            .where(Student.class_id == school_class.id, Person.active.is_(True))
            .order_by(Person.last_name, Person.first_name)
        )
    ).all()
    members, connected = await _families(session, [(sid, pid) for sid, pid, _l, _f in students])
    prefix = f"summary:{week_start.isoformat()}:s"
    received: set[int] = set()
    seen: set[int] = set()
    for key, status, seen_at in await session.execute(
        select(Notification.dedup_key, Notification.status, Notification.seen_at).where(
            Notification.person_id.in_(members),
            Notification.kind == PushKind.WEEKLY_SUMMARY,
            Notification.dedup_key.like(prefix + "%"),
        )
    ):
        sid = int(key[len(prefix) :].split(":")[0])
        if status == "sent":
            received.add(sid)
        if seen_at is not None:
            seen.add(sid)
    result = Receipts()
    for sid, _pid, last, first in students:
        name = f"{last} {first}"
        if sid in seen:
            result.seen.append(name)
        elif sid in received:
            result.not_seen.append(name)
        elif sid in connected:
            result.not_received.append(name)
        else:
            result.not_connected += 1
    return result


async def _families(session: AsyncSession, students: list[tuple[int, int]]) -> tuple[set[int], set[int]]:
    """The people of each student's family (the student and active guardians), and the students whose
    family has someone connected: an active person who consented, linked for the family side."""
    own = dict(students)  # student -> their person
    rows = await session.execute(
        select(Guardianship.student_id, Guardianship.parent_id).where(
            Guardianship.student_id.in_(own), Guardianship.active.is_(True)
        )
    )
    family_of = [*own.items(), *((sid, pid) for sid, pid in rows)]
    members = {pid for _sid, pid in family_of}
    linked = set(
        await session.scalars(
            select(Person.id)
            .join(TelegramAccount, TelegramAccount.person_id == Person.id)
            .where(
                Person.id.in_(members),
                Person.active.is_(True),
                Person.consent_at.is_not(None),
                or_(TelegramAccount.scope.is_(None), TelegramAccount.scope != Scope.STAFF),
            )
        )
    )
    return members, {sid for sid, pid in family_of if pid in linked}
