"""Helpers of the job runner suite: probe jobs, runners over a real job store, run waiters.

The probe jobs stand in for real ones where a test needs control over timing: ``block`` holds
its run until the test releases it (so a second attempt finds the job running), ``fail``
raises, ``count`` returns the row count it is given. Nothing here sleeps: tests wait on
events (a run started, a run ended) with a timeout.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from kubus.config.cron_table import parse_cron_table
from kubus.server.jobs.catalog import JobContext, JobParam, JobSpec
from kubus.server.jobs.runner import JobResources, JobRunner
from kubus.server.jobs.schedule import build_schedule
from kubus.server.jobs.store import JobStore, RunRecord, job_lock, job_run, metadata

UTC = ZoneInfo("UTC")
WAIT = 30.0


class Probe:
    """Jobs whose timing the test controls (module docstring)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.contexts: list[JobContext] = []

    def block(self, context: JobContext, *, rows: int = 1) -> int:
        self.contexts.append(context)
        self.started.set()
        if not self.release.wait(WAIT):
            raise TimeoutError("the test never released the job")
        return rows

    def fail(self, context: JobContext) -> int:
        raise RuntimeError("disk full (on purpose)")

    def count(self, context: JobContext, *, rows: int = 0) -> int:
        self.contexts.append(context)
        return rows

    def catalog(self) -> dict[str, JobSpec]:
        rows = (JobParam("rows", int, "rows to report"),)
        return {"block": JobSpec("block", self.block, "waits for the test", rows),
                "fail": JobSpec("fail", self.fail, "always fails"),
                "count": JobSpec("count", self.count, "reports rows", rows)}


class Ends:
    """Collects every run record the runner reports (ended or skipped)."""

    def __init__(self, runner: JobRunner) -> None:
        self.records: queue.Queue[RunRecord] = queue.Queue()
        runner.add_listener(self.records.put)

    def next(self, timeout: float = WAIT) -> RunRecord:
        return self.records.get(timeout=timeout)

    def empty(self) -> bool:
        return self.records.empty()


def reset_store(engine: sa.Engine) -> None:
    """Create the job tables if missing and empty them."""
    metadata.create_all(engine, checkfirst=True)
    with engine.begin() as conn:
        conn.execute(job_lock.delete())
        conn.execute(job_run.delete())


def make_runner(url: str, cron: str, catalog: Mapping[str, JobSpec], *, owner: str = "test",
                lock_timeout: float = 600.0, misfire_grace_time: float = 300.0,
                oltp: Mapping[str, sa.Engine] | None = None) -> JobRunner:
    """A runner over the job store at ``url`` for the cron table text ``cron`` (UTC)."""
    store = JobStore.open(url, owner=owner, lock_timeout=lock_timeout)
    schedule = build_schedule(parse_cron_table(cron, "test.cron"), catalog, UTC)
    return JobRunner(store, schedule, resources=JobResources(oltp or {}), timezone=UTC,
                     catalog=catalog, misfire_grace_time=misfire_grace_time)


def runs_of(engine: sa.Engine, job: str) -> list[tuple[str, str]]:
    """``(trigger, status)`` of every recorded run of ``job``, oldest first (plain SQL)."""
    with engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(sa.text(
            "SELECT run_trigger, status FROM job_run WHERE job = :job ORDER BY run_id"),
            {"job": job})]
