"""``kubus jobs`` and ``kubus scheduler`` through click's runner, over a data directory of
their own (job store ``jobs.sqlite``, OLTP ``oltp.sqlite`` where a test migrates one)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from kubus.oltp.migrate import upgrade
from kubus.server.cli import main
from kubus.server.jobs.catalog import JOBS

KNOWN = ", ".join(sorted(JOBS))


def kubus(tmp_path: Path, *args: str, **env: str) -> Result:
    environ = {"KUBUS_DATA_DIR": str(tmp_path), "KUBUS_SCHEDULER_TIMEZONE": "UTC", **env}
    return CliRunner().invoke(main, list(args), env=environ)


def test_help_has_examples() -> None:
    for args in (["jobs", "--help"], ["jobs", "runs", "--help"], ["jobs", "run", "--help"],
                 ["scheduler", "--help"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "Example" in result.output


def test_jobs_lists_the_shipped_schedule(tmp_path: Path) -> None:
    result = kubus(tmp_path, "jobs")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["job", "schedule", "zone", "next", "run", "last", "run"]
    assert lines[1].split()[:7] == ["backorder", "0", "*", "*", "*", "*", "Europe/Berlin"]
    assert lines[1].rstrip().endswith("never")
    assert (tmp_path / "jobs.sqlite").is_file()


def test_run_and_runs_over_an_oltp_database(tmp_path: Path) -> None:
    upgrade(f"sqlite:///{tmp_path / 'oltp.sqlite'}")
    result = kubus(tmp_path, "jobs", "run", "backorder", "dry_run=true")
    assert result.exit_code == 0, result.output
    assert result.output.split()[:3] == ["1", "manual", "ok"]
    assert result.output.rstrip().endswith("0  dry_run=true")  # an empty database: 0 rows
    listed = kubus(tmp_path, "jobs", "runs", "backorder")
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[1].split()[:3] == ["1", "manual", "ok"]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT job, status, row_count, params FROM job_run")
                            ).all() == [("backorder", "ok", 0, '[["dry_run", "true"]]')]
    engine.dispose()


def test_a_failing_job_exits_1_with_its_error(tmp_path: Path) -> None:
    result = kubus(tmp_path, "jobs", "run", "backorder")  # no OLTP database
    assert result.exit_code == 1
    assert "failed" in result.output
    assert "JobSetupError: no OLTP database for source system 'default'" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (("jobs", "run", "nope"), f"unknown job 'nope' (jobs: {KNOWN})"),
    (("jobs", "runs", "nope"), f"unknown job 'nope' (jobs: {KNOWN})"),
    (("jobs", "run", "backorder", "dry_run"), "expected key=value, got 'dry_run'"),
    (("jobs", "run", "backorder", "dry_run=perhaps"),
     "parameter dry_run='perhaps': expected true or false"),
])
def test_bad_arguments_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = kubus(tmp_path, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_cron_lines_are_rejected_at_startup(tmp_path: Path) -> None:
    cron = tmp_path / "jobs.cron"
    cron.write_text("0 * * * * backorder\n0 2 * * * stock-snapshots\n99 * * * * backorder\n",
                    encoding="utf-8")
    for command in (("jobs",), ("scheduler",)):
        result = kubus(tmp_path, *command, KUBUS_SCHEDULER_CRON_FILE=str(cron))
        assert result.exit_code == 2, result.output
        assert "the cron table has problems" in result.output
        assert f"{cron}:3: job 'backorder' is already scheduled on line 1" in result.output
    cron.write_text("0 * * * * backorder\n0 2 * * * stock-snapshots\n", encoding="utf-8")
    result = kubus(tmp_path, "jobs", KUBUS_SCHEDULER_CRON_FILE=str(cron))
    assert result.exit_code == 2
    assert f"{cron}:2: unknown job 'stock-snapshots' (jobs: {KNOWN})" in result.output
