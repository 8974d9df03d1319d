"""``kubus atp``: simulate an availability check, run backorder processing (issue #4).

Register it on the main command group with ``main.add_command(atp)`` (as ``cli_oltp``'s
``oltp`` group is). Both commands work on the OLTP database (``--url``, default the database of
``kubus oltp upgrade``) and take the business date as ``--today`` (default: the
system date), since the domain code never reads the clock.

\b
Examples:
  kubus atp check --material M1 --plant 1000 --qty 60 --date 2024-03-07 --today 2024-03-04
  kubus atp backorder --dry-run --today 2024-03-04
  kubus atp backorder --material M1 --today 2024-03-04       # saves the new confirmations
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NoReturn

import click

from kubus.server.cli_oltp import DEFAULT_FILE, default_url

if TYPE_CHECKING:
    from kubus.scheduling.oltp_backorder import BackorderRunReport

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _fail(message: str, code: int = 1) -> NoReturn:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def _day(value: datetime | None) -> date:
    return value.date() if value is not None else date.today()


def _engine(url: str | None) -> Any:
    import sqlalchemy as sa

    from kubus.oltp.store import open_store

    target = url or default_url()
    try:
        return open_store(target)
    except (sa.exc.SQLAlchemyError, ValueError) as exc:
        _fail(f"cannot open {target}: {exc}")


def _quantity(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        _fail(f"--qty must be a number, got {text!r}", 2)


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


@click.group("atp")
def atp() -> None:
    """Available-to-promise: simulate a check, reschedule open orders (backorder processing).

    \b
    Examples:
      kubus atp check --material M1 --plant 1000 --qty 60 --date 2024-03-07
      kubus atp backorder --dry-run
    """


_URL_HELP = ("SQLAlchemy URL of the OLTP database (default: [oltp] url or KUBUS_OLTP_URL, else "
             f"sqlite:///<data_dir>/{DEFAULT_FILE}, data_dir from KUBUS_DATA_DIR or ./var).")


@atp.command("check")
@click.option("--material", required=True, help="Material number.")
@click.option("--plant", required=True, help="Plant.")
@click.option("--qty", "qty_text", required=True, metavar="QTY",
              help="Quantity in the material's base unit (up to 3 decimals).")
@click.option("--date", "requested", required=True, type=_DATE,
              help="Requested delivery date, YYYY-MM-DD.")
@click.option("--customer", default=None, help="Customer (sold-to and ship-to): brings in the "
              "customer's partial-delivery agreement and the route order entry would use.")
@click.option("--today", type=_DATE, default=None,
              help="Business date of the check (default: the system date).")
@click.option("--url", metavar="URL", help=_URL_HELP)
def check(  # noqa: PLR0917 - click passes every option positionally
        material: str, plant: str, qty_text: str, requested: datetime, customer: str | None,
        today: datetime | None, url: str | None) -> None:
    """Simulate an ATP check with delivery scheduling; prints the schedule lines an order would
    get, saves nothing.

    \b
    Example:
      kubus atp check --material M1 --plant 1000 --qty 60 --date 2024-03-07 --today 2024-03-04
    """
    from kubus.oltp.errors import OltpError
    from kubus.scheduling.oltp_checker import simulate_check

    business_day = _day(today)
    engine = _engine(url)
    try:
        result = simulate_check(engine, material, plant, _quantity(qty_text), requested.date(),
                                today=business_day, customer_id=customer)
    except OltpError as exc:
        _fail(f"{exc.code}: {exc.message}")
    finally:
        engine.dispose()
    click.echo(f"ATP check {material} / {plant}: {_qty(result.requested_qty)} requested for "
               f"{requested.date()} (today {business_day}), simulation: nothing saved")
    click.echo(f"checking group {result.checking_group}, rule {result.rule.value}, "
               f"RLT end {result.rlt_end or '-'}, shipping point {result.shipping_point or '-'},"
               f" route {result.route or '-'}; availability checked on "
               f"{result.availability_date}")
    click.echo(f"{'line':>4}  {'delivery':10}  {'requested':>10}  {'confirmed':>10}  "
               f"{'MAD':10}  {'TPD':10}  {'loading':10}  {'goods issue':10}")
    for line in result.item.lines:
        dates = line.dates
        click.echo(f"{line.number:>4}  {line.delivery_date}  {_qty(line.order_quantity):>10}  "
                   f"{_qty(line.confirmed_quantity):>10}  {dates.mad}  {dates.tpd}  "
                   f"{dates.load}  {dates.gi}")
    late = "" if result.delay_days is None else (
        "on time" if result.delay_days == 0 else f"{result.delay_days} days late")
    last = f", complete on {result.confirmed_date} ({late})" if result.confirmed_date else ""
    click.echo(f"confirmed {_qty(result.confirmed_qty)} of {_qty(result.requested_qty)}: "
               f"{result.outcome}{last}")


class _Bars:
    """One progress bar per phase of the run (on stderr, only on a terminal)."""

    def __init__(self) -> None:
        self.phase: str | None = None
        self.bar: Any = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if phase != self.phase:
            self.close()
            self.phase = phase
            self.bar = tqdm(total=total, desc=f"backorder: {phase}", unit=" steps"
                            if phase in ("load", "check") else " lines", disable=None,
                            file=sys.stderr, leave=False)
        if self.bar is not None:
            self.bar.total = total
            self.bar.n = done
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@atp.command("backorder")
@click.option("--dry-run", is_flag=True, help="Only report the changes; save nothing.")
@click.option("--material", "materials", multiple=True, help="Only this material "
              "(repeatable; default: all).")
@click.option("--plant", "plants", multiple=True, help="Only this plant (repeatable; "
              "default: all).")
@click.option("--sort-by", type=click.Choice(["created", "requested"]), default="created",
              show_default=True, help="Date that orders items of equal delivery priority: "
              "item creation or requested date.")
@click.option("--today", type=_DATE, default=None,
              help="Business date of the run (default: the system date).")
@click.option("--show", default=50, show_default=True, metavar="N",
              help="Print the first N changed items (0: all).")
@click.option("--url", metavar="URL", help=_URL_HELP)
def backorder(  # noqa: PLR0917 - click passes every option positionally
        dry_run: bool, materials: tuple[str, ...], plants: tuple[str, ...], sort_by: str,
        today: datetime | None, show: int, url: str | None) -> None:
    """Reschedule open sales-order items by delivery priority and date (backorder processing)
    and print every changed confirmation; with --dry-run nothing is saved.

    \b
    Examples:
      kubus atp backorder --dry-run --today 2024-03-04
      kubus atp backorder --material M1 --plant 1000
    """
    from kubus.oltp.errors import OltpError
    from kubus.scheduling.backorder import SortDate
    from kubus.scheduling.oltp_backorder import run_backorder

    engine = _engine(url)
    bars = _Bars()
    try:
        report = run_backorder(engine, today=_day(today), dry_run=dry_run,
                               sort_by=SortDate(sort_by), materials=list(materials) or None,
                               plants=list(plants) or None, progress=bars)
    except OltpError as exc:
        _fail(f"{exc.code}: {exc.message}")
    finally:
        bars.close()
        engine.dispose()
    _print_report(report, show)


def _lines(lines: Any) -> str:
    return " + ".join(f"{_qty(line.quantity)} @ {line.date}" for line in lines) or "nothing"


def _print_report(report: BackorderRunReport, show: int) -> None:
    mode = "dry run: nothing saved" if report.dry_run else "saved"
    click.echo(f"backorder run {report.today} ({mode}), sorted by delivery priority, "
               f"{report.sort_by.value} date, order, item")
    click.echo(f"{report.items_checked} open items checked ({report.lines_selected} schedule "
               f"lines), {report.items_skipped} skipped (being changed by others); "
               f"{len(report.changes)} confirmations changed; schedule lines "
               f"{'to update' if report.dry_run else 'updated'} {report.lines_updated}, "
               f"{'to insert' if report.dry_run else 'inserted'} {report.lines_inserted}")
    shown = report.changes if show <= 0 else report.changes[:show]
    if shown:
        click.echo("order/item  material / plant  open  before (qty @ MAD)  ->  after")
    for change in shown:
        open_after = change.unconfirmed_after
        rest = f"; {_qty(open_after)} unconfirmed" if open_after > 0 else ""
        click.echo(f"{change.order_id}/{change.item_no}  {change.material_id} / {change.plant}"
                   f"  {_qty(change.open_qty)}  {_lines(change.before)}  ->  "
                   f"{_lines(change.after)}{rest}")
    if len(shown) < len(report.changes):
        click.echo(f"... {len(report.changes) - len(shown)} more (--show 0 prints all)")
    timings = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in report.timings.items())
    click.echo(f"time: {timings}")
