"""``kubus atp check`` (a simulation: prints the confirmation and its dates, saves nothing) and
``kubus atp backorder [--dry-run]`` (prints the report; saves only without --dry-run), on the
worked example in SQLite. The group is tested on its own: the lead registers it in cli.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from atp_db_support import ZERO_TIMES, Fixture, build_example, oltp_data, order
from click.testing import CliRunner

from kubus.server.cli_atp import atp

pytest_plugins = ["oltp_support"]


@pytest.fixture
def example(request: pytest.FixtureRequest, tmp_path: Path) -> Fixture:
    from oltp_support import fresh_database

    databases = fresh_database(request, "sqlite", tmp_path)
    db = next(databases)
    request.addfinalizer(lambda: next(databases, None))
    return build_example(db, ZERO_TIMES)


def run(*args: str) -> str:
    result = CliRunner().invoke(atp, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_check_prints_the_schedule_lines_and_saves_nothing(example: Fixture) -> None:
    before = oltp_data.snapshot(example.engine)
    output = run("check", "--material", "M1", "--plant", "1000", "--qty", "60", "--date",
                 "2024-03-07", "--today", "2024-03-04", "--customer", "C1", "--url",
                 example.db.url)
    assert oltp_data.snapshot(example.engine) == before
    assert "60 requested for 2024-03-07 (today 2024-03-04), simulation: nothing saved" in output
    assert "route R1" in output and "checking group 02, rule proposal" in output
    # ATP-2: 40 on the requested date, 20 when the planned receipt comes on 03-18.
    assert "   1  2024-03-07          60          40  2024-03-07" in output
    assert "   2  2024-03-18           0          20  2024-03-18" in output
    assert "confirmed 60 of 60: full, complete on 2024-03-18 (11 days late)" in output


def test_backorder_dry_run_then_apply(example: Fixture) -> None:
    order(example.engine, "C1", 30, date(2024, 3, 7))
    order(example.engine, "C2", 60, date(2024, 3, 7))
    before = oltp_data.snapshot(example.engine)
    dry = run("backorder", "--dry-run", "--today", "2024-03-04", "--url", example.db.url)
    assert oltp_data.snapshot(example.engine) == before
    assert "dry run: nothing saved" in dry
    assert "4 open items checked" in dry and "4 confirmations changed" in dry
    assert "30 @ 2024-03-07  ->  20 @ 2024-03-18; 10 unconfirmed" in dry  # R1 (ATP-10)
    saved = run("backorder", "--today", "2024-03-04", "--url", example.db.url, "--show", "0")
    assert "(saved)" in saved and "4 confirmations changed" in saved
    assert oltp_data.snapshot(example.engine) != before
    again = run("backorder", "--dry-run", "--today", "2024-03-04", "--url", example.db.url)
    assert "0 confirmations changed" in again


def test_errors_are_messages_not_tracebacks(example: Fixture) -> None:
    for args, message in (
            (["check", "--material", "NOPE", "--plant", "1000", "--qty", "1", "--date",
              "2024-03-07", "--today", "2024-03-04"], "unknown_material"),
            (["check", "--material", "M1", "--plant", "1000", "--qty", "0", "--date",
              "2024-03-07", "--today", "2024-03-04"], "invalid_quantity"),
            (["check", "--material", "M1", "--plant", "1000", "--qty", "5", "--date",
              "2024-03-01", "--today", "2024-03-04"], "date_in_past"),
            (["backorder", "--material", "NOPE", "--today", "2024-03-04"], "unknown_material")):
        result = CliRunner().invoke(atp, [*args, "--url", example.db.url])
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output
    bad = CliRunner().invoke(atp, ["check", "--material", "M1", "--plant", "1000", "--qty",
                                   "x", "--date", "2024-03-07", "--url", example.db.url])
    assert bad.exit_code == 2 and "--qty must be a number" in bad.output
