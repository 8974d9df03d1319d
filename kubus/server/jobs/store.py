"""Run records and job locks in a database of their own (SQLite, DuckDB or PostgreSQL).

``job_run`` has one row per run attempt: job, trigger (``cron`` | ``manual``), parameters,
start, end, rows, status (``running``, then ``ok`` | ``failed``; ``skipped`` when the job was
already running or missed its time) and the error text. ``job_lock`` has one row per job that
is running now; its primary key makes taking the lock one atomic ``INSERT`` on every backend
(a second inserter gets a constraint violation: on PostgreSQL it waits for the first one's
commit, SQLite serialises writers with ``BEGIN IMMEDIATE``, DuckDB fails the later commit).

A running job refreshes ``heartbeat_at`` every quarter of ``lock_timeout``. A lock whose
heartbeat is older than ``lock_timeout`` belongs to a process that died: the next run takes it
over with one conditional ``UPDATE`` (only one taker can match) and marks the abandoned run
failed. Times are UTC from the clock of the process that writes them (hosts sharing a
PostgreSQL job store need synchronised clocks, as cron does anyway). Example::

    store = JobStore.open("sqlite:///var/jobs.sqlite", owner="host:4711")
    started = store.begin_run("backorder", "manual", (("dry_run", "true"),))
    if started.acquired:
        store.finish_run(started.run, "ok", rows=12)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from kubus.oltp.store import open_store, read_only, transaction

__all__ = ["STATUSES", "TRIGGERS", "BeginResult", "JobStore", "RunRecord", "job_lock",
           "job_run", "metadata"]

TRIGGERS = ("cron", "manual")
STATUSES = ("running", "ok", "failed", "skipped")
#: Longest error text kept (the head of a traceback message, not the whole log).
MAX_ERROR = 4000

metadata = sa.MetaData()
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite: rowid alias, autoincrement

job_run = sa.Table(
    "job_run", metadata,
    sa.Column("run_id", _ID, sa.Sequence("job_run_id_seq"), primary_key=True),
    sa.Column("job", sa.String(64), nullable=False),
    sa.Column("run_trigger", sa.String(10), nullable=False),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("scheduled_at", sa.DateTime),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("row_count", sa.BigInteger),
    sa.Column("error", sa.Text),
    # host:pid of the process that ran (or skipped) it.
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Index("ix_job_run_job", "job", "run_id"),
)

job_lock = sa.Table(
    "job_lock", metadata,
    sa.Column("job", sa.String(64), primary_key=True),
    sa.Column("run_id", sa.BigInteger, nullable=False),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("acquired_at", sa.DateTime, nullable=False),
    sa.Column("heartbeat_at", sa.DateTime, nullable=False),
)


def utcnow() -> datetime:
    """Now in UTC, naive (how the tables store times on every backend)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class RunRecord:
    """One run of a job as recorded; times are naive UTC."""

    run_id: int
    job: str
    trigger: str
    params: tuple[tuple[str, str], ...]
    status: str
    scheduled_at: datetime | None
    started_at: datetime
    finished_at: datetime | None
    rows: int | None
    error: str | None
    owner: str


@dataclass(frozen=True)
class BeginResult:
    """What :meth:`JobStore.begin_run` did: ``run`` is the new ``running`` run (lock taken)
    or a ``skipped`` one; ``holder`` is then the run that holds the lock."""

    run: RunRecord
    holder: RunRecord | None = None

    @property
    def acquired(self) -> bool:
        return self.run.status == "running"


def _record(row: Any) -> RunRecord:
    m = row._mapping
    params = tuple((str(k), str(v)) for k, v in json.loads(m["params"] or "[]"))
    return RunRecord(int(m["run_id"]), m["job"], m["run_trigger"], params, m["status"],
                     m["scheduled_at"], m["started_at"], m["finished_at"],
                     None if m["row_count"] is None else int(m["row_count"]), m["error"],
                     m["owner"])


class _Rollback(Exception):
    """Roll the transaction back (raised inside :func:`transaction`)."""


def _lost_race(error: sa.exc.DBAPIError) -> bool:
    """Did an insert of a lock row fail because another one got there first?"""
    if isinstance(error, sa.exc.IntegrityError):
        return True
    # DuckDB checks conflicts at commit: a TransactionException (an OperationalError).
    text = str(error.orig).lower()
    return "conflict" in text or "constraint" in text or "duplicate key" in text


class JobStore:
    """The run records and locks of one job store database, for one process (``owner``)."""

    def __init__(self, engine: sa.Engine, *, owner: str, lock_timeout: float = 600.0) -> None:
        self.engine = engine
        self.owner = owner[:200]
        self.lock_timeout = lock_timeout

    @classmethod
    def open(cls, url: str, *, owner: str, lock_timeout: float = 600.0) -> JobStore:
        """A store over the database at ``url``, its tables created if missing."""
        store = cls(open_store(url), owner=owner, lock_timeout=lock_timeout)
        store.create()
        return store

    def create(self) -> None:
        """Create the tables (and DuckDB/PostgreSQL's sequence) unless they exist."""
        try:
            metadata.create_all(self.engine, checkfirst=True)
        except sa.exc.DBAPIError:
            # Two processes creating the tables at once: the loser finds them made.
            metadata.create_all(self.engine, checkfirst=True)

    def dispose(self) -> None:
        self.engine.dispose()

    # -- starting and finishing runs ---------------------------------------------------------

    def begin_run(self, job: str, trigger: str, params: Sequence[tuple[str, str]] = (), *,
                  scheduled_at: datetime | None = None) -> BeginResult:
        """Take ``job``'s lock and record a ``running`` run, or record a ``skipped`` run if
        another run holds the lock (taking a stale lock over, see the module docstring)."""
        text = json.dumps([list(p) for p in params])
        for _ in range(3):  # the lock may be released between our attempts
            started = self._insert_lock(job, trigger, text, scheduled_at)
            if started is not None:
                return BeginResult(started)
            holder = self.holder(job)
            if holder is None:
                continue
            lock_row, holder_run = holder
            if lock_row["heartbeat_at"] < utcnow() - timedelta(seconds=self.lock_timeout):
                taken = self._take_over(job, trigger, text, scheduled_at, lock_row)
                if taken is not None:
                    return BeginResult(taken)
                continue
            return BeginResult(self._skipped(job, trigger, text, scheduled_at,
                                             _busy_message(job, holder_run, lock_row)),
                               holder_run)
        return BeginResult(self._skipped(job, trigger, text, scheduled_at,
                                         f"job {job} is being started by another process"))

    def record_skipped(self, job: str, trigger: str, reason: str,
                       params: Sequence[tuple[str, str]] = (), *,
                       scheduled_at: datetime | None = None) -> RunRecord:
        """Record a run that did not happen (missed its time, or APScheduler's own guard)."""
        return self._skipped(job, trigger, json.dumps([list(p) for p in params]),
                             scheduled_at, reason)

    def _insert_run(self, conn: sa.Connection, job: str, trigger: str, params: str, *,
                    scheduled_at: datetime | None, status: str, now: datetime,
                    error: str | None = None) -> RunRecord:
        finished = None if status == "running" else now
        run_id = conn.execute(job_run.insert().values(
            job=job, run_trigger=trigger, params=params, status=status,
            scheduled_at=scheduled_at, started_at=now, finished_at=finished, error=error,
            owner=self.owner).returning(job_run.c.run_id)).scalar_one()
        return RunRecord(int(run_id), job, trigger,
                         tuple((str(k), str(v)) for k, v in json.loads(params)), status,
                         scheduled_at, now, finished, None, error, self.owner)

    def _insert_lock(self, job: str, trigger: str, params: str,
                     scheduled_at: datetime | None) -> RunRecord | None:
        now = utcnow()
        try:
            with transaction(self.engine) as conn:
                run = self._insert_run(conn, job, trigger, params, scheduled_at=scheduled_at,
                                       status="running", now=now)
                conn.execute(job_lock.insert().values(job=job, run_id=run.run_id,
                                                      owner=self.owner, acquired_at=now,
                                                      heartbeat_at=now))
        except sa.exc.DBAPIError as exc:
            if _lost_race(exc):
                return None
            raise
        return run

    def _take_over(self, job: str, trigger: str, params: str, scheduled_at: datetime | None,
                   stale: Any) -> RunRecord | None:
        now = utcnow()
        try:
            with transaction(self.engine) as conn:
                run = self._insert_run(conn, job, trigger, params, scheduled_at=scheduled_at,
                                       status="running", now=now)
                taken = conn.execute(
                    job_lock.update()
                    .where(job_lock.c.job == job, job_lock.c.run_id == stale["run_id"],
                           job_lock.c.heartbeat_at < now - timedelta(seconds=self.lock_timeout))
                    .values(run_id=run.run_id, owner=self.owner, acquired_at=now,
                            heartbeat_at=now)).rowcount
                if taken != 1:
                    raise _Rollback  # someone else took it over, or the holder woke up
                conn.execute(
                    job_run.update()
                    .where(job_run.c.run_id == stale["run_id"], job_run.c.status == "running")
                    .values(status="failed", finished_at=now, error=(
                        f"abandoned: no heartbeat from {stale['owner']} since "
                        f"{stale['heartbeat_at']:%Y-%m-%d %H:%M:%S} UTC (the process ended?); "
                        f"lock taken over by run {run.run_id}")))
        except _Rollback:
            return None
        except sa.exc.DBAPIError as exc:
            if _lost_race(exc):
                return None
            raise
        return run

    def _skipped(self, job: str, trigger: str, params: str, scheduled_at: datetime | None,
                 reason: str) -> RunRecord:
        with transaction(self.engine) as conn:
            return self._insert_run(conn, job, trigger, params, scheduled_at=scheduled_at,
                                    status="skipped", now=utcnow(), error=reason[:MAX_ERROR])

    def heartbeat(self, job: str, run_id: int) -> bool:
        """Refresh the lock of a running run; ``False`` if it no longer holds it."""
        with transaction(self.engine) as conn:
            return bool(conn.execute(
                job_lock.update().where(job_lock.c.job == job, job_lock.c.run_id == run_id)
                .values(heartbeat_at=utcnow())).rowcount)

    def finish_run(self, run: RunRecord, status: str, *, rows: int | None = None,
                   error: str | None = None) -> RunRecord:
        """Record how ``run`` ended and release its lock (if it still holds it)."""
        now = utcnow()
        with transaction(self.engine) as conn:
            released = conn.execute(job_lock.delete().where(
                job_lock.c.job == run.job, job_lock.c.run_id == run.run_id)).rowcount
            if not released:
                note = "the lock was taken over while this run was still going"
                error = f"{error}; {note}" if error else note
            conn.execute(job_run.update().where(job_run.c.run_id == run.run_id).values(
                status=status, finished_at=now, row_count=rows,
                error=error[:MAX_ERROR] if error else None))
        found = self.run(run.run_id)
        assert found is not None
        return found

    # -- reading -----------------------------------------------------------------------------

    def holder(self, job: str) -> tuple[Any, RunRecord | None] | None:
        """``(lock row, run holding it)`` of a running job, or ``None``."""
        with read_only(self.engine) as conn:
            lock = conn.execute(sa.select(job_lock).where(job_lock.c.job == job)).first()
            if lock is None:
                return None
            row = conn.execute(sa.select(job_run).where(
                job_run.c.run_id == lock._mapping["run_id"])).first()
        return lock._mapping, (_record(row) if row is not None else None)

    def run(self, run_id: int) -> RunRecord | None:
        with read_only(self.engine) as conn:
            row = conn.execute(sa.select(job_run).where(job_run.c.run_id == run_id)).first()
        return _record(row) if row is not None else None

    def runs(self, job: str, *, limit: int = 50, before: int | None = None) -> list[RunRecord]:
        """The runs of ``job``, newest first; ``before``: only runs with a smaller id."""
        query = sa.select(job_run).where(job_run.c.job == job)
        if before is not None:
            query = query.where(job_run.c.run_id < before)
        with read_only(self.engine) as conn:
            rows = conn.execute(query.order_by(job_run.c.run_id.desc()).limit(limit)).all()
        return [_record(r) for r in rows]

    def last_runs(self, jobs: Iterable[str]) -> dict[str, RunRecord]:
        """The newest run of each of ``jobs`` that has one (one statement)."""
        names = list(jobs)
        if not names:
            return {}
        newest = (sa.select(sa.func.max(job_run.c.run_id))
                  .where(job_run.c.job.in_(names)).group_by(job_run.c.job))
        with read_only(self.engine) as conn:
            rows = conn.execute(sa.select(job_run).where(job_run.c.run_id.in_(newest))).all()
        return {r._mapping["job"]: _record(r) for r in rows}


def _busy_message(job: str, holder: RunRecord | None, lock: Any) -> str:
    if holder is None:
        return f"job {job} is already running (lock held by {lock['owner']})"
    return (f"job {job} is already running: run {holder.run_id} ({holder.trigger}) since "
            f"{holder.started_at:%Y-%m-%d %H:%M:%S} UTC on {holder.owner}")
