"""Cron lines as APScheduler triggers mean what they mean to cron: the next fire times of
each expression equal those of an independent brute-force crontab(5) matcher (day of week
0 and 7 = Sunday, either day field matching when both are restricted); the zone of
``CRON_TZ`` applies; unknown jobs, invalid fields and bad parameters are rejected at startup
with their line numbers, all at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from kubus.config.cron_table import DEFAULT_CRON_FILE, parse_cron_table, read_cron_table
from kubus.server.jobs.catalog import JOBS
from kubus.server.jobs.schedule import ScheduleError, build_schedule, cron_trigger

UTC = ZoneInfo("UTC")
_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


@cache
def _values(field: str, low: int, high: int) -> frozenset[int]:
    """The numbers a crontab field allows (lists, ranges, steps, day names)."""
    found: set[int] = set()
    for item in field.split(","):
        base, _, step = item.partition("/")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-")
            first, last = int(_DAYS.get(a, a)), int(_DAYS.get(b, b))
        else:
            first = int(_DAYS.get(base, base))
            last = high if step else first
        found.update(range(first, last + 1, int(step or 1)))
    return frozenset(found)


def cron_matches(expression: str, t: datetime) -> bool:
    """crontab(5): does ``t`` (local time) match the five fields?"""
    minute, hour, day, month, weekday = expression.split()
    days = {d % 7 for d in _values(weekday, 0, 7)}
    day_ok = t.day in _values(day, 1, 31)
    weekday_ok = (t.isoweekday() % 7) in days
    if day != "*" and weekday != "*":
        either = day_ok or weekday_ok
    else:
        either = day_ok and weekday_ok
    return (t.minute in _values(minute, 0, 59) and t.hour in _values(hour, 0, 23)
            and t.month in _values(month, 1, 12) and either)


def brute_force(expression: str, start: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    t = start
    while len(found) < count:
        t += timedelta(minutes=1)
        if cron_matches(expression, t):
            found.append(t)
    return found


def trigger_times(expression: str, start: datetime, count: int) -> list[datetime]:
    trigger = cron_trigger(expression, UTC)
    found: list[datetime] = []
    previous = None
    now = start + timedelta(seconds=1)
    while len(found) < count:
        fire = trigger.get_next_fire_time(previous, now)
        found.append(fire)
        previous, now = fire, fire + timedelta(seconds=1)
    return found


@pytest.mark.parametrize("expression", [
    "0 9 * * 0", "0 9 * * 7", "30 6 * * 1-5", "0 12 * * */2", "0 0 * * 5-7",
    "0 8 * * sun,wed", "*/20 1 * * mon-fri", "0 0 1 * 1", "15 10 13 * 5", "0 3 * * 1/3",
    "45 23 29 * *", "5 4 * 2 *",
])
def test_next_fire_times_follow_crontab(expression: str) -> None:
    start = datetime(2024, 1, 1, 0, 0, tzinfo=UTC)  # a Monday
    assert trigger_times(expression, start, 6) == brute_force(expression, start, 6)


def test_sunday_is_0_and_7_as_in_cron() -> None:
    start = datetime(2024, 3, 4, tzinfo=UTC)  # Monday
    for expression in ("0 9 * * 0", "0 9 * * 7", "0 9 * * sun"):
        fire = cron_trigger(expression, UTC).get_next_fire_time(None, start)
        assert fire == datetime(2024, 3, 10, 9, 0, tzinfo=UTC)


def test_cron_tz_sets_the_zone_of_its_lines() -> None:
    table = parse_cron_table("0 9 * * * backorder\nCRON_TZ=Europe/Berlin\n"
                             "0 9 * * * backorder-later\n", "t.cron")
    assert [e.timezone for e in table.entries] == [None, "Europe/Berlin"]
    berlin = ZoneInfo("Europe/Berlin")
    trigger = cron_trigger(table.entries[1].schedule, berlin)
    # 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
    winter = trigger.get_next_fire_time(None, datetime(2024, 1, 10, tzinfo=UTC))
    summer = trigger.get_next_fire_time(None, datetime(2024, 7, 10, tzinfo=UTC))
    assert winter.astimezone(UTC) == datetime(2024, 1, 10, 8, 0, tzinfo=UTC)
    assert summer.astimezone(UTC) == datetime(2024, 7, 10, 7, 0, tzinfo=UTC)


def test_the_shipped_cron_table_builds() -> None:
    jobs = build_schedule(read_cron_table(DEFAULT_CRON_FILE), JOBS, UTC)
    assert [(j.name, j.entry.schedule, j.timezone.key) for j in jobs] == [
        ("backorder", "0 * * * *", "Europe/Berlin"), ("etl-delta", "* * * * *", "Europe/Berlin"),
        ("stock-snapshot", "15 0 * * *", "Europe/Berlin"), ("rfm", "30 3 * * 1", "Europe/Berlin")]
    assert jobs[0].kwargs == {"dry_run": False}
    assert jobs[2].kwargs == {"days": 31}


def test_an_every_line_runs_on_a_fixed_interval() -> None:
    (job,) = build_schedule(parse_cron_table("@every 90s etl-delta\n"), JOBS, UTC)
    start = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
    first = job.trigger.get_next_fire_time(None, start)
    assert job.trigger.get_next_fire_time(first, first) - first == timedelta(seconds=90)


def test_bad_lines_are_rejected_at_startup_with_line_numbers() -> None:
    table = parse_cron_table(
        "# jobs\n"
        "0 * * * * backorder dry_run=false\n"
        "0 2 * * * stock-snapshots\n"
        "61 * * * * rfms\n", "jobs.cron")
    with pytest.raises(ScheduleError) as info:
        build_schedule(table, JOBS, UTC)
    assert info.value.problems == (
        f"jobs.cron:3: unknown job 'stock-snapshots' (jobs: {', '.join(sorted(JOBS))})",
        f"jobs.cron:4: unknown job 'rfms' (jobs: {', '.join(sorted(JOBS))})",
    )
    table = parse_cron_table(
        "61 * * * * backorder\n"
        "0 0 * * 8 backorder-b\n", "jobs.cron")
    with pytest.raises(ScheduleError) as info:
        build_schedule(table, {**JOBS, "backorder-b": JOBS["backorder"]}, UTC)
    first, second = info.value.problems
    assert first.startswith("jobs.cron:1: schedule '61 * * * *': ")
    assert "59" in first  # APScheduler: the value is out of range (0-59)
    assert second.startswith("jobs.cron:2: schedule '0 0 * * 8': day of week: expected 0-7")


def test_bad_parameters_are_rejected_with_line_numbers() -> None:
    table = parse_cron_table("0 * * * * backorder dry_run=maybe sort_by=price limit=3\n",
                             "jobs.cron")
    with pytest.raises(ScheduleError) as info:
        build_schedule(table, JOBS, UTC)
    assert info.value.problems == (
        "jobs.cron:1: parameter dry_run='maybe': expected true or false",
        "jobs.cron:1: parameter sort_by='price': expected one of created, requested",
        "jobs.cron:1: job backorder has no parameter 'limit' (parameters: dry_run, "
        "materials, plants, sort_by, source)",
    )
