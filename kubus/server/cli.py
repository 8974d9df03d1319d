"""The ``kubus`` command: serve the Slicer API, validate models, show the version.

Entry point ``kubus = kubus.server.cli:main``; also ``python -m kubus.server.cli``.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

import click

from kubus import __version__
from kubus.server.cli_atp import atp
from kubus.server.cli_channels import channels
from kubus.server.cli_etl import etl
from kubus.server.cli_generate import generate
from kubus.server.cli_jobs import jobs, scheduler, serve_jobs
from kubus.server.cli_oltp import oltp

if TYPE_CHECKING:
    import sqlalchemy as sa

    from kubus.config.settings import Settings

EXIT_USAGE = 2


def _fail(message: str, code: int = 1) -> NoReturn:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="kubus")
def main() -> None:
    """Kubus: an OLAP server speaking the Cubes 1.1 "Slicer" HTTP API.

    \b
    Examples:
      kubus serve --demo                          # the shipped demo data set
      kubus serve slicer.ini                      # an existing Cubes configuration
      kubus serve --model model.json --store sqlite:///data.sqlite
      kubus model validate model.json
    """


# -- serve -----------------------------------------------------------------------------------

def _load_settings(config: Path | None, demo: bool, demo_lines: int | None = None) -> Settings:
    from kubus.config.settings import SettingsError, load_settings

    try:
        settings = load_settings(config)
    except SettingsError as exc:
        _fail("invalid settings:\n  " + "\n  ".join(exc.problems), EXIT_USAGE)
    if not demo:
        return settings
    from kubus.server.demo import DEMO_LINES, prepare_demo

    try:
        prepared = prepare_demo(settings.data_dir, lines=demo_lines or DEMO_LINES)
    except Exception as exc:  # a failed first start must not end in a traceback
        logging.getLogger(__name__).debug("--demo failed", exc_info=exc)
        _fail(f"--demo: cannot prepare the demo data set in {settings.data_dir}: "
              f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    # The demo brings its store, models, source systems and warehouse; server, workspace and
    # scheduler settings stay the user's.
    return replace(settings, stores={**settings.stores, **prepared.stores},
                   models=prepared.models,
                   oltp=replace(settings.oltp, url=settings.oltp.url or prepared.oltp.url),
                   etl=replace(settings.etl, warehouse_url=prepared.etl.warehouse_url),
                   sources=settings.sources or prepared.sources)


def _configure_logging(level: str | None, debug: bool) -> None:
    name = "debug" if debug else (level or "info")
    levels = {"critical": logging.CRITICAL, "error": logging.ERROR, "warn": logging.WARNING,
              "warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}
    logging.basicConfig(level=levels.get(name.lower(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not debug:  # APScheduler logs two lines per run; the runner logs one with its outcome
        logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _listen_urls(server: Any) -> list[str]:
    """``http://host:port/`` for every socket waitress listens on (port 0 is resolved)."""
    listen = getattr(server, "effective_listen", None) or [
        (server.effective_host, server.effective_port)]
    urls = []
    for host, port in listen:
        shown = f"[{host}]" if ":" in str(host) else host
        urls.append(f"http://{shown}:{port}/")
    return urls


def run_server(app: Any, host: str, port: int, threads: int,
               on_stop: Sequence[Any] = ()) -> None:
    """Serve ``app`` with waitress until SIGTERM or SIGINT, then shut down gracefully."""
    from waitress.server import create_server

    server = create_server(app, host=host, port=port, threads=threads,
                           ident="Kubus", clear_untrusted_proxy_headers=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        # waitress's run loop turns SystemExit into an orderly close (threads are joined).
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    for url in _listen_urls(server):
        click.echo(f"Serving Kubus on {url}")
    sys.stdout.flush()
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for callback in on_stop:
            callback()
        click.echo("Kubus stopped.")


def _oltp_wanted(settings: Settings, demo: bool) -> bool:
    """Serve the JSON API? Only over a database someone asked for (docs/settings.md)."""
    from kubus.config.settings_values import OLTP_DEFAULT_FILE

    if not settings.oltp.api:
        return False
    return bool(settings.oltp.url or demo or (settings.data_dir / OLTP_DEFAULT_FILE).is_file())


def _open_oltp(settings: Settings) -> sa.Engine:
    """The OLTP engine, its schema migrated (``auto_upgrade``) or checked to be current."""
    import sqlalchemy as sa

    from kubus.oltp.migrate import current_revision, head_revision, upgrade
    from kubus.oltp.store import open_store

    url = settings.oltp_url
    shown = sa.make_url(url).render_as_string(hide_password=True)
    try:
        if not settings.oltp.url:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.oltp.auto_upgrade:
            upgrade(url)
        elif current_revision(url) != head_revision():
            _fail(f"the OLTP database {shown} is at revision {current_revision(url)}, the code "
                  f"needs {head_revision()}: run `kubus oltp upgrade --url ...` (or set "
                  "[oltp] auto_upgrade = true)", EXIT_USAGE)
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        _fail(f"cannot open the OLTP database {shown}: {type(exc).__name__}: "
              f"{str(exc).splitlines()[0] if str(exc) else ''} (set [oltp] api = false to "
              "serve without the JSON API)")
    click.echo(f"JSON API at /api/v1 over {shown}", err=True)
    return open_store(url)


@main.command()
@click.argument("config_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-c", "--config", "config_option", type=click.Path(dir_okay=False, path_type=Path),
              help="Settings file: a Cubes slicer.ini or a kubus.toml.")
@click.option("-m", "--model", "models", multiple=True,
              type=click.Path(exists=True, path_type=Path),
              help="Model file or .cubesmodel bundle; repeatable. Replaces the configured "
                   "models.")
@click.option("-s", "--store", "store_url", metavar="URL",
              help="SQLAlchemy URL of the default store, e.g. sqlite:///data.sqlite.")
@click.option("--host", help="Address to listen on (default: [server] host, 127.0.0.1).")
@click.option("-p", "--port", type=int, help="Port (default: [server] port, 5000; 0 = any "
                                               "free port).")
@click.option("--demo", is_flag=True, help="Serve the demo system: two generated source "
              "systems, their warehouse and the business cubes (made on first use, brought up "
              "to date on every start).")
@click.option("--demo-lines", type=click.IntRange(min=100), metavar="N",
              help="Order lines per source system when the demo is first made (default "
                   "100000).")
@click.option("--no-result-cache", is_flag=True, help="Do not cache query results.")
@click.option("--threads", type=click.IntRange(min=1), help="Worker threads (default 8).")
@click.option("--debug", is_flag=True, default=None, help="Debug logging.")
@click.option("--visualizer", metavar="URL", help="Target of /visualizer/.")
@click.option("--oltp", "oltp_url", metavar="URL",
              help="SQLAlchemy URL of the OLTP database whose JSON API to serve at /api/v1 "
                   "(default: [oltp] url, else <data_dir>/oltp.sqlite if it exists).")
def serve(  # noqa: PLR0917 - click passes every option positionally
          config_file: Path | None, config_option: Path | None, models: tuple[Path, ...],
          store_url: str | None, host: str | None, port: int | None, demo: bool,
          no_result_cache: bool, threads: int | None, debug: bool | None,
          visualizer: str | None, oltp_url: str | None, demo_lines: int | None) -> None:
    """Serve the Slicer HTTP API (and the analyst web page) and the OLTP JSON API (/api/v1)
    with waitress.

    CONFIG_FILE (or --config) is a Cubes slicer.ini or a kubus.toml; command-line options win
    over it, and KUBUS_SERVER_*/KUBUS_WORKSPACE_*/KUBUS_STORE_*/KUBUS_OLTP_* environment
    variables sit in between. The JSON API is served over --oltp URL, [oltp] url, or an
    existing <data_dir>/oltp.sqlite (docs/api.md). Stop with Ctrl-C or SIGTERM: requests in
    flight are finished first.

    \b
    Examples:
      kubus serve --demo
      kubus serve slicer.ini
      kubus serve --config kubus.toml --port 8080 --threads 16
      kubus serve --model model.json --store sqlite:///data.sqlite --port 0
      kubus serve --demo --oltp postgresql+psycopg://kubus@db/erp1
    """
    from kubus.config.model_files import ModelFileError
    from kubus.config.settings import SettingsError, with_overrides
    from kubus.model.errors import ModelError
    from kubus.server.app import create_app
    from kubus.server.workspace import Workspace

    if config_file and config_option:
        _fail("give the settings file either as an argument or with --config, not both",
              EXIT_USAGE)
    settings = _load_settings(config_file or config_option, demo, demo_lines)
    try:
        settings = with_overrides(
            settings, models=[str(m) for m in models] or None, store_url=store_url,
            host=host, port=port, threads=threads, debug=debug, visualizer=visualizer,
            result_cache=False if no_result_cache else None, oltp_url=oltp_url)
    except SettingsError as exc:
        _fail("invalid options:\n  " + "\n  ".join(exc.problems), EXIT_USAGE)
    serve_api = _oltp_wanted(settings, demo)
    if not settings.models and not serve_api:
        _fail("no model to serve: give a settings file with [model]/[models], --model FILE, "
              "or --demo (or an OLTP database: --oltp URL)", EXIT_USAGE)
    _configure_logging(settings.workspace.log_level, settings.server.debug)
    for warning in settings.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    try:
        workspace = Workspace.from_settings(settings)
    except (ModelError, ModelFileError) as exc:
        _fail(f"cannot load the model: {exc}")
    oltp_engine = _open_oltp(settings) if serve_api else None
    if not serve_api and settings.oltp.api:
        click.echo("JSON API off: no OLTP database (run `kubus oltp upgrade`, set [oltp] url "
                   "or give --oltp URL)", err=True)
    checker = None
    if oltp_engine is not None:  # order entry checks with [oltp] availability (default ATP)
        from kubus.scheduling.oltp_checker import availability_checker

        checker = availability_checker(settings.oltp.availability)
        click.echo(f"Order entry checks availability: {settings.oltp.availability}", err=True)
    jobs_runner = (serve_jobs(settings, oltp_engine, workspace, checker) if oltp_engine
                   else None)
    app = create_app(workspace, oltp=oltp_engine, checker=checker, jobs=jobs_runner)
    run_server(app, settings.server.host, settings.server.port, settings.server.threads,
               on_stop=[*([jobs_runner.shutdown] if jobs_runner else []), workspace.close,
                        *([oltp_engine.dispose] if oltp_engine else [])])


# -- model -----------------------------------------------------------------------------------

@main.group()
def model() -> None:
    """Work with Cubes model files (JSON files or .cubesmodel bundles)."""


@model.command("validate")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("-d", "--defaults/--no-defaults", "show_defaults", default=False,
              help="Also list the defaults Kubus assumes for what the model leaves out.")
@click.option("--no-warnings", is_flag=True, help="List errors only.")
def validate(path: Path, show_defaults: bool, no_warnings: bool) -> None:
    """Check a model and list every problem at once; exit status 1 if it has errors.

    \b
    Examples:
      kubus model validate model.json
      kubus model validate --defaults webshop.cubesmodel
      kubus model validate --no-warnings model.json && echo usable
    """
    from kubus.config.model_files import ModelFileError, read_model
    from kubus.model.validation import format_report, has_errors, validate_model

    try:
        raw = read_model(path)
    except ModelFileError as exc:
        _fail(str(exc))
    problems = validate_model(raw)
    click.echo(format_report(problems, show_defaults=show_defaults,
                             show_warnings=not no_warnings))
    if has_errors(problems):
        sys.exit(1)


# -- version ---------------------------------------------------------------------------------

@main.command()
def version() -> None:
    """Show the Kubus version and the API it speaks.

    \b
    Example:
      kubus version
    """
    from kubus.server.slicer.views import API_VERSION, CUBES_VERSION

    click.echo(f"kubus {__version__} (Cubes {CUBES_VERSION} Slicer API version {API_VERSION}, "
               f"Python {sys.version.split()[0]})")


oltp.add_command(generate)
main.add_command(oltp)
main.add_command(atp)
main.add_command(jobs)
main.add_command(scheduler)
main.add_command(channels)
main.add_command(etl)

if __name__ == "__main__":
    main()
