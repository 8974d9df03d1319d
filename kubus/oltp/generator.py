"""The OLTP demo data generator (``kubus oltp generate``): years of business in seconds.

:func:`generate` fills one source-system database (SQLite file or PostgreSQL) with a
deterministic history of about two years: master data, sales orders with schedule lines,
deliveries, goods issues, invoices, cancellations, credit memos, incoming payments (on time,
with cash discount, late, in two parts), purchase requisitions and orders, goods receipts and
invoice receipts, accounting documents with their lines, open items, the document flow and the
change log. Orders follow the seasons (Q4 peak, quiet weekends), products and customers are
Zipf-skewed, and the recent past is still open (undelivered, unbilled, unpaid).

The data obeys every invariant the services enforce, so the services can carry on from it:
stock never negative at any point in time (purchase orders are received before the issues that
need them, and open confirmations are in stock at the as-of date); deliveries only of
confirmed, due quantities; invoices only of goods-issued deliveries; payments clear open items
in full or leave a residual, with cash discount only within the discount period; statuses
follow from quantities; document flow for every link; balanced accounting documents; the
stored open confirmed quantities and stock equal what the documents say; number ranges
advanced past every generated number. The change log has what the services' unit of work
would have logged: an ``insert`` for every row on the day it was created, an ``update`` for
every later change (a rejected item and its order, a cleared open item, a stock row per
movement; a cancellation clears with ``cancel``), gap-free and in time order — so the
warehouse loads the generated history through its normal delta path, with no special bulk
path. Like the services, it does not log ``material_plant.open_confirmed_qty``.

Left out on purpose: vendor payments (there is no outgoing-payment service, so payables stay
open), goods-issue and goods-receipt reversals, ATP check records (``atp_check``) and JSON-API
idempotency keys.

:func:`generate_landscape` makes several source systems side by side (a current and a legacy
ERP, say), each its own database with its own number ranges, holding overlapping customers:
the same company under different numbers, spellings, addresses and phone formats. The ground
truth (which customer numbers are the same company) comes back in the statistics and is
written to ``demo_truth.csv``.

Example::

    stats = generate("sqlite:///var/oltp.sqlite", 100_000, seed=42, system=CURRENT)
    stats.rows["sales_order_item"]       # 100000
    generate_landscape(Path("var"), 100_000)   # var/oltp_current.sqlite, var/oltp_legacy.sqlite
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from tqdm import tqdm

from kubus.oltp.gen_assemble import SystemShape, build_sources
from kubus.oltp.gen_companies import CURRENT_STYLE, LEGACY_STYLE, SpellingStyle
from kubus.oltp.gen_writer import Rows, Source, write_postgres, write_sqlite
from kubus.oltp.migrate import upgrade
from kubus.oltp.numbering import DEFAULT_RANGES
from kubus.oltp.schema import change_log_counter, customer, number_range, system_info

__all__ = ["CURRENT", "LEGACY", "TRUTH_FILE", "GenerationError", "GenerationStats",
           "SourceSystemSpec", "generate", "generate_landscape", "system_spec"]

TRUTH_FILE = "demo_truth.csv"
SQLITE_PAGE_SIZE = 16_384
SQLITE_CACHE_KIB = 1_000_000
SQLITE_MMAP_BYTES = 1 << 34
#: Worker threads SQLite may use to sort (CREATE INDEX at the end of the load).
SQLITE_SORT_THREADS = 4
MAX_LINES = 20_000_000


class GenerationError(Exception):
    """The target cannot take generated data (not empty, already exists, bad arguments)."""


@dataclass(frozen=True)
class SourceSystemSpec:
    """One source system of the landscape: identity, number ranges, how it writes customers.

    ``number_ranges`` gives the first number per object type (the ranges' last numbers stay
    :data:`kubus.oltp.numbering.DEFAULT_RANGES`); ``customer_format`` and ``customer_start``
    make the customer numbers (``"{:010d}"`` and 50000 give ``0000050000``, ...).
    """

    name: str = "current"
    system_id: str = "CURRENT"
    description: str = "Kubus ERP (current system)"
    company_code: str = "1000"
    company_currency: str = "EUR"
    country: str = "DE"
    customer_format: str = "{}"
    customer_start: int = 1_000_000
    vendor_format: str = "V{}"
    vendor_start: int = 100_000
    number_ranges: Mapping[str, int] = field(default_factory=lambda: {
        "sales_order": 1_000_000, "purchase_requisition": 10_000_000})
    style: SpellingStyle = CURRENT_STYLE
    overlap: float = 0.30
    first_day: date = date(2024, 1, 1)
    as_of: date = date(2025, 12, 19)


CURRENT = SourceSystemSpec()
LEGACY = SourceSystemSpec(
    name="legacy", system_id="LEGACY", description="Legacy ERP (R/3 4.6C)",
    customer_format="{:010d}", customer_start=50_000, vendor_format="{:010d}",
    vendor_start=700_000, style=LEGACY_STYLE,
    number_ranges={"sales_order": 5_000_000, "delivery": 85_000_000,
                   "billing_document": 95_000_000, "accounting_document": 150_000_000,
                   "payment": 1_450_000_000, "open_item": 5_000_000_000,
                   "material_document": 4_950_000_000, "purchase_requisition": 15_000_000,
                   "purchase_order": 4_550_000_000, "invoice_receipt": 5_150_000_000})
PRESETS = {"current": CURRENT, "legacy": LEGACY}


def system_spec(name: str, index: int = 0) -> SourceSystemSpec:
    """The preset of ``name``, or a current-style system with ranges of its own (``index``)."""
    if name in PRESETS:
        return PRESETS[name]
    if not name or len(name) > 10 or not name.replace("_", "").isalnum():
        raise GenerationError(f"system name {name!r}: use 1-10 letters, digits or _")
    return replace(CURRENT, name=name, system_id=name.upper(), description=f"ERP {name}",
                   customer_start=(index + 2) * 1_000_000,
                   number_ranges={"sales_order": (index + 2) * 1_000_000 + 10_000_000})


@dataclass(frozen=True)
class GenerationStats:
    """What :func:`generate` wrote: rows per table, change-log rows, time, next numbers.

    ``truth`` is the ground truth of the customers (a DataFrame, one row per customer):
    ``company_id`` (the real company, ``G0000001``; equal across systems), ``system`` and
    ``system_id``, ``customer_id`` (the number in this system) and ``canonical_name`` (the
    company's name before the system's spelling). :func:`generate_landscape` writes the
    truth of all its systems to ``demo_truth.csv``.
    """

    url: str
    system: str
    seed: int
    lines: int
    rows: Mapping[str, int]
    change_log_rows: int
    seconds: float
    first_day: date
    as_of: date
    next_numbers: Mapping[str, int]
    truth: pd.DataFrame = field(repr=False)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _shape(spec: SourceSystemSpec) -> SystemShape:
    return SystemShape(
        name=spec.name, style=spec.style, overlap=spec.overlap,
        customer_format=spec.customer_format, customer_start=spec.customer_start,
        vendor_format=spec.vendor_format, vendor_start=spec.vendor_start,
        first_day=np.datetime64(spec.first_day, "D"), as_of=np.datetime64(spec.as_of, "D"))


def generate(url: str, lines: int, *, seed: int = 42, system: SourceSystemSpec = CURRENT,
             progress: bool = True, overwrite: bool = False) -> GenerationStats:
    """Generate ``lines`` sales order items of history into the database at ``url``.

    SQLite: the file is built as ``<file>.tmp`` and renamed into place when complete; an
    existing file is an error unless ``overwrite``. PostgreSQL: the schema is migrated, and the
    database must hold no data yet. Raises :class:`GenerationError` for a target or size it
    cannot take.
    """
    if not 1 <= lines <= MAX_LINES:
        raise GenerationError(f"lines must be between 1 and {MAX_LINES:,}, got {lines}")
    if system.as_of <= system.first_day:
        raise GenerationError("as_of must come after first_day")
    started = time.perf_counter()
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise GenerationError(f"the generator writes SQLite or PostgreSQL, not {backend}")
    with _target(parsed, overwrite) as (engine, finish):
        starts = _number_starts(engine, system)
        with tqdm(total=None, unit=" rows", unit_scale=True, disable=not progress,
                  desc=f"{system.name}: simulating", leave=progress) as bar:
            assembly = build_sources(_shape(system), lines, seed, starts)
            total = sum(len(s) for s in assembly.sources if isinstance(s, Rows))
            bar.reset(total=total)
            bar.set_description(f"{system.name}: writing")
            last_seq = _write(engine, assembly.sources, system,
                              next_numbers=assembly.next_numbers, progress=bar.update,
                              status=bar.set_postfix_str)
        finish()
    rows: dict[str, int] = {}
    for source in assembly.sources:
        if isinstance(source, Rows):
            rows[source.table] = rows.get(source.table, 0) + len(source)
    truth = assembly.truth.assign(system_id=system.system_id)
    return GenerationStats(
        url=parsed.render_as_string(hide_password=True), system=system.name, seed=seed,
        lines=lines, rows=rows, change_log_rows=last_seq, seconds=time.perf_counter() - started,
        first_day=system.first_day, as_of=system.as_of, next_numbers=assembly.next_numbers,
        truth=truth)


def generate_landscape(data_dir: Path, lines: int, *, systems: Sequence[str] = ("current",
                       "legacy"), seed: int = 42, progress: bool = True,
                       overwrite: bool = False, first_day: date | None = None,
                       as_of: date | None = None) -> dict[str, GenerationStats]:
    """One SQLite database per system (``oltp_<name>.sqlite``) plus ``demo_truth.csv``.

    Every system gets ``lines`` order items; the shared company pool comes from ``seed``, so
    the systems' customers overlap as the ground truth says. ``first_day``/``as_of`` move the
    history (default: the presets' fixed dates, so the same seed gives the same data).
    """
    if len(set(systems)) != len(systems) or not systems:
        raise GenerationError(f"systems must be distinct and not empty: {list(systems)}")
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    specs = [system_spec(name, i) for i, name in enumerate(systems)]
    specs = [replace(spec, first_day=first_day or spec.first_day, as_of=as_of or spec.as_of)
             for spec in specs]
    paths = [data_dir / f"oltp_{spec.name}.sqlite" for spec in specs]
    existing = [str(path) for path in paths if path.exists()]
    if existing and not overwrite:  # refuse before writing anything
        raise GenerationError(f"{', '.join(existing)} exists")
    result = {}
    for spec, path in zip(specs, paths, strict=True):
        result[spec.name] = generate(f"sqlite:///{path}", lines, seed=seed, system=spec,
                                     progress=progress, overwrite=overwrite)
    truth = pd.concat([s.truth for s in result.values()], ignore_index=True)
    truth.to_csv(data_dir / TRUTH_FILE, index=False)
    return result


# --- the target database --------------------------------------------------------------------


@contextlib.contextmanager
def _target(url: sa.URL, overwrite: bool
            ) -> Iterator[tuple[sa.Engine, Callable[[], None]]]:
    """An engine on a migrated, empty target and a ``finish`` callback to publish it."""
    if url.get_backend_name() == "postgresql":
        upgrade(url)
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                logged = conn.execute(sa.select(change_log_counter.c.last_seq)).scalar()
                customers = conn.execute(sa.select(sa.func.count()).select_from(customer)).scalar()
                if logged or customers:
                    raise GenerationError(f"{url.render_as_string(hide_password=True)} already "
                                          "holds data; generate into an empty database")
            yield engine, lambda: None
        finally:
            engine.dispose()
        return
    if not url.database or url.database == ":memory:":
        raise GenerationError("the generator needs an SQLite file, not an in-memory database")
    path = Path(url.database)
    if path.exists() and not overwrite:
        raise GenerationError(f"{path} exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    _remove(tmp)
    tmp_url = url.set(database=str(tmp))
    _create_sqlite_file(tmp)
    upgrade(tmp_url)
    engine = sa.create_engine(tmp_url)
    published = False

    def finish() -> None:
        nonlocal published
        engine.dispose()
        _remove(path)
        os.replace(tmp, path)
        published = True

    try:
        yield engine, finish
    finally:
        engine.dispose()
        if not published:
            _remove(tmp)


def _create_sqlite_file(path: Path) -> None:
    """An empty SQLite file with 16 KiB pages (fewer, fuller pages make bulk loads faster)."""
    con = sqlite3.connect(path)
    try:
        con.execute(f"PRAGMA page_size = {SQLITE_PAGE_SIZE}")
        con.execute("CREATE TABLE _kubus_page_size (x INTEGER)")
        con.execute("DROP TABLE _kubus_page_size")
        con.commit()
    finally:
        con.close()


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _number_starts(engine: sa.Engine, system: SourceSystemSpec) -> dict[str, int]:
    with engine.connect() as conn:
        current = dict(conn.execute(sa.select(number_range.c.object_type,
                                              number_range.c.next_number)).all())
    starts = {name: int(current.get(name, first)) for name, (first, _) in DEFAULT_RANGES.items()}
    for name, first in system.number_ranges.items():
        if name not in DEFAULT_RANGES:
            raise GenerationError(f"unknown number range {name!r}")
        low, high = DEFAULT_RANGES[name]
        if not low <= first <= high:
            raise GenerationError(f"number range {name}: {first} is outside {low}..{high}")
        starts[name] = max(first, starts[name])
    return starts


def _write(engine: sa.Engine, sources: list[Source], system: SourceSystemSpec, *,
           next_numbers: Mapping[str, int], progress: Callable[[int], None],
           status: Callable[[str], None]) -> int:
    """All rows, the change log, the system row and the number ranges, in one transaction."""
    raw: Any = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        cursor = dbapi.cursor()
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            dbapi.isolation_level = None
            # The file is a temporary one until it is complete: no journal, no syncs.
            # Reads of what was written go through a memory map (no copies into the cache).
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF",
                           f"cache_size=-{SQLITE_CACHE_KIB}", "temp_store=MEMORY",
                           f"threads={SQLITE_SORT_THREADS}",
                           f"mmap_size={SQLITE_MMAP_BYTES}"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.execute("BEGIN")
            last = write_sqlite(dbapi, sources, progress)
            status("indexes and checks")
        else:
            last = write_postgres(dbapi, sources, progress)
        _finish_rows(cursor, system, next_numbers, "?" if sqlite else "%s")
        if sqlite:
            cursor.execute("COMMIT")
            cursor.execute("PRAGMA journal_mode=WAL")
        else:
            dbapi.commit()
        return last
    except BaseException:
        with contextlib.suppress(Exception):
            raw.rollback()
        raise
    finally:
        raw.close()


def _finish_rows(cursor: Any, system: SourceSystemSpec, next_numbers: Mapping[str, int],
                 mark: str) -> None:
    cursor.execute(
        f"UPDATE {system_info.name} SET system_id = {mark}, name = {mark}, company_code = {mark},"
        f" company_currency = {mark}, country = {mark} WHERE id = 1",
        (system.system_id, system.description, system.company_code, system.company_currency,
         system.country))
    for name, value in sorted(next_numbers.items()):
        cursor.execute(f"UPDATE {number_range.name} SET next_number = {mark} "
                       f"WHERE object_type = {mark} AND next_number < {mark}",
                       (value, name, value))
