"""The job store on DuckDB, SQLite and PostgreSQL: run records, the lock that keeps a job
from running twice at once (threads, engines and processes racing for it), and the takeover
of a lock whose holder stopped sending heartbeats."""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import Backend
from jobs_support import reset_store, runs_of

from kubus.server.jobs.store import BeginResult, JobStore, job_lock, utcnow


@pytest.fixture
def store_url(backend: Backend) -> str:
    reset_store(backend.engine)
    url: str = backend.url
    return url


@pytest.fixture
def stores(store_url: str) -> Iterator[tuple[JobStore, JobStore]]:
    """Two stores on two engines over one database: two processes, as far as locks go."""
    first = JobStore.open(store_url, owner="host-a:1")
    second = JobStore.open(store_url, owner="host-b:2")
    try:
        yield first, second
    finally:
        first.dispose()
        second.dispose()


def test_a_run_is_recorded_from_start_to_end(stores: tuple[JobStore, JobStore],
                                             backend: Backend) -> None:
    store, _ = stores
    begun = store.begin_run("load", "manual", (("full", "true"),))
    assert begun.acquired and begun.run.status == "running"
    assert runs_of(backend.engine, "load") == [("manual", "running")]
    done = store.finish_run(begun.run, "ok", rows=42)
    assert (done.status, done.rows, done.error, done.params) == ("ok", 42, None,
                                                                 (("full", "true"),))
    assert done.finished_at is not None and done.finished_at >= done.started_at
    with backend.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(job_lock)).scalar() == 0
        row = conn.execute(sa.text("SELECT row_count, owner FROM job_run WHERE run_id = :r"),
                           {"r": done.run_id}).one()
    assert tuple(row) == (42, "host-a:1")
    # Released: the next run takes the lock again.
    again = store.begin_run("load", "cron")
    assert again.acquired
    store.finish_run(again.run, "failed", error="ValueError: bad")
    assert [r.status for r in store.runs("load")] == ["failed", "ok"]
    assert store.last_runs(["load", "other"])["load"].error == "ValueError: bad"


def test_a_second_attempt_while_running_is_skipped(stores: tuple[JobStore, JobStore],
                                                   backend: Backend) -> None:
    first, second = stores
    holder = first.begin_run("load", "cron")
    attempt = second.begin_run("load", "manual")
    assert not attempt.acquired and attempt.run.status == "skipped"
    assert attempt.holder is not None and attempt.holder.run_id == holder.run.run_id
    assert f"run {holder.run.run_id}" in (attempt.run.error or "")
    assert "host-a:1" in (attempt.run.error or "")
    # The skipped attempt did not disturb the holder's lock.
    assert second.heartbeat("load", attempt.run.run_id) is False
    assert first.heartbeat("load", holder.run.run_id) is True
    first.finish_run(holder.run, "ok", rows=1)
    assert runs_of(backend.engine, "load") == [("cron", "ok"), ("manual", "skipped")]


def _race(stores: tuple[JobStore, ...], job: str) -> list[BeginResult]:
    barrier = threading.Barrier(len(stores))
    results: list[Any] = [None] * len(stores)

    def attempt(n: int) -> None:
        barrier.wait()
        results[n] = stores[n].begin_run(job, "manual")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_engines_racing_for_a_lock_one_wins(stores: tuple[JobStore, JobStore],
                                                backend: Backend) -> None:
    for round_no in range(8):
        job = f"race{round_no}"
        results = _race(stores, job)
        assert sorted(r.run.status for r in results) == ["running", "skipped"], results
        winner = next(r for r in results if r.acquired)
        loser = next(r for r in results if not r.acquired)
        error = loser.run.error or ""
        assert "already running" in error or "being started" in error
        assert sorted(runs_of(backend.engine, job)) == [("manual", "running"),
                                                        ("manual", "skipped")]
        stores[0].finish_run(winner.run, "ok", rows=0)


def test_a_stale_lock_is_taken_over_and_the_abandoned_run_failed(
        store_url: str, backend: Backend) -> None:
    dead = JobStore.open(store_url, owner="crashed:9", lock_timeout=60)
    alive = JobStore.open(store_url, owner="alive:1", lock_timeout=60)
    try:
        abandoned = dead.begin_run("load", "cron").run
        # Fresh heartbeat: the lock stands.
        assert not alive.begin_run("load", "cron").acquired
        # The holder's process died: its last heartbeat is older than the timeout.
        with backend.engine.begin() as conn:
            conn.execute(job_lock.update().values(heartbeat_at=utcnow() - timedelta(
                seconds=61)))
        taken = alive.begin_run("load", "manual")
        assert taken.acquired
        old = alive.run(abandoned.run_id)
        assert old is not None and old.status == "failed"
        assert old.error and "abandoned" in old.error and "crashed:9" in old.error
        assert f"run {taken.run.run_id}" in old.error
        # The dead run's late finish does not release the new holder's lock.
        late = dead.finish_run(abandoned, "ok", rows=5)
        assert late.error and "taken over" in late.error
        assert dead.begin_run("load", "cron").run.status == "skipped"
        alive.finish_run(taken.run, "ok", rows=3)
        assert runs_of(backend.engine, "load") == [
            ("cron", "ok"), ("cron", "skipped"), ("manual", "ok"), ("cron", "skipped")]
    finally:
        dead.dispose()
        alive.dispose()


# -- two processes (SQLite and PostgreSQL: a DuckDB file has one writing process) -------------


def _process(url: str, owner: str, barrier: Any, results: Any, release: Any) -> None:
    store = JobStore.open(url, owner=owner)
    barrier.wait(60)
    begun = store.begin_run("nightly", "cron")
    results.put((owner, begun.run.status, begun.run.run_id))
    if begun.acquired:
        release.wait(60)
        store.finish_run(begun.run, "ok", rows=7)
    store.dispose()


def test_two_processes_one_runs_the_other_is_skipped(store_url: str, backend: Backend) -> None:
    if backend.name == "duckdb":
        pytest.skip("a DuckDB file cannot be opened by two writing processes")
    context = multiprocessing.get_context("spawn")
    barrier, results, release = context.Barrier(2), context.Queue(), context.Event()
    processes = [context.Process(target=_process, args=(store_url, f"proc-{n}", barrier,
                                                       results, release)) for n in (1, 2)]
    for process in processes:
        process.start()
    try:
        found = sorted(results.get(timeout=60)[1] for _ in processes)
    finally:
        release.set()
        for process in processes:
            process.join(60)
    assert found == ["running", "skipped"]
    assert [p.exitcode for p in processes] == [0, 0]
    assert sorted(runs_of(backend.engine, "nightly")) == [("cron", "ok"), ("cron", "skipped")]
