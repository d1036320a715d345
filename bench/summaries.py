"""Weekly summaries benchmark (DESIGN.md §4): a generated district on PostgreSQL; prints seconds,
queries and peak memory for building and queuing every family's summary.

    uv run python bench/summaries.py [--students 10000 100000]
"""

import argparse
import asyncio
import time
from datetime import date

from common import QueryCounter, analyze, fresh_database, peak_rss_mib
from sqlalchemy import func, select, text

from bot import jobs
from models import Notification, School
from models.db import make_engine, make_sessionmaker

WEEK = date(2026, 11, 23)
PER_SCHOOL = 1000  # students
CLASS_SIZE = 25

DISTRICT_SQL = """
INSERT INTO schools (external_id, name, timezone, grade_min, grade_max, edit_window_days, locale,
                     summary_weekday, summary_time, created_at)
SELECT 'S' || s, 'Школа № ' || s, 'Asia/Barnaul', 2, 5, 14, 'ru', 6, '12:00', now()
FROM generate_series(1, :schools) s;

INSERT INTO academic_periods (school_id, external_id, name, kind, starts_on, ends_on)
SELECT id, 'Q2', '2 четверть', 'quarter', '2026-11-05', '2026-12-28' FROM schools;

INSERT INTO subjects (school_id, external_id, name)
SELECT s.id, 'SUB' || n, 'Предмет ' || n FROM schools s, generate_series(1, 8) n;

INSERT INTO school_classes (school_id, external_id, name, grade_level, grading)
SELECT s.id, 'C' || n, (5 + n % 6) || 'А' || n, 5 + n % 6, true FROM schools s, generate_series(1, :classes) n;

INSERT INTO persons (school_id, last_name, first_name, student_ref, active, consent_at, created_at)
SELECT c.school_id, 'Ученик', 'N' || c.id || '-' || k, 'P' || c.id || '-' || k, true, now(), now()
FROM school_classes c, generate_series(1, :class_size) k;

INSERT INTO students (person_id, class_id)
SELECT p.id, c.id FROM persons p JOIN school_classes c
  ON c.school_id = p.school_id AND p.student_ref LIKE 'P' || c.id || '-%';

INSERT INTO persons (school_id, last_name, first_name, parent_ref, active, consent_at, created_at)
SELECT p.school_id, 'Родитель', p.first_name, 'R' || s.id, true, now(), now()
FROM students s JOIN persons p ON p.id = s.person_id;

INSERT INTO guardianships (parent_id, student_id, active)
SELECT pp.id, s.id, true FROM students s JOIN persons pp ON pp.parent_ref = 'R' || s.id;

INSERT INTO persons (school_id, last_name, first_name, staff_ref, active, created_at)
SELECT id, 'Учитель', 'T', 'T1', true, now() FROM schools;

INSERT INTO lessons (class_id, subject_id, teacher_id, on_date, lesson_no, starts_at, ends_at, created_at)
SELECT c.id, sub.id, t.id, DATE '2026-11-23' + d, n, '08:30', '09:10', now()
FROM generate_series(0, 4) d
CROSS JOIN generate_series(1, 6) n
CROSS JOIN school_classes c
JOIN subjects sub ON sub.school_id = c.school_id AND sub.external_id = 'SUB' || (1 + (n + d) % 8)
JOIN persons t ON t.school_id = c.school_id AND t.staff_ref = 'T1';

INSERT INTO grades (student_id, lesson_id, subject_id, on_date, value, given_by, created_at)
SELECT s.id, NULL, sub.id, DATE '2026-11-05' + ((s.id + g) % 22), 2 + (s.id * 7 + g) % 4, t.id, now()
FROM generate_series(1, 15) g
CROSS JOIN students s
JOIN school_classes c ON c.id = s.class_id
JOIN subjects sub ON sub.school_id = c.school_id AND sub.external_id = 'SUB' || (1 + g % 8)
JOIN persons t ON t.school_id = c.school_id AND t.staff_ref = 'T1';

INSERT INTO attendance (lesson_id, student_id, mark, marked_by, marked_at)
SELECT l.id, s.id, 'absent', l.teacher_id, now()
FROM lessons l JOIN students s ON s.class_id = l.class_id
WHERE (s.id + l.id) % 20 = 0;

INSERT INTO homework (lesson_id, text, due_on, given_by, created_at)
SELECT l.id, 'Упражнения ' || l.id, l.on_date + 7, l.teacher_id, now() FROM lessons l;
"""


async def run(students: int) -> None:
    schools = max(1, students // PER_SCHOOL)
    async with fresh_database() as url:
        engine = make_engine(url)
        started = time.perf_counter()
        async with engine.begin() as conn:
            for statement in DISTRICT_SQL.split(";\n"):
                if statement.strip():
                    await conn.execute(
                        text(statement),
                        {"schools": schools, "classes": PER_SCHOOL // CLASS_SIZE, "class_size": CLASS_SIZE},
                    )
        generated = time.perf_counter() - started
        await analyze(engine)
        sessionmaker = make_sessionmaker(engine)
        async with sessionmaker() as session:
            total = await session.scalar(text("SELECT count(*) FROM students"))
            grades = await session.scalar(text("SELECT count(*) FROM grades"))
            all_schools = list(await session.scalars(select(School)))
        counter = QueryCounter(engine)
        rss_before = peak_rss_mib()
        started = time.perf_counter()
        # As the scheduler does it: every school due, side by side.
        queued = await jobs.queue_weeks(sessionmaker, [(school, WEEK) for school in all_schools])
        elapsed = time.perf_counter() - started
        queries = counter.count
        async with sessionmaker() as session:
            rows = await session.scalar(select(func.count()).select_from(Notification))
        await engine.dispose()
    print(
        f"{total} students ({grades} grades, {schools} schools; generated in {generated:.1f} s): "
        f"{queued} summaries queued in {elapsed:.1f} s, {queries} queries "
        f"({queries / max(1, schools):.0f} a school, none per student), outbox rows {rows}, "
        f"peak RSS {peak_rss_mib():.0f} MiB (before the build {rss_before:.0f} MiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    for count in args.students:
        asyncio.run(run(count))


if __name__ == "__main__":
    main()
