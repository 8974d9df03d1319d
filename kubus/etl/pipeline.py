"""The load: OLTP source systems -> warehouse star schema, exactly once (``kubus etl run``).

Per source system, one OLTP snapshot and one warehouse transaction:

1. watermark ``etl_source.last_seq`` .. the source's last committed change-log sequence;
2. changes in between -> the documents and master records to reload (:mod:`kubus.etl.extract`);
   the first load of a source, and ``full=True``, reload everything;
3. master data -> dimensions (global customers, products, plants, routes, vendors);
4. per fact: read the documents' current state in bulk, transform, delete their old rows and
   insert the new ones (DSO overwrite by semantic key, so changes, rejections, cancellations
   and reversals correct the warehouse);
5. stock markers, the date dimension, reconciliation against the same OLTP snapshot;
6. ``etl_load``, ``etl_reconciliation`` and the new watermark, in the same transaction.

A crash before the commit leaves the warehouse as it was (the rerun reloads the same changes);
after it, a rerun finds nothing to do. A reconciliation mismatch rolls the load back, records
it as ``failed`` (with its reconciliation rows) and raises :class:`ReconciliationError`.

Example::

    report = run_load(sa.create_engine("duckdb:///var/warehouse.duckdb"),
                      [Source("current", "sqlite:///var/oltp_current.sqlite")])
    report.sources[0].rows["fact_order_item"]
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from tqdm import tqdm

from kubus.config.settings import Settings
from kubus.etl import dimensions as dims
from kubus.etl import facts as f
from kubus.etl import queries as q
from kubus.etl.extract import ChangeSet, affected_keys, read_changes
from kubus.etl.load_steps import FACT_STEPS, load_masters, replace_rows, update_markers
from kubus.etl.reconcile import ReconciliationError, reconcile
from kubus.etl.sources import Reader, Source, SourceError, snapshot
from kubus.etl.warehouse_io import insert_frame
from kubus.etl.warehouse_schema import metadata

__all__ = ["LoadReport", "ReconciliationError", "SourceError", "SourceReport",
           "configured_sources", "load_from_settings", "run_load"]


@dataclass(frozen=True)
class SourceReport:
    """What one source system's load did."""

    source: str
    system_id: str
    load_id: int
    mode: str
    from_seq: int
    to_seq: int
    changes: int
    rows: Mapping[str, int]
    seconds: float
    reconciliation_ok: bool


@dataclass(frozen=True)
class LoadReport:
    """The result of :func:`run_load`: one :class:`SourceReport` per source system."""

    sources: tuple[SourceReport, ...]

    @property
    def rows(self) -> int:
        return sum(sum(s.rows.values()) for s in self.sources)

    @property
    def ok(self) -> bool:
        return all(s.reconciliation_ok for s in self.sources)


@dataclass(frozen=True)
class _Plan:
    source: Source
    full: bool
    today: date
    group_currency: str
    check: bool
    progress: bool


@dataclass(frozen=True)
class _LoadRow:
    """The ``etl_load`` row of one load (its outcome is added when it is written)."""

    load_id: int
    system: str
    full: bool
    from_seq: int
    to_seq: int
    changes: int
    started_at: datetime


class _Failed(Exception):
    """Reconciliation failed: the load is rolled back, then recorded as failed."""

    def __init__(self, load: _LoadRow, checks: pd.DataFrame) -> None:
        super().__init__(load.system)
        self.load, self.checks = load, checks


def _load_source(warehouse: sa.Engine, reader: Reader, plan: _Plan) -> SourceReport:
    started = time.perf_counter()
    system = reader.system_id
    with warehouse.begin() as conn:
        dims.ensure_unassigned(conn)
        skey = dims.source_key(conn, system, reader.system_name)
        from_seq = int(conn.execute(sa.text("SELECT last_seq FROM etl_source WHERE "
                                            "source_system = :s"), {"s": system}).scalar() or 0)
        to_seq = int(reader.frame("SELECT last_seq FROM change_log_counter")["last_seq"].iloc[0])
        if to_seq < from_seq and not plan.full:
            raise SourceError(f"source {plan.source.name}: change log ends at {to_seq}, before "
                              f"the warehouse watermark {from_seq}: reload with --full")
        if to_seq == from_seq and not plan.full:
            return SourceReport(plan.source.name, system, 0, "delta", from_seq, to_seq, 0, {},
                                time.perf_counter() - started, True)
        full = plan.full or from_seq == 0
        changes = (ChangeSet.everything(max(to_seq - from_seq, 0)) if full else
                   affected_keys(read_changes(reader, from_seq, to_seq), reader))
        load = _LoadRow(int(conn.execute(sa.text("SELECT COALESCE(MAX(load_id), 0) + 1 FROM "
                                                 "etl_load")).scalar_one()),
                        system, full, from_seq, to_seq, changes.changes, datetime.now())
        ctx = f.Context(conn, skey, system, plan.group_currency, reader.frame(q.RATES),
                        plan.today, load.load_id)
        load_masters(conn, reader, changes, source_key=skey, system=system, today=plan.today)
        rows, days = _facts(ctx, reader, changes, plan)
        if plan.check:
            checks = reconcile(conn, reader, source_key=skey, system=system,
                               days=None if full else days, load_id=load.load_id,
                               today=plan.today)
            if not bool(checks["ok"].all()):
                raise _Failed(load, checks)
            insert_frame(conn, "etl_reconciliation", checks)
        seconds = time.perf_counter() - started
        _bookkeeping(conn, plan, load, rows=sum(rows.values()), error=None)
    return SourceReport(plan.source.name, system, load.load_id, "full" if full else "delta",
                        from_seq, to_seq, changes.changes, rows, seconds, True)


def _facts(ctx: f.Context, reader: Reader, changes: ChangeSet, plan: _Plan
           ) -> tuple[dict[str, int], dict[str, set[int]]]:
    """Every fact step, then stock markers and dates: rows per table, days per table."""
    full = all(v is None for v in changes.ids.values())
    rows: dict[str, int] = {}
    days: dict[str, set[int]] = {}
    date_keys: list[pd.Series] = []
    movements = pd.DataFrame()
    bar = tqdm(FACT_STEPS, desc=plan.source.name, unit=" facts", disable=not plan.progress)
    for table, kind, key, day, step in bar:
        bar.set_postfix_str(table)
        ids = changes.ids.get(kind)
        if ids is not None and not len(ids):
            rows[table] = 0
            continue
        frame = step(ctx, reader, ids)
        days[table] = replace_rows(ctx.conn, table, key, source_key=ctx.source_key, ids=ids,
                                   rows=frame, day=day)
        date_keys.extend(frame[c] for c in frame.columns if c.endswith("date_key"))
        rows[table] = len(frame)
        if table == "fact_stock_movement":
            movements = frame
    bar.close()
    update_markers(ctx.conn, ctx.source_key, movements, full=full)
    dims.ensure_dates(ctx.conn, date_keys)
    return rows, days


def _bookkeeping(conn: sa.Connection, plan: _Plan, load: _LoadRow, *, rows: int,
                 error: str | None) -> None:
    """The ``etl_load`` row; for a load that succeeded also the new watermark."""
    insert_frame(conn, "etl_load", pd.DataFrame([{
        "load_id": load.load_id, "source_system": load.system,
        "mode": "full" if load.full else "delta", "from_seq": load.from_seq,
        "to_seq": load.to_seq, "started_at": load.started_at, "finished_at": datetime.now(),
        "status": "failed" if error else "ok", "changes": load.changes, "rows": rows,
        "error": error}]))
    if error:
        return
    conn.execute(sa.text("DELETE FROM etl_source WHERE source_system = :s"),
                 {"s": load.system})
    insert_frame(conn, "etl_source", pd.DataFrame([{
        "source_system": load.system, "url": plan.source.shown_url[:255],
        "last_seq": load.to_seq, "loaded_at": datetime.now()}]))


def run_load(warehouse: sa.Engine, sources: Sequence[Source], *, full: bool = False,
             progress: bool = False, today: date | None = None, group_currency: str = "EUR",
             reconciliation: bool = True) -> LoadReport:
    """Load every source system in turn (each in one warehouse transaction).

    ``today`` is the business date of the load (new customer versions start on it; overdue
    flags are as of it). Raises :class:`SourceError` for an unreadable source and
    :class:`ReconciliationError` (after recording the failed load) for differing totals.
    """
    metadata.create_all(warehouse)
    plan_today = today or date.today()
    reports = []
    for source in sources:
        plan = _Plan(source, full, plan_today, group_currency, reconciliation, progress)
        with snapshot(source) as reader:
            try:
                reports.append(_load_source(warehouse, reader, plan))
            except _Failed as failed:
                checks = failed.checks
                error = ReconciliationError(reader.system_id, checks[checks["ok"] == 0])
                with warehouse.begin() as conn:
                    _bookkeeping(conn, plan, failed.load, rows=0, error=str(error))
                    insert_frame(conn, "etl_reconciliation", checks)
                raise error from None
    return LoadReport(tuple(reports))


def configured_sources(settings: Settings, names: Sequence[str] = ()) -> list[Source]:
    """The ``[source NAME]`` systems of ``settings`` (else the ``[oltp]`` database as
    ``oltp``), restricted to ``names`` when given; an unknown name raises ``ValueError``."""
    available = {name: Source(name, s.url) for name, s in settings.sources.items()} or {
        "oltp": Source("oltp", settings.oltp_url)}
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(f"unknown source {', '.join(unknown)} (configured: "
                         f"{', '.join(available)})")
    return [available[n] for n in names] if names else list(available.values())


def load_from_settings(settings: Settings, *, full: bool = False, names: Sequence[str] = (),
                       progress: bool = False, today: date | None = None) -> LoadReport:
    """:func:`run_load` with the warehouse, sources and options of ``settings``.

    Example (the ``etl-delta`` job, ``kubus serve --demo``)::

        load_from_settings(load_settings("kubus.toml"))
    """
    url = sa.make_url(settings.warehouse_url)
    if url.get_backend_name() in ("duckdb", "sqlite") and url.database not in (None, "",
                                                                               ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    try:
        return run_load(engine, configured_sources(settings, names), full=full,
                        progress=progress, today=today,
                        group_currency=settings.etl.group_currency,
                        reconciliation=settings.etl.reconciliation)
    finally:
        engine.dispose()
