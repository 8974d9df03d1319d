"""The warehouse and channel jobs: delta load, stock snapshot, customer analytics, polling.

Each is a thin adapter from a :class:`~.catalog.JobContext` to the layer that does the work
(:mod:`kubus.etl`, :mod:`kubus.channels`), so the same functions run from the cron table, from
``kubus jobs run NAME`` and from ``POST /api/v1/jobs/NAME/runs``. Example cron lines
(``kubus/config/jobs.cron``)::

    * * * * *     etl-delta
    15 0 * * *    stock-snapshot  days=31
    0 3 * * 1     rfm
    * * * * *     channel-poll    channel=email folder=var/inbox/email
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from kubus.server.jobs.catalog import (
    JobContext,
    JobParam,
    JobSetupError,
    JobSpec,
    parse_bool,
    parse_list,
    parse_text,
)

__all__ = ["BUSINESS_JOBS"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value < 1:
        raise ValueError("expected a number of at least 1")
    return value


def etl_delta_job(context: JobContext, *, full: bool = False,
                  sources: tuple[str, ...] = ()) -> int:
    """Load the changes of every source system into the warehouse (``kubus etl run``)."""
    from kubus.etl.pipeline import configured_sources, run_load

    if context.settings is None:
        raise JobSetupError("the etl-delta job needs the server's settings (source systems)")
    settings = context.settings
    try:
        chosen = configured_sources(settings, sources)
    except ValueError as exc:
        raise JobSetupError(str(exc)) from None
    report = run_load(context.warehouse_engine(), chosen, full=full, today=context.today,
                      group_currency=settings.etl.group_currency,
                      reconciliation=settings.etl.reconciliation)
    return report.rows


def stock_snapshot_job(context: JobContext, *, days: int = 31) -> int:
    """Rebuild the daily closing stock of the last ``days`` days (a movement posted back
    into an earlier day changes every closing stock after it)."""
    from kubus.etl.stock import build_stock_snapshot

    first = context.today - timedelta(days=days - 1)
    return build_stock_snapshot(context.warehouse_engine(), first, context.today)


def rfm_job(context: JobContext) -> int:
    """RFM segments, lifetime value and churn per customer at today's date (domain.md §5)."""
    from kubus.etl.crm.job import run_customer_analytics

    return run_customer_analytics(context.warehouse_engine(), context.today)


def channel_poll_job(context: JobContext, *, channel: str, folder: str,
                     source: str | None = None) -> int:
    """Ingest the new files of a folder through a channel adapter; returns messages stored."""
    from kubus.channels.folders import poll_folder
    from kubus.channels.ingest import IngestService
    from kubus.channels.registry import UnknownAdapter
    from kubus.oltp.availability import StockOnlyChecker

    path = Path(folder)
    if not path.is_dir():
        raise JobSetupError(f"channel-poll: {folder} is not a folder")
    service = IngestService(context.source(source),
                            checker=context.checker or StockOnlyChecker(),
                            today=lambda: context.today)
    try:
        result = poll_folder(service, channel, path)
    except UnknownAdapter as exc:
        raise JobSetupError(f"channel-poll: {exc}") from None
    return result.report.stored


BUSINESS_JOBS = (
    JobSpec("etl-delta", etl_delta_job,
            "Delta load of every source system into the warehouse, exactly once, with "
            "reconciliation (kubus etl run).",
            (JobParam("full", parse_bool, "rebuild everything (default false)"),
             JobParam("sources", parse_list, "only these source systems (default all)")),
            needs_warehouse=True),
    JobSpec("stock-snapshot", stock_snapshot_job,
            "Daily closing stock per product and plant for the stock cube (domain.md §4.7).",
            (JobParam("days", _positive_int, "days to rebuild, ending today (default 31)"),),
            needs_warehouse=True),
    JobSpec("rfm", rfm_job,
            "RFM scores and segments, customer lifetime value and churn indicators for the "
            "customers cube (domain.md §5).", needs_warehouse=True),
    JobSpec("channel-poll", channel_poll_job,
            "Ingest new files from a folder (maildir, mbox, call records, ...) through a "
            "channel adapter (kubus channels poll).",
            (JobParam("channel", parse_text, "adapter: email, calls, faxes, letters, "
                      "web-forms, web-orders, chats"),
             JobParam("folder", parse_text, "the folder to poll"),
             JobParam("source", parse_text, "source system (default: the [oltp] database)"))),
)
