"""``kubus channels``: ingest contacts from files and folders, list and replay the quarantine.

Registered on the main command group by :mod:`kubus.server.cli`. Every command works on the
OLTP database (``--url``, default the database of ``kubus oltp upgrade``); orders found in the
input are entered with the availability check of ``[oltp] availability`` (default ATP) and
the business date ``--today`` (default: the system date).

\b
Examples:
  kubus channels ingest --channel email var/mail/              # a maildir, mbox or .eml files
  kubus channels ingest --channel calls pbx-2024-03-04.csv
  kubus channels poll --channel faxes var/inbox/fax/           # ingest, then move to processed/
  kubus channels quarantine
  kubus channels replay 17 --payload fixed.json
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from kubus.server.cli_oltp import DEFAULT_FILE, default_url

if TYPE_CHECKING:
    from kubus.channels.ingest import IngestReport, IngestService

ADAPTERS = ("email", "calls", "faxes", "letters", "web-forms", "web-orders", "chats")
_DATE = click.DateTime(formats=["%Y-%m-%d"])
_URL_HELP = ("SQLAlchemy URL of the OLTP database (default: [oltp] url or KUBUS_OLTP_URL, else "
             f"sqlite:///<data_dir>/{DEFAULT_FILE}).")


def _fail(message: str, code: int = 1) -> NoReturn:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def _service(url: str | None, today: datetime | None, region: str | None) -> IngestService:
    import sqlalchemy as sa

    from kubus.channels.ingest import IngestService
    from kubus.config.settings import SettingsError, load_settings
    from kubus.oltp.store import open_store
    from kubus.scheduling.oltp_checker import availability_checker

    try:
        kind = load_settings().oltp.availability
    except SettingsError as exc:
        _fail("invalid settings:\n  " + "\n  ".join(exc.problems), 2)
    target = url or default_url()
    try:
        engine = open_store(target)
    except (sa.exc.SQLAlchemyError, ValueError) as exc:
        _fail(f"cannot open {target}: {exc}", 2)
    day = today.date() if today is not None else date.today()
    return IngestService(engine, checker=availability_checker(kind), today=lambda: day,
                         default_region=region.upper() if region else None)


def _print_report(report: IngestReport, show: int) -> None:
    click.echo(f"{report.adapter}: {report.received} messages: {report.stored} stored, "
               f"{report.duplicates} duplicates, {report.quarantined} quarantined; orders "
               f"{report.orders_created} created, {report.orders_rejected} rejected")
    notable = [i for i in report.items if i.status == "quarantined" or i.order_id is not None
               or i.reason]
    for item in notable if show <= 0 else notable[:show]:
        what = (f"quarantined as {item.quarantine_id}: {item.reason}"
                if item.status == "quarantined" else
                f"interaction {item.interaction_id} -> order {item.order_id}"
                if item.order_id is not None else f"interaction {item.interaction_id}: "
                f"{item.reason}")
        click.echo(f"  {item.source_ref or item.index} {item.external_id or ''}: {what}")


class _Bar:
    """A tqdm bar over messages (on stderr, only on a terminal)."""

    def __init__(self, total: int, what: str) -> None:
        from tqdm import tqdm

        self.bar: Any = tqdm(total=total, desc=what, unit=" msg", disable=None,
                             file=sys.stderr, leave=False)

    def __call__(self, done: int) -> None:
        self.bar.update(done)

    def close(self) -> None:
        self.bar.close()


@click.group("channels")
def channels() -> None:
    """Interaction center: ingest e-mail, calls, faxes, letters, web forms and orders, chats.

    \b
    Examples:
      kubus channels ingest --channel email var/mail/
      kubus channels quarantine
      kubus channels replay 17
    """


_CHANNEL = click.option("--channel", "adapter", required=True, type=click.Choice(ADAPTERS),
                        help="The input's adapter.")
_URL = click.option("--url", metavar="URL", help=_URL_HELP)
_TODAY = click.option("--today", type=_DATE, default=None,
                      help="Business date of orders entered (default: the system date).")
_REGION = click.option("--region", metavar="CC", default=None, help="Region for phone "
                       "numbers without a country code (default: the system's country).")
_SHOW = click.option("--show", default=20, show_default=True, metavar="N",
                     help="Print the first N quarantined messages and orders (0: all).")


@channels.command("ingest")
@_CHANNEL
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@_URL
@_TODAY
@_REGION
@_SHOW
def ingest(  # noqa: PLR0917 - click passes every option positionally
        adapter: str, paths: tuple[Path, ...], url: str | None, today: datetime | None,
        region: str | None, show: int) -> None:
    """Ingest files or folders: a maildir, mbox or .eml files for email; CSV or JSON files
    for the others. Redelivered messages are stored once; malformed ones are quarantined.

    \b
    Examples:
      kubus channels ingest --channel email ~/Maildir/support
      kubus channels ingest --channel calls cdr-2024-03-04.csv --region DE
      kubus channels ingest --channel web-orders orders.json --today 2024-03-04
    """
    from kubus.channels.folders import read_path

    service = _service(url, today, region)
    try:
        items = [item for path in paths for item in read_path(service, adapter, path)]
        if not items:
            _fail(f"no {adapter} input found in {', '.join(map(str, paths))}", 2)
        bar = _Bar(len(items), f"ingest {adapter}")
        try:
            report = service.ingest_items(adapter, items, progress=bar)
        finally:
            bar.close()
    except OSError as exc:
        _fail(f"cannot read the input: {exc}", 2)
    finally:
        service.engine.dispose()
    _print_report(report, show)


@channels.command("poll")
@_CHANNEL
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_URL
@_TODAY
@_REGION
@_SHOW
def poll(  # noqa: PLR0917 - click passes every option positionally
        adapter: str, folder: Path, url: str | None, today: datetime | None,
        region: str | None, show: int) -> None:
    """Ingest what arrived in a drop folder once, then move each file to processed/ (a
    maildir's new messages to cur/, marked seen). The job runner does this on a schedule.

    \b
    Example:
      kubus channels poll --channel faxes var/inbox/fax
    """
    from kubus.channels.folders import poll_folder

    service = _service(url, today, region)
    try:
        result = poll_folder(service, adapter, folder)
    except OSError as exc:
        _fail(f"cannot poll {folder}: {exc}", 2)
    finally:
        service.engine.dispose()
    click.echo(f"{len(result.files)} files read and moved")
    _print_report(result.report, show)


@channels.command("quarantine")
@click.option("--status", type=click.Choice(["open", "replayed", "all"]), default="open",
              show_default=True, help="Which entries to list.")
@click.option("--limit", default=50, show_default=True, help="At most this many (newest).")
@_URL
def list_quarantine(status: str, limit: int, url: str | None) -> None:
    """List quarantined messages with the reason each could not be read.

    \b
    Example:
      kubus channels quarantine --status all
    """
    import sqlalchemy as sa

    from kubus.oltp.schema_interactions import quarantine

    service = _service(url, None, None)
    query = sa.select(quarantine.c.quarantine_id, quarantine.c.adapter,
                      quarantine.c.source_ref, quarantine.c.status, quarantine.c.attempts,
                      quarantine.c.reason).order_by(quarantine.c.quarantine_id.desc()).limit(limit)
    if status != "all":
        query = query.where(quarantine.c.status == status)
    try:
        with service.engine.connect() as conn:
            rows = conn.execute(query).all()
    finally:
        service.engine.dispose()
    if not rows:
        click.echo(f"no {'' if status == 'all' else status + ' '}quarantined messages")
    for row in reversed(rows):
        click.echo(f"{row.quarantine_id:>6}  {row.adapter:<10} {row.status:<8} "
                   f"x{row.attempts}  {row.source_ref}: {row.reason}")


@channels.command("replay")
@click.argument("quarantine_id", type=int)
@click.option("--payload", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A corrected message to use instead of the stored one.")
@_URL
@_TODAY
@_REGION
def replay(quarantine_id: int, payload: Path | None, url: str | None, today: datetime | None,
           region: str | None) -> None:
    """Parse a quarantined message again (after a fix) and store it.

    \b
    Examples:
      kubus channels replay 17
      kubus channels replay 17 --payload fixed-call.csv
    """
    from kubus.oltp.errors import OltpError

    service = _service(url, today, region)
    try:
        result = service.replay(quarantine_id,
                                payload.read_bytes() if payload is not None else None)
    except OltpError as exc:
        _fail(f"{exc.code}: {exc.message}", 2)
    finally:
        service.engine.dispose()
    if result.status == "quarantined":
        _fail(f"still malformed, kept in quarantine: {result.reason}", 1)
    click.echo(f"quarantine {quarantine_id} replayed: {result.status} as interaction "
               f"{result.interaction_id}" + (f", order {result.order_id}"
                                             if result.order_id is not None else ""))
