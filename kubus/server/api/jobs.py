"""Scheduled jobs: list them, read their runs, run one now (issue #5, ``docs/jobs.md``).

``GET /jobs`` lists every job with its cron schedule, next and last run; ``GET
/jobs/{name}/runs`` pages through its run records, newest first; ``POST /jobs/{name}/runs``
starts a run now in the background and answers 202 with the run record (``running``), or 409
``job_running`` when the job is running already (the attempt is recorded as ``skipped``);
``GET /jobs/{name}/runs/{run_id}`` reads one run (poll it until it is no longer ``running``).
The views work on the server's :class:`~kubus.server.jobs.runner.JobRunner` (``env.jobs``);
a server without one answers 404 ``jobs_unavailable`` on all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from apscheduler.schedulers.base import STATE_PAUSED

from kubus.config.cron_table import parse_params
from kubus.server.api.errors import ApiError
from kubus.server.api.operations import Body, Call, Created, Operation, Page, Param, url
from kubus.server.api.paging import CURSOR, LIMIT, decode_cursor, encode_cursor
from kubus.server.jobs.catalog import JobParamError
from kubus.server.jobs.runner import JobBusy, JobInfo, JobRunner, UnknownJob
from kubus.server.jobs.store import RunRecord

__all__ = ["OPERATIONS"]

TAG = "Jobs"


@dataclass(frozen=True)
class JobRun:
    """One run of a job: ``running``, then ``ok`` or ``failed``; ``skipped`` when the job was
    running already or the run missed its time (``error`` says why). Times are UTC."""

    run_id: int
    job: str
    trigger: Literal["cron", "manual"]
    status: Literal["running", "ok", "failed", "skipped"]
    #: ``key=value`` parameters of the run.
    params: tuple[str, ...]
    #: The cron time a skipped run was due at (else null).
    scheduled_at: datetime | None
    started_at: datetime
    finished_at: datetime | None
    #: Rows the job wrote (a dry run: would write); null unless ``ok``.
    rows: int | None
    error: str | None
    #: ``host:pid`` of the process that ran it.
    owner: str


@dataclass(frozen=True)
class JobParameter:
    """A parameter a job accepts (``key=value`` in the cron table or a manual run)."""

    name: str
    description: str


@dataclass(frozen=True)
class Job:
    """A job: its cron schedule (null when the cron table does not schedule it), the next
    run time (in the schedule's time zone) and the last run."""

    name: str
    description: str
    schedule: str | None
    timezone: str | None
    #: ``file:line`` of the job's cron line.
    cron_line: str | None
    params: tuple[str, ...]
    parameters: tuple[JobParameter, ...]
    next_run_time: datetime | None
    #: Does this server process run the schedule (else another one does, or nobody)?
    scheduled_here: bool
    last_run: JobRun | None


@dataclass(frozen=True)
class JobList:
    """Every job the server knows. ``scheduler``: whether this process runs the cron
    schedule (``running``), holds it (``paused``) or not (``off``)."""

    scheduler: Literal["running", "paused", "off"]
    timezone: str
    items: tuple[Job, ...]


@dataclass(frozen=True)
class JobRunInput:
    """A manual run: ``key=value`` parameters replacing those of the job's cron line (e.g.
    ``["dry_run=true"]``); omitted: the cron line's."""

    params: tuple[str, ...] | None = None


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None else None


def _run(run: RunRecord) -> JobRun:
    started = _utc(run.started_at)
    assert started is not None
    return JobRun(run.run_id, run.job, run.trigger,  # type: ignore[arg-type]
                  run.status,  # type: ignore[arg-type]
                  tuple(f"{k}={v}" for k, v in run.params), _utc(run.scheduled_at), started,
                  _utc(run.finished_at), run.rows, run.error, run.owner)


def _job(info: JobInfo) -> Job:
    scheduled = info.scheduled
    entry = scheduled.entry if scheduled else None
    return Job(info.spec.name, info.spec.description, entry.schedule if entry else None,
               scheduled.timezone.key if scheduled else None, entry.where if entry else None,
               tuple(f"{k}={v}" for k, v in entry.params) if entry else (),
               tuple(JobParameter(p.name, p.description) for p in info.spec.params),
               info.next_run, info.scheduled_here,
               _run(info.last_run) if info.last_run else None)


def _runner(call: Call) -> JobRunner:
    runner: JobRunner | None = getattr(call.env, "jobs", None)
    if runner is None:
        raise ApiError(404, "jobs_unavailable", "this server runs no job runner (start it "
                       "with `kubus serve` and [scheduler] settings, docs/jobs.md)")
    return runner


def _unknown(error: UnknownJob) -> ApiError:
    return ApiError(404, "unknown_job", str(error), [{"job": error.name}])


def _list(call: Call) -> JobList:
    runner = _runner(call)
    state: Literal["running", "paused", "off"] = "off"
    if runner.running:
        state = "paused" if runner.scheduler.state == STATE_PAUSED else "running"
    return JobList(state, runner.timezone.key, tuple(_job(info) for info in runner.jobs()))


def _runs(call: Call) -> Page[JobRun]:
    runner = _runner(call)
    name: str = call.path["name"]
    limit: int = call.query["limit"]
    cursor: str | None = call.query.get("cursor")
    before = decode_cursor(cursor, [int])[0] if cursor else None
    try:
        runs = runner.runs(name, limit=limit + 1, before=before)
    except UnknownJob as exc:
        raise _unknown(exc) from None
    following = encode_cursor([runs[limit - 1].run_id]) if len(runs) > limit else None
    return Page(tuple(_run(r) for r in runs[:limit]), following)


def _one_run(call: Call) -> JobRun:
    runner = _runner(call)
    name: str = call.path["name"]
    try:
        runner.spec(name)
    except UnknownJob as exc:
        raise _unknown(exc) from None
    run = runner.store.run(call.path["run_id"])
    if run is None or run.job != name:
        raise ApiError(404, "unknown_run", f"job {name} has no run {call.path['run_id']}",
                       [{"job": name, "run_id": call.path["run_id"]}])
    return _run(run)


def _start(call: Call) -> Created[JobRun]:
    runner = _runner(call)
    name: str = call.path["name"]
    body: JobRunInput = call.body
    params = None
    if body is not None and body.params is not None:
        params, problems = parse_params(body.params)
        if problems:
            raise ApiError(400, "invalid_body", "; ".join(problems),
                           [{"pointer": "/params", "message": p} for p in problems])
    try:
        run = runner.run_now(name, params)
    except UnknownJob as exc:
        raise _unknown(exc) from None
    except JobParamError as exc:
        raise ApiError(400, "invalid_body", "; ".join(exc.problems),
                       [{"pointer": "/params", "message": p} for p in exc.problems]) from None
    except JobBusy as exc:
        details = [{"skipped_run_id": exc.skipped.run_id}]
        if exc.holder is not None:
            details.append({"running_run_id": exc.holder.run_id})
        raise ApiError(409, "job_running", str(exc), details) from None
    return Created(_run(run), url("jobs", name, "runs", run.run_id))


_NAME = Param("name", str, "Job name, e.g. backorder.", where="path")

OPERATIONS = (
    Operation("GET", "/jobs", "listJobs", "Jobs with their schedule, next and last run", TAG,
              _list, JobList, errors=(404,),
              description="Every job the server knows, scheduled by the cron table or not. "
                          "A server without a job runner answers 404 `jobs_unavailable`."),
    Operation("GET", "/jobs/{name}/runs", "listJobRuns", "Runs of a job, newest first", TAG,
              _runs, JobRun, params=(_NAME, LIMIT, CURSOR), paged=True,
              description="Every run attempt of the job (`running`, `ok`, `failed`, "
                          "`skipped`), newest first, a page at a time."),
    Operation("GET", "/jobs/{name}/runs/{run_id}", "getJobRun", "One run of a job", TAG,
              _one_run, JobRun,
              params=(_NAME, Param("run_id", int, "Run number.", where="path", minimum=1))),
    Operation("POST", "/jobs/{name}/runs", "runJob", "Run a job now", TAG, _start, JobRun,
              params=(_NAME,), body=Body(JobRunInput), status=202,
              description="Starts the job in the background and answers with its run "
                          "(`running`); poll `GET /jobs/{name}/runs/{run_id}` (the Location "
                          "header) until it ends. 409 `job_running` when the job is running "
                          "already (this attempt is recorded as `skipped`)."),
)
