"""``kubus jobs`` (list jobs, show runs, run one now) and ``kubus scheduler`` (run the cron
schedule in a process of its own). Registered on the main group by :mod:`kubus.server.cli`.

Both read the settings (``--config``, ``KUBUS_*``), the cron table (``[scheduler] cron_file``)
and the job store (``[scheduler] store_url``, default ``<data_dir>/jobs.sqlite``); see
``docs/jobs.md``.

\b
Examples:
  kubus jobs                                    # every job, its schedule, next and last run
  kubus jobs runs backorder --limit 5
  kubus jobs run backorder dry_run=true
  kubus scheduler --config kubus.toml           # until Ctrl-C / SIGTERM
"""

from __future__ import annotations

import queue
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    import sqlalchemy as sa

    from kubus.config.settings import Settings
    from kubus.server.jobs.runner import JobRunner
    from kubus.server.jobs.store import RunRecord

EXIT_USAGE = 2
_CONFIG = click.option("-c", "--config", "config", metavar="FILE",
                       type=click.Path(dir_okay=False, path_type=Path),
                       help="Settings file (kubus.toml); default: defaults and KUBUS_* "
                            "environment variables.")


def _fail(message: str, code: int = 1) -> NoReturn:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def _settings(config: Path | None) -> Settings:
    from kubus.config.settings import SettingsError, load_settings

    try:
        return load_settings(config)
    except SettingsError as exc:
        _fail("invalid settings:\n  " + "\n  ".join(exc.problems), EXIT_USAGE)


def job_engines(settings: Settings) -> tuple[dict[str, sa.Engine], sa.Engine | None]:
    """The OLTP engines (``[oltp]`` as ``"default"`` when ``[oltp] url`` is set or
    ``<data_dir>/oltp.sqlite`` exists, plus every ``[source NAME]``) and the warehouse engine
    (``[etl] warehouse_url`` when a warehouse is configured, else the default store) for jobs
    run by the CLI."""
    from kubus.config.settings_values import OLTP_DEFAULT_FILE
    from kubus.oltp.store import open_store
    from kubus.server.jobs.runner import warehouse_configured
    from kubus.server.workspace import create_store_engine

    oltp = {}
    if settings.oltp.url or (settings.data_dir / OLTP_DEFAULT_FILE).is_file():
        oltp["default"] = open_store(settings.oltp_url)
    for name, source in settings.sources.items():
        oltp.setdefault(name, open_store(source.url))
    store = settings.default_store
    if warehouse_configured(settings):
        warehouse: sa.Engine | None = create_store_engine(settings.warehouse_url, {})
    elif store is not None and store.type == "sql" and store.url:
        warehouse = create_store_engine(store.url, dict(store.options))
    else:
        warehouse = None
    return oltp, warehouse


def build_runner(settings: Settings, oltp: dict[str, sa.Engine],
                 warehouse: sa.Engine | None, checker: Any = None) -> JobRunner:
    """The runner of ``settings``; bad cron lines, unknown jobs and an unusable job store
    end the program with every problem listed (exit status 2)."""
    import sqlalchemy as sa

    from kubus.config.cron_table import CronTableError
    from kubus.server.jobs.runner import runner_from_settings
    from kubus.server.jobs.schedule import ScheduleError

    try:
        return runner_from_settings(settings, oltp=oltp, warehouse=warehouse, checker=checker)
    except (CronTableError, ScheduleError) as exc:
        _fail("the cron table has problems:\n  " + "\n  ".join(exc.problems), EXIT_USAGE)
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        shown = sa.make_url(settings.jobs_store_url).render_as_string(hide_password=True)
        _fail(f"cannot open the job store {shown}: {type(exc).__name__}: "
              f"{str(exc).splitlines()[0] if str(exc) else ''}", EXIT_USAGE)


@contextmanager
def _runner(config: Path | None) -> Iterator[JobRunner]:
    settings = _settings(config)
    oltp, warehouse = job_engines(settings)
    runner = build_runner(settings, oltp, warehouse)
    try:
        yield runner
    finally:
        runner.shutdown(dispose_store=True)
        for engine in (*oltp.values(), *([warehouse] if warehouse else [])):
            engine.dispose()


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value is not None else "-"


def _run_line(run: RunRecord) -> str:
    params = " ".join(f"{k}={v}" for k, v in run.params)
    rows = "-" if run.rows is None else str(run.rows)
    took = (f"{(run.finished_at - run.started_at).total_seconds():.1f} s"
            if run.finished_at else "-")
    line = (f"{run.run_id:>6}  {run.trigger:6}  {run.status:7}  {_when(run.started_at)}  "
            f"{took:>8}  {rows:>8}  {params}")
    return line + (f"\n        {run.error}" if run.error else "")


@click.group("jobs", invoke_without_command=True)
@_CONFIG
@click.pass_context
def jobs(ctx: click.Context, config: Path | None) -> None:
    """Scheduled jobs: without a command, list every job with its schedule, next and last run.

    \b
    Examples:
      kubus jobs
      kubus jobs runs backorder
      kubus jobs run backorder dry_run=true
    """
    ctx.obj = config
    if ctx.invoked_subcommand is not None:
        return
    with _runner(config) as runner:
        click.echo(f"{'job':16}  {'schedule':14}  {'zone':16}  {'next run':19}  last run")
        for info in runner.jobs():
            scheduled = info.scheduled
            schedule = scheduled.entry.schedule if scheduled else "(not scheduled)"
            zone = scheduled.timezone.key if scheduled else "-"
            last = info.last_run
            shown = (f"{last.status} {_when(last.started_at)} UTC, {last.rows} rows"
                     if last else "never")
            click.echo(f"{info.spec.name:16}  {schedule:14}  {zone:16}  "
                       f"{_when(info.next_run):19}  {shown}")


@jobs.command("runs")
@click.argument("name")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000),
              help="Show the newest N runs.")
@click.pass_obj
def runs(config: Path | None, name: str, limit: int) -> None:
    """Show the runs of job NAME, newest first (times in UTC).

    \b
    Example:
      kubus jobs runs backorder --limit 5
    """
    from kubus.server.jobs.runner import UnknownJob

    with _runner(config) as runner:
        try:
            found = runner.runs(name, limit=limit)
        except UnknownJob as exc:
            _fail(str(exc), EXIT_USAGE)
        click.echo(f"{'run':>6}  {'how':6}  {'status':7}  {'started (UTC)':19}  {'took':>8}  "
                   f"{'rows':>8}  params")
        for run in found:
            click.echo(_run_line(run))


def _wait(run: RunRecord, ended: queue.Queue[RunRecord]) -> RunRecord:
    """Wait for ``run`` to end (``ended`` gets every finished run: the listener was added
    before the run started, so a quick run cannot end unseen), with an elapsed-time bar on a
    terminal."""
    from tqdm import tqdm

    with tqdm(desc=f"job {run.job} (run {run.run_id})", bar_format="{desc}: {elapsed}",
              disable=None, file=sys.stderr, leave=False) as bar:
        while True:
            try:
                record = ended.get(timeout=0.5)
            except queue.Empty:
                bar.refresh()
                continue
            if record.run_id == run.run_id:
                return record


@jobs.command("run")
@click.argument("name")
@click.argument("params", nargs=-1, metavar="[KEY=VALUE]...")
@click.pass_obj
def run(config: Path | None, name: str, params: tuple[str, ...]) -> None:
    """Run job NAME now, in this process, and wait for it. KEY=VALUE parameters replace those
    of the job's cron line. Exit status 1 if the job fails or is running already.

    \b
    Examples:
      kubus jobs run backorder
      kubus jobs run backorder dry_run=true materials=M1,M2
    """
    from kubus.config.cron_table import parse_params
    from kubus.server.jobs.catalog import JobParamError
    from kubus.server.jobs.runner import JobBusy, UnknownJob

    pairs, problems = parse_params(params)
    if problems:
        _fail("; ".join(problems), EXIT_USAGE)
    with _runner(config) as runner:
        ended: queue.Queue[RunRecord] = queue.Queue()
        runner.add_listener(ended.put)
        try:
            started = runner.run_now(name, pairs)
        except UnknownJob as exc:
            _fail(str(exc), EXIT_USAGE)
        except JobParamError as exc:
            _fail("; ".join(exc.problems), EXIT_USAGE)
        except JobBusy as exc:
            _fail(f"{exc} (recorded as skipped run {exc.skipped.run_id})")
        finished = _wait(started, ended)
    click.echo(_run_line(finished))
    if finished.status != "ok":
        sys.exit(1)


@click.command("scheduler")
@_CONFIG
def scheduler(config: Path | None) -> None:
    """Run the cron schedule in this process until Ctrl-C or SIGTERM (running jobs finish
    first). For server-backed warehouses, where `kubus serve` runs with [scheduler]
    enabled = false; both share the job store, so no job ever runs twice at once.

    \b
    Examples:
      kubus scheduler
      KUBUS_SCHEDULER_STORE_URL=postgresql+psycopg://kubus@db/jobs kubus scheduler -c kubus.toml
    """
    settings = _settings(config)
    oltp, warehouse = job_engines(settings)
    runner = build_runner(settings, oltp, warehouse)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        runner.start()
        for info in runner.jobs():
            if info.scheduled is not None:
                click.echo(f"{info.spec.name}: {info.scheduled.entry.schedule} "
                           f"({info.scheduled.timezone.key}), next run {_when(info.next_run)}")
        click.echo(f"Scheduler running (job store {_shown(settings.jobs_store_url)}); "
                   "Ctrl-C stops it.")
        sys.stdout.flush()
        while not stop.wait(1.0):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        runner.shutdown(dispose_store=True)
        for engine in (*oltp.values(), *([warehouse] if warehouse else [])):
            engine.dispose()
        click.echo("Scheduler stopped.")


def _shown(url: str) -> Any:
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)


def serve_jobs(settings: Settings, oltp: sa.Engine, workspace: Any,
               checker: Any = None) -> JobRunner:
    """The job runner of ``kubus serve``: over the server's OLTP engine, the source systems
    and the warehouse, started when ``[scheduler] enabled``. When the warehouse is the default
    store (the demo), the jobs share the workspace's engine: one owner of a DuckDB file."""
    from kubus.oltp.store import open_store
    from kubus.server.jobs.runner import warehouse_configured

    store = settings.default_store
    store_engine = (workspace.store(None).engine
                    if store is not None and store.type == "sql" and store.url else None)
    warehouse = store_engine
    if warehouse_configured(settings) and (store is None or store.url != settings.warehouse_url):
        from kubus.server.workspace import create_store_engine

        warehouse = create_store_engine(settings.warehouse_url, {})
    engines = {"default": oltp}
    for name, source in settings.sources.items():
        engines.setdefault(name, oltp if source.url == settings.oltp_url
                           else open_store(source.url))
    runner = build_runner(settings, engines, warehouse, checker)
    if settings.scheduler.enabled:
        runner.start()
        click.echo(f"Scheduler on: {len(runner.schedule)} scheduled jobs, runs recorded in "
                   f"{_shown(settings.jobs_store_url)}", err=True)
    else:
        click.echo("Scheduler off ([scheduler] enabled = false): /api/v1/jobs lists the jobs "
                   "and runs one on request", err=True)
    return runner
