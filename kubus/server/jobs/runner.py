"""APScheduler wired to the catalog, the cron table and the job store.

:class:`JobRunner` runs each scheduled job on its cron trigger in a ``BackgroundScheduler``
(``coalesce=True``: runs missed while the process was down or busy become one run, if it is
at most ``misfire_grace_time`` late; ``max_instances=1``: never two at once in one process),
and any job on request (:meth:`JobRunner.run_now` in the background, :meth:`JobRunner.run_here`
in the calling thread). Every attempt first takes the job's lock in the job store, so the same
job never runs twice at once across processes either; an attempt that finds the job running,
or a run that missed its time, is recorded as ``skipped``. A failing job is recorded with its
error and never stops the scheduler. Example::

    runner = runner_from_settings(settings, oltp={"default": engine})
    runner.start()                        # cron triggers from now on
    run = runner.run_now("backorder")     # 'running'; JobBusy if it already is
    runner.shutdown()
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor as PoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from kubus.config.cron_table import DEFAULT_CRON_FILE, read_cron_table
from kubus.server.jobs.catalog import JOBS, JobContext, JobSpec
from kubus.server.jobs.schedule import ScheduledJob, build_schedule
from kubus.server.jobs.store import MAX_ERROR, JobStore, RunRecord

__all__ = ["JobBusy", "JobInfo", "JobResources", "JobRunner", "UnknownJob",
           "runner_from_settings"]

log = logging.getLogger(__name__)

Params = Sequence[tuple[str, str]]


class UnknownJob(LookupError):
    """No job of this name in the catalog."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        super().__init__(f"unknown job {name!r} (jobs: {', '.join(known) or 'none'})")


class JobBusy(RuntimeError):
    """The job is running already; ``skipped`` is the recorded attempt, ``holder`` the run
    that is going on."""

    def __init__(self, skipped: RunRecord, holder: RunRecord | None) -> None:
        self.skipped = skipped
        self.holder = holder
        super().__init__(skipped.error or f"job {skipped.job} is already running")


@dataclass(frozen=True)
class JobResources:
    """The engines jobs may use: OLTP source systems by name, and the warehouse."""

    oltp: Mapping[str, sa.Engine]
    warehouse: sa.Engine | None = None
    #: The settings the runner was built from (the ETL job reads its sources there).
    settings: Any = None
    #: The availability checker for orders the jobs create (channel polling).
    checker: Any = None


@dataclass(frozen=True)
class JobInfo:
    """A job as listed: its schedule (``None``: not in the cron table), next and last run."""

    spec: JobSpec
    scheduled: ScheduledJob | None
    next_run: datetime | None
    last_run: RunRecord | None
    #: Does this process run the schedule (else another process, or nobody, does)?
    scheduled_here: bool


def process_owner() -> str:
    """``host:pid``: who ran a run, as recorded."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _error_text(error: BaseException) -> str:
    message = str(error).strip()
    return f"{type(error).__name__}: {message}"[:MAX_ERROR] if message else type(error).__name__


class JobRunner:
    """Runs the jobs of ``schedule`` (and any job of ``catalog`` on request); see the module
    docstring. ``clock`` gives the start of a run (default: now in ``timezone``)."""

    def __init__(self, store: JobStore, schedule: Sequence[ScheduledJob], *,
                 resources: JobResources, timezone: ZoneInfo,
                 catalog: Mapping[str, JobSpec] = JOBS, misfire_grace_time: float = 300.0,
                 workers: int = 4, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.schedule = {job.name: job for job in schedule}
        self.catalog = catalog
        self.resources = resources
        self.timezone = timezone
        self.misfire_grace_time = misfire_grace_time
        self._clock = clock or (lambda: datetime.now(timezone))
        self._listeners: list[Callable[[RunRecord], None]] = []
        self._manual = ThreadPoolExecutor(workers, thread_name_prefix="kubus-job")
        self.scheduler = BackgroundScheduler(
            timezone=timezone, executors={"default": PoolExecutor(workers)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": max(1, round(misfire_grace_time))})
        self.scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, *, paused: bool = False) -> None:
        """Start the cron triggers (``paused``: due runs wait for ``scheduler.resume()``)."""
        for job in self.schedule.values():
            self.scheduler.add_job(self._run_scheduled, job.trigger, args=(job.name,),
                                   id=job.name, name=job.name, replace_existing=True)
        self.scheduler.start(paused=paused)

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def shutdown(self, *, wait: bool = True, dispose_store: bool = False) -> None:
        """Stop the triggers; with ``wait``, let running jobs finish first."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        self._manual.shutdown(wait=wait)
        if dispose_store:
            self.store.dispose()

    def add_listener(self, callback: Callable[[RunRecord], None]) -> None:
        """Call ``callback(run)`` whenever a run ends (ok, failed) or is skipped."""
        self._listeners.append(callback)

    # -- running -----------------------------------------------------------------------------

    def spec(self, name: str) -> JobSpec:
        spec = self.catalog.get(name)
        if spec is None:
            raise UnknownJob(name, sorted(self.catalog))
        return spec

    def _manual_params(self, name: str, params: Params | None) -> tuple[tuple[str, str], ...]:
        """The cron line's parameters, overridden by ``params``."""
        scheduled = self.schedule.get(name)
        merged = dict(scheduled.entry.params) if scheduled else {}
        merged.update(dict(params or ()))
        return tuple(merged.items())

    def _begin_manual(self, name: str, params: Params | None
                      ) -> tuple[JobSpec, RunRecord, dict[str, Any]]:
        spec = self.spec(name)
        pairs = self._manual_params(name, params)
        kwargs = spec.bind(pairs)  # JobParamError before anything is recorded
        begun = self.store.begin_run(name, "manual", pairs)
        if not begun.acquired:
            self._notify(begun.run)
            raise JobBusy(begun.run, begun.holder)
        return spec, begun.run, kwargs

    def run_now(self, name: str, params: Params | None = None) -> RunRecord:
        """Start ``name`` in the background and return its ``running`` record; raises
        :class:`UnknownJob`, :class:`~.catalog.JobParamError` or :class:`JobBusy`."""
        spec, run, kwargs = self._begin_manual(name, params)
        self._manual.submit(self._execute, spec, run, kwargs)
        return run

    def run_here(self, name: str, params: Params | None = None) -> RunRecord:
        """Run ``name`` in this thread and return how it ended (errors as for
        :meth:`run_now`; the job's own failure is a ``failed`` record, not an exception)."""
        spec, run, kwargs = self._begin_manual(name, params)
        return self._execute(spec, run, kwargs)

    def _run_scheduled(self, name: str) -> None:
        """A cron trigger fired (in an APScheduler worker thread)."""
        job = self.schedule[name]
        try:
            begun = self.store.begin_run(name, "cron", job.entry.params)
        except Exception:  # the job store is down: log it, keep the scheduler alive
            log.exception("job %s: cannot record the start of a run", name)
            return
        if not begun.acquired:
            log.info("job %s skipped: %s", name, begun.run.error)
            self._notify(begun.run)
            return
        self._execute(job.spec, begun.run, job.kwargs)

    def _execute(self, spec: JobSpec, run: RunRecord, kwargs: Mapping[str, Any]) -> RunRecord:
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(run, stop), daemon=True,
                                name=f"kubus-job-heartbeat-{run.run_id}")
        beat.start()
        status, rows = "failed", None
        error: str | None = "interrupted"
        try:
            now = self._clock()
            context = JobContext(self.resources.oltp, self.resources.warehouse, now.date(), now,
                                 run.run_id, run.trigger, self.resources.settings,
                                 self.resources.checker)
            result = spec.function(context, **kwargs)
            if isinstance(result, bool) or not isinstance(result, int):
                raise TypeError(f"job {spec.name} returned {result!r}, expected a row count")
            status, rows, error = "ok", result, None
        except Exception as exc:  # recorded; a failing job never stops the scheduler
            log.exception("job %s (run %s) failed", spec.name, run.run_id)
            error = _error_text(exc)
        finally:
            stop.set()
            beat.join()
            record = self._finish(run, status, rows, error)
        return record

    def _finish(self, run: RunRecord, status: str, rows: int | None,
                error: str | None) -> RunRecord:
        try:
            record = self.store.finish_run(run, status, rows=rows, error=error)
        except Exception:
            log.exception("job %s: cannot record the end of run %s", run.job, run.run_id)
            record = replace(run, status=status, rows=rows, error=error)
        log.info("job %s run %s: %s, %s rows%s", run.job, run.run_id, record.status,
                 record.rows, f" ({record.error})" if record.error else "")
        self._notify(record)
        return record

    def _heartbeat(self, run: RunRecord, stop: threading.Event) -> None:
        interval = max(self.store.lock_timeout / 4, 0.05)
        while not stop.wait(interval):
            try:
                if not self.store.heartbeat(run.job, run.run_id):
                    log.warning("job %s run %s lost its lock", run.job, run.run_id)
                    return
            except Exception:
                log.exception("job %s: heartbeat failed", run.job)

    def _notify(self, record: RunRecord) -> None:
        for callback in self._listeners:
            try:
                callback(record)
            except Exception:
                log.exception("job listener failed")

    def _on_event(self, event: JobEvent) -> None:
        """APScheduler's own skips: a missed run time, or still running in this process."""
        job = self.schedule.get(event.job_id)
        if job is None:
            return
        if event.code == EVENT_JOB_MISSED:
            due = getattr(event, "scheduled_run_time", None)
            late = (datetime.now(self.timezone) - due).total_seconds() if due else 0
            reason = (f"missed: due at {due:%Y-%m-%d %H:%M:%S %Z}, {late:.0f} s late, more "
                      f"than misfire_grace_time ({self.misfire_grace_time:g} s)" if due
                      else "missed its run time")
        else:
            times = getattr(event, "scheduled_run_times", None) or [None]
            due = times[-1]
            reason = f"job {job.name} is already running in this process"
        naive = due.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) if due else None
        try:
            record = self.store.record_skipped(job.name, "cron", reason, job.entry.params,
                                               scheduled_at=naive)
        except Exception:
            log.exception("job %s: cannot record a skipped run", job.name)
            return
        log.warning("job %s skipped: %s", job.name, reason)
        self._notify(record)

    # -- reading -----------------------------------------------------------------------------

    def jobs(self) -> tuple[JobInfo, ...]:
        """Every job of the catalog with its schedule, next run and last run."""
        last = self.store.last_runs(self.catalog)
        now = datetime.now(self.timezone)
        infos = []
        for name, spec in sorted(self.catalog.items()):
            scheduled = self.schedule.get(name)
            here = self.running and scheduled is not None
            next_run = None
            if here:
                live = self.scheduler.get_job(name)
                next_run = live.next_run_time if live is not None else None
            elif scheduled is not None:
                next_run = scheduled.trigger.get_next_fire_time(None, now)
            infos.append(JobInfo(spec, scheduled, next_run, last.get(name), here))
        return tuple(infos)

    def runs(self, name: str, *, limit: int = 50, before: int | None = None
             ) -> list[RunRecord]:
        """Runs of ``name``, newest first (``before``: older than that run id)."""
        self.spec(name)
        return self.store.runs(name, limit=limit, before=before)


def warehouse_configured(settings: Any) -> bool:
    """Does ``settings`` name a warehouse to load (``[etl] warehouse_url`` or source
    systems)? Only then are the warehouse jobs of the cron table scheduled."""
    return bool(settings.etl.warehouse_url or settings.sources)


def runner_from_settings(settings: Any, *, oltp: Mapping[str, sa.Engine] | None = None,
                         warehouse: sa.Engine | None = None,
                         clock: Callable[[], datetime] | None = None,
                         checker: Any = None) -> JobRunner:
    """A runner for ``settings`` (``[scheduler]``): the cron table checked against
    :data:`~.catalog.JOBS` (``CronTableError``/``ScheduleError`` list every bad line) and
    the job store opened (tables created if missing). Not started."""
    from tzlocal import get_localzone

    config = settings.scheduler
    zone_name = config.timezone or settings.workspace.timezone
    local = get_localzone()
    zone = ZoneInfo(zone_name) if zone_name else (
        local if isinstance(local, ZoneInfo) else ZoneInfo("UTC"))
    table = read_cron_table(config.cron_file or DEFAULT_CRON_FILE)
    schedule = build_schedule(table, JOBS, zone)
    if not warehouse_configured(settings):
        dropped = [job.name for job in schedule if job.spec.needs_warehouse]
        if dropped:
            log.info("not scheduled (no warehouse: set [etl] warehouse_url or source systems): "
                     "%s", ", ".join(dropped))
        schedule = tuple(job for job in schedule if not job.spec.needs_warehouse)
    if not config.store_url and not settings.oltp.url:  # the default <data_dir>/jobs.sqlite
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = JobStore.open(settings.jobs_store_url, owner=process_owner(),
                          lock_timeout=config.lock_timeout)
    resources = JobResources(oltp or {}, warehouse, settings, checker)
    return JobRunner(store, schedule, resources=resources,
                     timezone=zone, misfire_grace_time=config.misfire_grace_time,
                     workers=config.workers, clock=clock)
