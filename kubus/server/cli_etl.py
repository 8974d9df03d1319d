"""``kubus etl``: load the warehouse from the OLTP source systems by hand, and look at it.

Registered on the main command group by :mod:`kubus.server.cli`. The warehouse and the
sources come from the settings (``[etl]``, ``[source NAME]``; ``docs/settings.md``), the file
given with ``--config`` or the environment (``KUBUS_ETL_WAREHOUSE_URL``, ...).

\b
Examples:
  kubus etl run                      # delta load of every source system, progress bars
  kubus etl run --full --source current
  kubus etl status
  kubus etl merges
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any, NoReturn

import click

EXIT_USAGE = 2
_DATE = click.DateTime(formats=["%Y-%m-%d"])
_CONFIG = click.option("--config", "-c", "config", metavar="FILE",
                       type=click.Path(dir_okay=False),
                       help="Settings file (Kubus TOML or slicer.ini).")
_WAREHOUSE = click.option("--warehouse", metavar="URL",
                          help="Warehouse SQLAlchemy URL (default: [etl] warehouse_url, else "
                               "duckdb:///<data_dir>/warehouse.duckdb).")


def _fail(message: str, code: int = 1) -> NoReturn:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def _settings(config: str | None, warehouse: str | None) -> Any:
    from dataclasses import replace

    from kubus.config.settings import SettingsError, load_settings

    try:
        settings = load_settings(config)
    except SettingsError as exc:
        _fail("invalid settings:\n  " + "\n  ".join(exc.problems), EXIT_USAGE)
    if warehouse:
        settings = replace(settings, etl=replace(settings.etl, warehouse_url=warehouse))
    return settings


def _engine(settings: Any) -> Any:
    import sqlalchemy as sa

    try:
        return sa.create_engine(settings.warehouse_url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        _fail(f"bad warehouse URL {settings.warehouse_url!r}: {exc}", EXIT_USAGE)


@click.group("etl")
def etl() -> None:
    """The warehouse: load it from the OLTP source systems, see loads and customer merges.

    \b
    Examples:
      kubus etl run
      kubus etl run --full
      kubus etl status
      kubus etl merges --candidates
    """


@etl.command("run")
@_CONFIG
@_WAREHOUSE
@click.option("--full", is_flag=True, help="Rebuild every fact of the sources from OLTP.")
@click.option("--source", "names", multiple=True, metavar="NAME",
              help="Load only this source system (repeatable; default: all configured).")
@click.option("--today", type=_DATE, help="Business date of the load (default: today).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def run(  # noqa: PLR0917 - click passes every option positionally
        config: str | None, warehouse: str | None, full: bool, names: tuple[str, ...],
        today: datetime | None, quiet: bool) -> None:
    """Load the changes since the last load (or everything with --full) into the warehouse.

    Exactly once: each source system's data and its new watermark commit together; a rerun
    after a crash loads the same changes again. After the load, OLTP and warehouse totals are
    compared per day; a difference fails the load (exit code 1) and lists the first rows.

    \b
    Examples:
      kubus etl run
      kubus etl run --full --source legacy
      kubus etl run -c kubus.toml --today 2025-12-19
    """
    import sqlalchemy as sa

    from kubus.etl.pipeline import (
        ReconciliationError,
        SourceError,
        configured_sources,
        load_from_settings,
    )

    settings = _settings(config, warehouse)
    try:
        configured_sources(settings, names)
    except ValueError as exc:
        _fail(f"--source: {exc}", EXIT_USAGE)
    try:
        report = load_from_settings(settings, full=full, names=names, progress=not quiet,
                                    today=today.date() if today else None)
    except ReconciliationError as exc:
        _fail(str(exc))
    except SourceError as exc:
        _fail(str(exc))
    except sa.exc.SQLAlchemyError as exc:
        _fail(f"warehouse {settings.warehouse_url}: {str(exc).splitlines()[0]}")
    for s in report.sources:
        if not s.load_id:
            click.echo(f"{s.source} ({s.system_id}): up to date at change {s.to_seq}")
            continue
        rows = ", ".join(f"{t.removeprefix('fact_')} {n:,}" for t, n in s.rows.items() if n)
        click.echo(f"{s.source} ({s.system_id}): load {s.load_id} {s.mode}, changes "
                   f"{s.from_seq}..{s.to_seq} ({s.changes:,}), {s.seconds:.2f} s, "
                   f"reconciled: {'ok' if s.reconciliation_ok else 'FAILED'}")
        click.echo(f"  rows: {rows or 'none'}")


def _print_rows(engine: Any, title: str, sql: str) -> None:
    import pandas as pd
    import sqlalchemy as sa

    with engine.connect() as conn:
        frame = pd.read_sql(sa.text(sql), conn)
    click.echo(f"{title}:")
    click.echo(frame.to_string(index=False) if len(frame) else "  (none)")


@etl.command("status")
@_CONFIG
@_WAREHOUSE
@click.option("--loads", default=10, show_default=True, help="How many recent loads to show.")
def status(config: str | None, warehouse: str | None, loads: int) -> None:
    """Show each source system's watermark and the most recent loads.

    \b
    Example:
      kubus etl status --loads 20
    """
    import sqlalchemy as sa

    settings = _settings(config, warehouse)
    engine = _engine(settings)
    try:
        if not sa.inspect(engine).has_table("etl_source"):
            click.echo(f"{settings.warehouse_url}: no load yet (run `kubus etl run`)")
            return
        _print_rows(engine, "Source systems", "SELECT source_system, last_seq, loaded_at, url "
                    "FROM etl_source ORDER BY source_system")
        _print_rows(engine, "Recent loads", "SELECT load_id, source_system, mode, from_seq, "
                    "to_seq, changes, rows, status, started_at, finished_at FROM etl_load "
                    f"ORDER BY load_id DESC LIMIT {max(int(loads), 1)}")
    except sa.exc.SQLAlchemyError as exc:
        _fail(f"warehouse {settings.warehouse_url}: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()


@etl.command("merges")
@_CONFIG
@_WAREHOUSE
@click.option("--candidates", "only_candidates", is_flag=True,
              help="Only the look-alikes left for review.")
def merges(config: str | None, warehouse: str | None, only_candidates: bool) -> None:
    """Report the customer merges across source systems and the candidates left for review.

    A merge joins local customers with the same VAT number into one global customer; equal
    normalised name and postal code only make a candidate (docs/warehouse.md).

    \b
    Examples:
      kubus etl merges
      kubus etl merges --candidates
    """
    import sqlalchemy as sa

    settings = _settings(config, warehouse)
    engine = _engine(settings)
    try:
        if not sa.inspect(engine).has_table("customer_xref"):
            click.echo(f"{settings.warehouse_url}: no load yet (run `kubus etl run`)")
            return
        if not only_candidates:
            _print_rows(engine, "Local customers by rule", "SELECT match_rule, "
                        "COUNT(*) AS customers FROM customer_xref GROUP BY match_rule "
                        "ORDER BY match_rule")
            _print_rows(engine, "Merged global customers", """
                SELECT c.global_id, c.customer_name, x.source_system, x.customer_id,
                       x.match_rule, x.local_name
                FROM customer_xref x JOIN dim_customer c ON c.customer_key = x.customer_key
                WHERE x.customer_key IN (SELECT customer_key FROM customer_xref
                                         GROUP BY customer_key HAVING COUNT(*) > 1)
                ORDER BY c.global_id, x.source_system, x.customer_id""")
        _print_rows(engine, "Candidates for review (not merged)", """
            SELECT m.source_system, m.customer_id, a.local_name, m.other_source_system,
                   m.other_customer_id, b.local_name AS other_name, m.rule, m.status
            FROM customer_match_candidate m
            LEFT JOIN customer_xref a ON a.source_system = m.source_system
                 AND a.customer_id = m.customer_id
            LEFT JOIN customer_xref b ON b.source_system = m.other_source_system
                 AND b.customer_id = m.other_customer_id
            ORDER BY m.source_system, m.customer_id""")
    except sa.exc.SQLAlchemyError as exc:
        _fail(f"warehouse {settings.warehouse_url}: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()
