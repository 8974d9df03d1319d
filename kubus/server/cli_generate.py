"""``kubus oltp generate``: fill OLTP databases with years of deterministic demo history.

Register it on the ``oltp`` group with ``oltp.add_command(generate)`` (see
:mod:`kubus.server.cli_oltp`). The work is done by :mod:`kubus.oltp.generator`.

\b
Examples:
  kubus oltp generate --lines 100000                       # <data_dir>/oltp.sqlite
  kubus oltp generate --lines 100000 --systems current,legacy --data-dir var/landscape
  kubus oltp generate --lines 1000000 --url postgresql+psycopg://kubus@db/erp1
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from kubus.server.cli_oltp import DEFAULT_FILE, default_url

if TYPE_CHECKING:
    from kubus.oltp.generator import GenerationStats

EXIT_USAGE = 2
# (table, label) pairs of the summary, in business order.
_SUMMARY = (("sales_order", "sales orders"), ("sales_order_item", "order items"),
            ("delivery", "deliveries"), ("billing_document", "billing documents"),
            ("payment", "payments"), ("purchase_order", "purchase orders"),
            ("material_document", "goods movements"), ("accounting_line", "accounting lines"),
            ("customer", "customers"), ("material", "materials"))


def _fail(message: str, code: int = 1) -> NoReturn:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def _systems(text: str | None) -> list[str]:
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    if text is not None and not names:
        _fail("--systems needs at least one name, e.g. current,legacy", EXIT_USAGE)
    if len(set(names)) != len(names):
        _fail(f"--systems names a system twice: {text}", EXIT_USAGE)
    return names


@click.command("generate")
@click.option("--lines", type=click.IntRange(1, 20_000_000), default=100_000, show_default=True,
              help="Sales order items to generate per source system (orders have 1-10).")
@click.option("--systems", metavar="NAMES",
              help="Comma-separated source systems, e.g. current,legacy: one database each "
                   "(oltp_<name>.sqlite in --data-dir) with its own number ranges and "
                   "overlapping customers, plus demo_truth.csv (which customers are the same "
                   "company). Presets: current, legacy; other names get ranges of their own.")
@click.option("--seed", type=int, default=42, show_default=True,
              help="Random seed: the same seed and sizes give identical databases.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory of the generated SQLite files (default: data_dir of the "
                   "settings, KUBUS_DATA_DIR or ./var).")
@click.option("--url", metavar="URL",
              help="SQLAlchemy URL of one target database (SQLite file or PostgreSQL; an empty "
                   f"database). Default: sqlite:///<data_dir>/{DEFAULT_FILE}.")
@click.option("--force", is_flag=True, help="Replace existing SQLite files.")
@click.option("--no-progress", is_flag=True, help="No progress bar (e.g. in CI logs).")
def generate(lines: int, systems: str | None, seed: int, data_dir: Path | None,  # noqa: PLR0917
             url: str | None, force: bool, no_progress: bool) -> None:
    """Generate deterministic demo history into one or more OLTP databases.

    About two years of order-to-cash and procure-to-pay documents up to the as-of date
    2025-12-19: seasonal orders (Q4 peak, quiet weekends), Zipf-skewed products and
    customers, partial deliveries, rejections, cancelled invoices, credit memos, late and
    partial payments, purchase orders that replenish stock before it is needed, and a
    recent past that is still open. Every invariant of the services holds, number ranges
    continue after the generated numbers, and the change log covers every row, so the
    warehouse loads the history through its normal delta path.

    \b
    Examples:
      kubus oltp generate --lines 100000
      kubus oltp generate --lines 100000 --systems current,legacy --seed 7
      kubus oltp generate --lines 50000 --systems legacy --url sqlite:///var/legacy.sqlite
      kubus oltp generate --lines 1000000 --url postgresql+psycopg://kubus@db/erp1
    """
    from kubus.oltp.generator import GenerationError, generate_landscape, system_spec
    from kubus.oltp.generator import generate as run

    names = _systems(systems)
    progress = not no_progress
    try:
        if url is not None or len(names) <= 1:
            if url is not None and len(names) > 1:
                _fail("--url takes one system; use --data-dir for several", EXIT_USAGE)
            target = url or (f"sqlite:///{(data_dir / DEFAULT_FILE).resolve()}"
                             if data_dir is not None else default_url())
            spec = system_spec(names[0] if names else "current")
            stats = run(target, lines, seed=seed, system=spec, progress=progress,
                        overwrite=force)
            _summary([stats])
            return
        directory = data_dir or _default_dir()
        landscape = generate_landscape(directory, lines, systems=names, seed=seed,
                                       progress=progress, overwrite=force)
    except GenerationError as exc:
        hint = " (use --force to replace it)" if str(exc).endswith(" exists") else ""
        _fail(f"{exc}{hint}", EXIT_USAGE)
    except Exception as exc:  # a failed run must end in a message, not a traceback
        _fail(f"generation failed: {type(exc).__name__}: "
              f"{str(exc).splitlines()[0] if str(exc) else ''}")
    _summary(list(landscape.values()))
    _overlap(landscape, directory)


def _default_dir() -> Path:
    """The settings' data directory (where ``kubus oltp upgrade`` puts its SQLite file)."""
    import sqlalchemy as sa

    return Path(sa.make_url(default_url()).database or DEFAULT_FILE).parent


def _summary(runs: list[GenerationStats]) -> None:
    for stats in runs:
        click.echo(f"{stats.system}: {stats.url}")
        click.echo(f"  history {stats.first_day} .. {stats.as_of}, seed {stats.seed}, "
                   f"{stats.total_rows:,} rows + {stats.change_log_rows:,} change-log rows "
                   f"in {stats.seconds:.1f} s "
                   f"({(stats.total_rows + stats.change_log_rows) / stats.seconds:,.0f} rows/s)")
        counts = ", ".join(f"{stats.rows.get(table, 0):,} {label}" for table, label in _SUMMARY)
        click.echo(f"  {counts}")
        click.echo(f"  next sales order {stats.next_numbers['sales_order']}, next delivery "
                   f"{stats.next_numbers['delivery']}, next invoice "
                   f"{stats.next_numbers['billing_document']}")


def _overlap(landscape: dict[str, GenerationStats], directory: Path) -> None:
    from kubus.oltp.generator import TRUTH_FILE

    companies = {name: set(stats.truth["company_id"]) for name, stats in landscape.items()}
    shared = set.intersection(*companies.values())
    union = set.union(*companies.values())
    click.echo(f"ground truth: {directory / TRUTH_FILE} ({len(union):,} companies, "
               f"{len(shared):,} in every system, overlap {len(shared) / max(len(union), 1):.0%})")
