"""The shipped ``backorder`` job over the ATP-10 database (domain.md §2.4), on SQLite and
PostgreSQL, through the runner built from the settings and the shipped cron table: the rows it
reports are the schedule lines it changed, counted independently by comparing the table
before and after the run with plain SQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scheduling"))

from atp_db_support import TODAY, ZERO_TIMES, Oltp, build_example, oltp_data, order

from kubus.config.settings import load_settings
from kubus.server.jobs.runner import JobRunner, runner_from_settings

pytest_plugins = ["oltp_support"]

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def atp10(oltp: Oltp) -> Oltp:
    build_example(oltp, ZERO_TIMES)
    order(oltp.engine, "C1", 30, TODAY.replace(day=7))  # R1, priority 02
    order(oltp.engine, "C2", 60, TODAY.replace(day=7))  # R2, priority 01
    return oltp


@pytest.fixture
def runner(atp10: Oltp, tmp_path: Path) -> Iterator[JobRunner]:
    settings = load_settings(None, environ={"KUBUS_DATA_DIR": str(tmp_path),
                                            "KUBUS_SCHEDULER_TIMEZONE": "Europe/Berlin"})
    runner = runner_from_settings(settings, oltp={"default": atp10.engine},
                                  clock=lambda: datetime(2024, 3, 4, 9, 0, tzinfo=BERLIN))
    try:
        yield runner
    finally:
        runner.shutdown(dispose_store=True)


def schedule_lines(engine: sa.Engine) -> dict[tuple[int, int, int], tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT order_id, item_no, line_no, delivery_date, requested_qty, confirmed_qty, "
            "material_availability_date, transportation_planning_date, loading_date, "
            "goods_issue_date FROM sales_order_schedule_line")).all()
    return {(r[0], r[1], r[2]): tuple(str(v) for v in r[3:]) for r in rows}


def changed_lines(before: dict[tuple[int, int, int], tuple[object, ...]],
                  after: dict[tuple[int, int, int], tuple[object, ...]]) -> int:
    return sum(1 for key, line in after.items() if before.get(key) != line)


def test_the_shipped_schedule_runs_backorder_hourly_and_saves(runner: JobRunner,
                                                              atp10: Oltp) -> None:
    scheduled = runner.schedule["backorder"]
    assert scheduled.entry.schedule == "0 * * * *"
    assert scheduled.kwargs == {"dry_run": False}
    assert scheduled.trigger.get_next_fire_time(
        None, datetime(2024, 3, 4, 9, 20, tzinfo=BERLIN)) == datetime(2024, 3, 4, 10, 0,
                                                                       tzinfo=BERLIN)
    before = schedule_lines(atp10.engine)
    run = runner.run_here("backorder")  # the cron line's parameters: dry_run=false
    after = schedule_lines(atp10.engine)
    assert (run.status, run.error) == ("ok", None)
    assert run.rows == changed_lines(before, after) > 0
    # A second run finds nothing left to change.
    again = runner.run_here("backorder")
    assert (again.status, again.rows) == ("ok", 0)
    assert schedule_lines(atp10.engine) == after


def test_a_dry_run_counts_the_same_lines_and_saves_nothing(runner: JobRunner,
                                                           atp10: Oltp) -> None:
    snapshot = oltp_data.snapshot(atp10.engine)
    before = schedule_lines(atp10.engine)
    dry = runner.run_here("backorder", [("dry_run", "true")])
    assert oltp_data.snapshot(atp10.engine) == snapshot
    applied = runner.run_here("backorder")
    assert dry.rows == applied.rows == changed_lines(before, schedule_lines(atp10.engine))
    assert [r.params for r in runner.runs("backorder")] == [
        (("dry_run", "false"),), (("dry_run", "true"),)]


def test_a_failing_backorder_run_is_recorded(runner: JobRunner) -> None:
    failed = runner.run_here("backorder", [("source", "legacy")])
    assert failed.status == "failed"
    assert failed.error and "no OLTP database for source system 'legacy'" in failed.error
