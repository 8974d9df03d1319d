"""The job runner with a real APScheduler scheduler over a real job store (DuckDB, SQLite,
PostgreSQL): one job never runs twice at once (threads, two schedulers), missed runs coalesce
into one, runs missed by more than the grace time are recorded as skipped, a failing job is
recorded with its error and the scheduler carries on. Cron triggers are never waited for:
the tests move a job's next run time to now (or into the past) and wait on run events."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import Backend
from jobs_support import UTC, WAIT, Ends, Probe, make_runner, reset_store, runs_of

from kubus.server.jobs.catalog import JobParamError
from kubus.server.jobs.runner import JobBusy, JobRunner, UnknownJob

# Yearly: never due by itself during a test.
CRON = "0 0 1 1 * block rows=5\n0 0 1 1 * fail\n0 0 1 1 * count rows=3\n"


@pytest.fixture
def store_url(backend: Backend) -> str:
    reset_store(backend.engine)
    url: str = backend.url
    return url


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
def runner(store_url: str, probe: Probe) -> Iterator[JobRunner]:
    runner = make_runner(store_url, CRON, probe.catalog())
    try:
        yield runner
    finally:
        probe.release.set()
        runner.shutdown(dispose_store=True)


def fire_now(runner: JobRunner, name: str, when: datetime | None = None) -> None:
    """Make the cron job ``name`` due (now, or at ``when``) instead of waiting for cron."""
    runner.scheduler.modify_job(name, next_run_time=when or datetime.now(UTC))
    runner.scheduler.wakeup()


def test_a_cron_run_is_recorded_with_its_rows(runner: JobRunner, probe: Probe,
                                              backend: Backend) -> None:
    ends = Ends(runner)
    runner.start()
    fire_now(runner, "count")
    run = ends.next()
    assert (run.job, run.trigger, run.status, run.rows, run.params) == (
        "count", "cron", "ok", 3, (("rows", "3"),))
    context = probe.contexts[0]
    assert (context.run_id, context.trigger) == (run.run_id, "cron")
    assert context.today == context.now.date()
    assert runs_of(backend.engine, "count") == [("cron", "ok")]


def test_a_failing_job_is_recorded_and_the_scheduler_carries_on(
        runner: JobRunner, backend: Backend) -> None:
    ends = Ends(runner)
    runner.start()
    fire_now(runner, "fail")
    failed = ends.next()
    assert failed.status == "failed" and failed.rows is None
    assert failed.error == "RuntimeError: disk full (on purpose)"
    assert runner.running
    fire_now(runner, "count")
    assert ends.next().status == "ok"
    # The failing job is scheduled again, for its next cron time.
    assert runner.scheduler.get_job("fail").next_run_time == datetime(
        datetime.now(UTC).year + 1, 1, 1, tzinfo=UTC)
    assert runs_of(backend.engine, "fail") == [("cron", "failed")]


def test_two_threads_run_now_one_runs_the_other_is_skipped(runner: JobRunner,
                                                           probe: Probe) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            outcomes.append(runner.run_now("block").status)
        except JobBusy as exc:
            outcomes.append(exc.skipped.status)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert sorted(outcomes) == ["running", "skipped"]
    assert probe.started.wait(WAIT)
    probe.release.set()


def test_a_cron_run_while_a_manual_run_goes_is_skipped(runner: JobRunner, probe: Probe,
                                                       backend: Backend) -> None:
    ends = Ends(runner)
    runner.start()
    manual = runner.run_now("block", [("rows", "9")])
    assert probe.started.wait(WAIT)
    fire_now(runner, "block")
    skipped = ends.next()
    assert (skipped.trigger, skipped.status) == ("cron", "skipped")
    assert f"run {manual.run_id}" in (skipped.error or "")
    probe.release.set()
    done = ends.next()
    assert (done.run_id, done.status, done.rows) == (manual.run_id, "ok", 9)
    assert runs_of(backend.engine, "block") == [("manual", "ok"), ("cron", "skipped")]


def test_in_one_scheduler_a_job_due_again_while_running_is_skipped(
        runner: JobRunner, probe: Probe, backend: Backend) -> None:
    ends = Ends(runner)
    runner.start()
    fire_now(runner, "block")
    assert probe.started.wait(WAIT)
    fire_now(runner, "block")  # max_instances=1: APScheduler itself refuses
    skipped = ends.next()
    assert skipped.status == "skipped" and "already running in this process" in (
        skipped.error or "")
    probe.release.set()
    assert ends.next().status == "ok"
    assert runs_of(backend.engine, "block") == [("cron", "ok"), ("cron", "skipped")]


def test_two_schedulers_on_one_job_store_never_run_a_job_twice(
        store_url: str, backend: Backend) -> None:
    first_probe, second_probe = Probe(), Probe()
    first = make_runner(store_url, CRON, first_probe.catalog(), owner="node-1:1")
    second = make_runner(store_url, CRON, second_probe.catalog(), owner="node-2:2")
    first_ends, second_ends = Ends(first), Ends(second)
    try:
        first.start()
        second.start()
        fire_now(first, "block")
        assert first_probe.started.wait(WAIT)
        fire_now(second, "block")
        skipped = second_ends.next()
        assert (skipped.status, skipped.owner) == ("skipped", "node-2:2")
        assert "node-1:1" in (skipped.error or "")
        assert not second_probe.started.is_set()
        first_probe.release.set()
        assert first_ends.next().status == "ok"
    finally:
        first_probe.release.set()
        first.shutdown(dispose_store=True)
        second.shutdown(dispose_store=True)
    assert runs_of(backend.engine, "block") == [("cron", "ok"), ("cron", "skipped")]


def test_missed_runs_coalesce_into_one(store_url: str, backend: Backend) -> None:
    probe = Probe()
    runner = make_runner(store_url, "* * * * * count rows=1\n", probe.catalog())
    ends = Ends(runner)
    try:
        runner.start(paused=True)
        # Six minutes of due runs pile up while the scheduler is paused (e.g. the server
        # was busy or down) ...
        fire_now(runner, "count", datetime.now(UTC) - timedelta(minutes=6))
        runner.scheduler.resume()
        # ... and run once: the last one is less than a minute late, within the grace time.
        assert ends.next().status == "ok"
    finally:
        runner.shutdown(dispose_store=True)
    assert runs_of(backend.engine, "count") == [("cron", "ok")]
    assert len(probe.contexts) == 1


def test_a_run_missed_by_more_than_the_grace_time_is_recorded_as_skipped(
        store_url: str, backend: Backend) -> None:
    probe = Probe()
    runner = make_runner(store_url, CRON, probe.catalog(), misfire_grace_time=60)
    ends = Ends(runner)
    try:
        runner.start(paused=True)
        due = datetime.now(UTC) - timedelta(hours=1)
        fire_now(runner, "count", due)
        runner.scheduler.resume()
        missed = ends.next()
    finally:
        runner.shutdown(dispose_store=True)
    assert (missed.trigger, missed.status) == ("cron", "skipped")
    assert missed.error and missed.error.startswith("missed: due at")
    assert missed.scheduled_at is not None
    assert abs(missed.scheduled_at - due.replace(tzinfo=None)) < timedelta(seconds=1)
    assert probe.contexts == []
    assert runs_of(backend.engine, "count") == [("cron", "skipped")]


def test_run_here_and_bad_requests(runner: JobRunner, backend: Backend) -> None:
    done = runner.run_here("count", [("rows", "11")])
    assert (done.trigger, done.status, done.rows) == ("manual", "ok", 11)
    # Without parameters a manual run takes the cron line's.
    assert runner.run_here("count").rows == 3
    with pytest.raises(UnknownJob, match="unknown job 'nope' \\(jobs: block, count, fail\\)"):
        runner.run_now("nope")
    with pytest.raises(JobParamError, match="has no parameter 'limit'"):
        runner.run_now("count", [("limit", "3")])
    with pytest.raises(JobParamError, match="rows='many'"):
        runner.run_now("count", [("rows", "many")])
    # Refused requests leave no record.
    assert runs_of(backend.engine, "count") == [("manual", "ok"), ("manual", "ok")]
    listed = {info.spec.name: info for info in runner.jobs()}
    assert listed["count"].last_run is not None and listed["count"].last_run.rows == 3
    assert listed["block"].last_run is None
    assert listed["count"].next_run == datetime(datetime.now(UTC).year + 1, 1, 1, tzinfo=UTC)
