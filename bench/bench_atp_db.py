"""ATP over the OLTP database: one order-entry check, and a 100,000-line backorder run.

Usage (from the repository root)::

    python bench/bench_atp_db.py --out docs/bench-atp.md

1. **One order-entry ATP check** for a material with 1,000 supply/demand elements in the
   database (stock, 400 purchase-order schedule lines, 599 confirmed sales-order schedule lines
   over three years, entered with the OLTP services). Timed: ``AtpChecker.check`` inside a
   write transaction after locking the ``material_plant`` row, as order entry calls it (master
   data, element load, scheduling, ATP, the ``atp_check`` record and its change-log row), and
   the whole ``create_sales_order`` of a one-item order; each run is rolled back so the element
   count stays 1,000. Baseline in the same run: the default ``StockOnlyChecker``. Median.
   SQLite always; PostgreSQL too when ``KUBUS_TEST_POSTGRES_URL`` is set.
2. **A backorder run over 100,000 open schedule lines** in SQLite (83,334 items, a fifth of
   them with a second line; 60 % fully, 20 % half, 20 % not confirmed; supply 95 % of demand;
   requested dates from 5 days of backlog to 120 days ahead; shipping point and route with lead
   times, so the run schedules). Written in bulk (plain inserts: generating 100,000 lines
   through order entry would take minutes). Timed end to end: ``run_backorder`` dry run, and
   applied (on a fresh copy of the file each time). Baseline: the pure in-memory
   ``reschedule`` over the same items and timelines (built from the same database, untimed),
   to show what the database adds. Median of ``--repeat`` runs.

The appended section of ``--out`` is replaced on the next run (between the markers); run it
after ``bench/bench_atp.py``, which rewrites the whole file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kubus.oltp import masterdata as md  # noqa: E402
from kubus.oltp.availability import AvailabilityRequest, StockOnlyChecker  # noqa: E402
from kubus.oltp.migrate import upgrade  # noqa: E402
from kubus.oltp.schema import (  # noqa: E402
    material_plant,
    number_range,
    sales_order,
    sales_order_item,
    sales_order_schedule_line,
)
from kubus.oltp.services.inventory import (  # noqa: E402
    InitialStockInput,
    StockEntry,
    post_initial_stock,
)
from kubus.oltp.services.purchasing import (  # noqa: E402
    PurchaseOrderInput,
    PurchaseOrderItemInput,
    create_purchase_order,
)
from kubus.oltp.services.sales import (  # noqa: E402
    OrderItemInput,
    SalesOrderInput,
    create_sales_order,
)
from kubus.oltp.stock import lock_material_plants  # noqa: E402
from kubus.oltp.store import open_store, transaction  # noqa: E402
from kubus.scheduling.backorder import reschedule  # noqa: E402
from kubus.scheduling.calendar import FactoryCalendar  # noqa: E402
from kubus.scheduling.delivery import Route, ShippingPoint, backward_many, forward_many  # noqa: E402
from kubus.scheduling.oltp_backorder import backorder_inputs, run_backorder  # noqa: E402
from kubus.scheduling.oltp_checker import AtpChecker  # noqa: E402
from kubus.scheduling.oltp_master import CheckingGroupRule  # noqa: E402

TODAY = date(2024, 3, 4)
AREA = ("1000", "10", "00")
BEGIN = "<!-- bench_atp_db: begin -->"
END = "<!-- bench_atp_db: end -->"
PICK, LOAD, TRANSIT, LEAD = 1, 1, 2, 1
# The data set's shortages are the point: check without replenishment lead time (with it,
# the one day of GR processing time would confirm everything after tomorrow in full).
RULES = {"*": CheckingGroupRule(use_rlt=False)}


def master_records(materials: list[str], customers: int) -> list[object]:
    rng = np.random.default_rng(5)
    records: list[object] = [
        md.Currency("EUR", "Euro"), md.SalesArea(*AREA, "Germany"),
        md.PaymentTerms("NT30", "net 30", 0, Decimal(0), 30),
        md.TaxRate("DE", "1", "1", "A1", Decimal(19)),
        md.FactoryCalendar("DE", "Mon-Fri"), md.Plant("1000", "Hamburg", "DE", "DE"),
        md.StorageLocation("1000", "0001"),
        md.ShippingPoint("1000", "1000", "Dock", "DE", departure_zone="DE-N",
                         loading_days=Decimal(LOAD), pick_pack_days=Decimal(PICK)),
        md.Route("R1", "Hamburg - Berlin", Decimal(TRANSIT), "DE",
                 transport_lead_days=Decimal(LEAD)),
        md.RouteDetermination("DE-N", "DE", "Z-BER", "01", "0001", "R1"),
        md.Vendor("V1", "Vendor", "DE", "EUR", "NT30")]
    for n in range(customers):
        customer = f"C{n:04d}"
        records += [md.Customer(customer, customer, "DE", transport_zone="Z-BER"),
                    md.CustomerSalesArea(customer, *AREA, currency="EUR", payment_terms="NT30",
                                         delivery_priority=int(rng.integers(1, 4)),
                                         delivering_plant="1000"),
                    *md.partners(customer, AREA)]
    for material in materials:
        records += [md.Material(material, material),
                    md.MaterialPlant(material, "1000", Decimal(1), gr_processing_days=1),
                    md.SalesPrice(material, "1000", "10", "EUR", date(2024, 1, 1), Decimal(2))]
    return records


def median(samples: list[float]) -> float:
    return statistics.median(samples)


# -- 1. one check ----------------------------------------------------------------------------


def check_database(url: str, seed: int) -> sa.Engine:
    """Material MB: stock, 400 PO schedule lines, 599 confirmed order lines = 1,000 elements."""
    upgrade(url)
    engine = open_store(url)
    md.create(engine, master_records(["MB"], 20))
    rng = np.random.default_rng(seed)
    post_initial_stock(engine, InitialStockInput((StockEntry("MB", "1000", "0001",
                                                             Decimal(60_000)),)),
                       posting_date=TODAY - timedelta(days=30))
    offsets = rng.permutation(np.arange(1, 3 * 365))
    po_days = sorted(int(o) for o in offsets[:400])
    schedule = tuple((TODAY + timedelta(days=o), Decimal(int(rng.integers(50, 400))))
                     for o in po_days)
    create_purchase_order(engine, PurchaseOrderInput("V1", (PurchaseOrderItemInput(
        "MB", "1000", sum((q for _, q in schedule), Decimal(0)), schedule[0][0],
        net_price=Decimal(1), schedule=schedule),)), today=TODAY - timedelta(days=30))
    stock_only = StockOnlyChecker()
    for o in offsets[400:999]:
        create_sales_order(engine, SalesOrderInput(
            f"C{int(rng.integers(0, 20)):04d}", TODAY + timedelta(days=int(o)),
            (OrderItemInput("MB", Decimal(int(rng.integers(10, 150)))),)),
            today=TODAY - timedelta(days=20), checker=stock_only)
    return engine


def bench_check(engine: sa.Engine, runs: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    requests = [AvailabilityRequest("MB", "1000", Decimal(int(q)), TODAY + timedelta(days=int(o)),
                                    TODAY, customer_id="C0001")
                for q, o in zip(rng.integers(10, 3000, 16), rng.integers(5, 900, 16),
                                strict=True)]
    atp, stock_only = AtpChecker(), StockOnlyChecker()
    with engine.connect() as conn:  # the element count the timed checks see
        assert len(atp.evaluate(conn, requests[:1])) == 1

    def check_once(checker: object, i: int) -> float:
        with engine.connect() as conn:
            tx = conn.begin()
            try:
                start = time.perf_counter()
                lock_material_plants(conn, [("MB", "1000")])
                checker.check(conn, requests[i % len(requests)])  # type: ignore[attr-defined]
                return time.perf_counter() - start
            finally:
                tx.rollback()

    def order_once(checker: object, i: int) -> float:
        request = requests[i % len(requests)]
        with engine.connect() as conn:
            tx = conn.begin()
            try:
                start = time.perf_counter()
                create_sales_order(conn, SalesOrderInput("C0001", request.requested_date, (
                    OrderItemInput("MB", request.quantity),)), today=TODAY,
                    checker=checker)  # type: ignore[arg-type]
                return time.perf_counter() - start
            finally:
                tx.rollback()

    result = {}
    for name, fn in (("check", check_once), ("order", order_once)):
        for checker in (atp, stock_only):
            for i in range(20):  # warm-up
                fn(checker, i)
        samples: dict[str, list[float]] = {"atp": [], "stock": []}
        for i in range(runs):  # alternate, so that machine noise hits both alike
            samples["atp"].append(fn(atp, i))
            samples["stock"].append(fn(stock_only, i))
        for label, values in samples.items():
            result[f"{name}_{label}"] = median(values) * 1e3
    return result


# -- 2. backorder run ------------------------------------------------------------------------


def backorder_database(path: Path, materials: int, lines: int, seed: int) -> dict[str, int]:
    """The 100,000-line data set, written in bulk (see the module docstring)."""
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = open_store(url)
    names = [f"B{m:05d}" for m in range(materials)]
    md.create(engine, master_records(names, 50))
    rng = np.random.default_rng(seed)
    two_line_share = 0.2
    items = round(lines / (1 + two_line_share))
    two = lines - items
    material = np.sort(rng.integers(0, materials, items))
    qty = rng.integers(1, 21, items)
    calendar = FactoryCalendar.monday_to_friday()
    today = np.datetime64(TODAY, "D")
    rdd = calendar.add_workdays_array(today + rng.integers(-5, 121, items), 0)
    sp = ShippingPoint(PICK, LOAD, calendar)
    route = Route(TRANSIT, LEAD, calendar)
    back = backward_many(rdd, sp, route)
    kind = rng.permutation(np.r_[np.zeros(items - two - int(0.2 * items), np.int8),
                                 np.ones(two, np.int8), np.full(int(0.2 * items), 2, np.int8)])
    # kind 0: fully confirmed on line 1; 1: half on line 1, half on a later line 2; 2: none.
    first = np.where(kind == 0, qty, np.where(kind == 1, qty // 2, 0))
    second_mad = calendar.add_workdays_array(np.maximum(back.mad, today)
                                             + rng.integers(5, 31, items), 0)
    fwd = forward_many(second_mad, sp, route, today=TODAY)
    order_of = rng.permutation(items) // 4
    item_no = np.zeros(items, dtype=np.int64)
    seen: dict[int, int] = {}
    for n, o in enumerate(order_of.tolist()):
        seen[o] = seen.get(o, 0) + 1
        item_no[n] = 10 * seen[o]
    customers = rng.integers(0, 50, len(seen))
    created = today - rng.integers(0, 60, len(seen))
    priority = dict(zip(*_priorities(engine), strict=True))
    headers = [{
        "order_id": o + 1, "order_type": "OR", "sales_org": AREA[0],
        "distribution_channel": AREA[1], "division": AREA[2],
        "sold_to": f"C{int(customers[o]):04d}", "ship_to": f"C{int(customers[o]):04d}",
        "bill_to": f"C{int(customers[o]):04d}", "payer": f"C{int(customers[o]):04d}",
        "order_date": created[o].item(), "requested_delivery_date": TODAY,
        "currency": "EUR", "payment_terms": "NT30", "shipping_conditions": "01",
        "delivery_priority": priority[f"C{int(customers[o]):04d}"],
        "complete_delivery": False, "partial_delivery": "", "customer_reference": "",
        "channel": "", "net_value": Decimal(0), "version": 1} for o in range(len(seen))]
    rdd_dates = rdd.tolist()
    item_rows, line_rows = [], []
    dates = {name: getattr(back, name).tolist() for name in ("mad", "tpd", "load", "gi")}
    fdates = {name: getattr(fwd, name).tolist() for name in ("mad", "tpd", "load", "gi",
                                                             "delivery")}
    for n in range(items):
        o, no = int(order_of[n]) + 1, int(item_no[n])
        item_rows.append({
            "order_id": o, "item_no": no, "material_id": names[int(material[n])],
            "plant": "1000", "storage_location": None, "shipping_point": "1000",
            "route": "R1", "item_category": "TAN", "quantity": Decimal(int(qty[n])),
            "unit": "PC", "net_price": Decimal(2), "net_value": Decimal(2 * int(qty[n])),
            "tax_code": "A1", "tax_rate": Decimal(19), "requested_delivery_date": rdd_dates[n],
            "rejection_reason": None})
        line_rows.append({
            "order_id": o, "item_no": no, "line_no": 1, "delivery_date": rdd_dates[n],
            "requested_qty": Decimal(int(qty[n])), "confirmed_qty": Decimal(int(first[n])),
            "material_availability_date": dates["mad"][n],
            "transportation_planning_date": dates["tpd"][n], "loading_date": dates["load"][n],
            "goods_issue_date": dates["gi"][n]})
        if kind[n] == 1:
            line_rows.append({
                "order_id": o, "item_no": no, "line_no": 2,
                "delivery_date": fdates["delivery"][n], "requested_qty": Decimal(0),
                "confirmed_qty": Decimal(int(qty[n] - first[n])),
                "material_availability_date": fdates["mad"][n],
                "transportation_planning_date": fdates["tpd"][n],
                "loading_date": fdates["load"][n], "goods_issue_date": fdates["gi"][n]})
    confirmed = np.bincount(material, weights=np.where(kind == 2, 0, qty), minlength=materials)
    demand = np.bincount(material, weights=qty, minlength=materials)
    with transaction(engine) as conn:
        conn.execute(sales_order.insert(), headers)
        conn.execute(sales_order_item.insert(), item_rows)
        conn.execute(sales_order_schedule_line.insert(), line_rows)
        conn.execute(sa.update(number_range).where(number_range.c.object_type == "sales_order")
                     .values(next_number=len(seen) + 1))
        conn.execute(sa.update(material_plant).where(
            material_plant.c.material_id == sa.bindparam("m")).values(
            open_confirmed_qty=sa.bindparam("q")),
            [{"m": names[m], "q": Decimal(int(confirmed[m]))} for m in range(materials)])
    supply = demand * 0.95
    post_initial_stock(engine, InitialStockInput(tuple(
        StockEntry(names[m], "1000", "0001", Decimal(max(1, int(supply[m] * 0.4))))
        for m in range(materials))), posting_date=TODAY - timedelta(days=30))
    po_items = []
    for m in range(materials):
        receipts = max(1, int(supply[m] * 0.55) // 20)
        days = sorted({int(x) for x in rng.integers(0, 120, 20)})
        po_items.append(PurchaseOrderItemInput(
            names[m], "1000", Decimal(receipts * len(days)), TODAY,
            net_price=Decimal(1), schedule=tuple((TODAY + timedelta(days=x), Decimal(receipts))
                                                 for x in days)))
    for start in range(0, len(po_items), 500):
        create_purchase_order(engine, PurchaseOrderInput("V1", tuple(po_items[start:start + 500])),
                              today=TODAY - timedelta(days=30))
    engine.dispose()
    return {"items": items, "lines": len(line_rows), "materials": materials}


def _priorities(engine: sa.Engine) -> tuple[list[str], list[int]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT customer_id, delivery_priority FROM customer_sales_area")).all()
    return [r[0] for r in rows], [int(r[1]) for r in rows]


@contextmanager
def copy_of(base: Path) -> Iterator[sa.Engine]:
    directory = Path(tempfile.mkdtemp(prefix="kubus-bo-"))
    path = directory / "run.sqlite"
    shutil.copyfile(base, path)
    engine = open_store(f"sqlite:///{path}")
    try:
        yield engine
    finally:
        engine.dispose()
        shutil.rmtree(directory, ignore_errors=True)


def bench_backorder(base: Path, repeat: int) -> dict[str, float | int | dict[str, float]]:
    with copy_of(base) as engine:
        inputs = backorder_inputs(engine, today=TODAY, checking_rules=RULES)
        dry = []
        report = None
        for _ in range(repeat):
            start = time.perf_counter()
            report = run_backorder(engine, today=TODAY, checking_rules=RULES)
            dry.append(time.perf_counter() - start)
        assert report is not None
        pure = []
        pure_report = None
        for _ in range(repeat):
            gc.disable()  # as run_backorder does: same conditions for the baseline
            try:
                start = time.perf_counter()
                pure_report = reschedule(inputs.items, inputs.supply, today=TODAY,
                                         rlt_end=inputs.rlt_end)
                pure.append(time.perf_counter() - start)
            finally:
                gc.enable()
        assert pure_report is not None and len(pure_report.changes) == len(report.changes)
    applied = []
    timings: dict[str, float] = {}
    written = 0
    for _ in range(repeat):
        with copy_of(base) as engine:
            start = time.perf_counter()
            done = run_backorder(engine, today=TODAY, dry_run=False, checking_rules=RULES)
            applied.append(time.perf_counter() - start)
            written = done.lines_updated + done.lines_inserted
            timings = dict(done.timings)
            assert len(done.changes) == len(report.changes)
    return {"dry": median(dry), "apply": median(applied), "pure": median(pure),
            "changes": len(report.changes), "items": report.items_checked,
            "lines": report.lines_selected, "written": written,
            "inserted": report.lines_inserted, "timings": timings}


# -- report ----------------------------------------------------------------------------------


def postgres_engine(base_url: str, seed: int) -> tuple[sa.Engine, Callable[[], None]]:
    name = f"kubus_bench_atp_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    engine = check_database(url, seed)

    def drop() -> None:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return engine, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="timed checks per variant")
    parser.add_argument("--repeat", type=int, default=3, help="backorder runs per variant")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--materials", type=int, nargs="+", default=[1000, 10, 1],
                        help="data-set shapes: the 100,000 lines spread over this many materials")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, help="append/replace the figures in this file")
    args = parser.parse_args()
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    work = Path(tempfile.mkdtemp(prefix="kubus-bench-atp-"))
    try:
        checks: list[tuple[str, dict[str, float]]] = []
        engine = check_database(f"sqlite:///{work / 'check.sqlite'}", args.seed)
        checks.append(("SQLite (file, WAL)", bench_check(engine, args.runs, args.seed)))
        engine.dispose()
        pg = os.environ.get("KUBUS_TEST_POSTGRES_URL")
        if pg:
            engine, drop = postgres_engine(pg, args.seed)
            try:
                checks.append(("PostgreSQL", bench_check(engine, args.runs, args.seed)))
            finally:
                drop()
        for backend, figures in checks:
            print(f"{backend}: check ATP {figures['check_atp']:.2f} ms, stock-only "
                  f"{figures['check_stock']:.2f} ms; order ATP {figures['order_atp']:.2f} ms, "
                  f"stock-only {figures['order_stock']:.2f} ms", flush=True)
        runs = []
        for materials in args.materials:
            base = work / f"backorder-{materials}.sqlite"
            started_at = time.perf_counter()
            shape = backorder_database(base, materials, args.lines, args.seed)
            print(f"data set {materials} materials: {shape} in "
                  f"{time.perf_counter() - started_at:.1f} s", flush=True)
            figures = bench_backorder(base, args.repeat)
            print(f"backorder {materials} materials: {figures}", flush=True)
            runs.append((shape, figures))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = report(args, started, checks, runs)
    print(text)
    if args.out:
        previous = args.out.read_text() if args.out.exists() else ""
        if BEGIN in previous and END in previous:
            head, rest = previous.split(BEGIN, 1)
            previous = head.rstrip() + "\n" + rest.split(END, 1)[1].lstrip("\n")
        args.out.write_text(previous.rstrip() + "\n\n" + text)


def report(args: argparse.Namespace, started: str,
           checks: list[tuple[str, dict[str, float]]],
           runs: list[tuple[dict[str, int], dict[str, float | int | dict[str, float]]]]) -> str:
    command = "python bench/bench_atp_db.py " + " ".join(
        [f"--runs {args.runs}", f"--repeat {args.repeat}",
         *([f"--out {args.out}"] if args.out else [])])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        BEGIN, "## ATP over the database (`bench/bench_atp_db.py`)", "",
        f"- Command: `{command}`" + (" with `KUBUS_TEST_POSTGRES_URL` set" if len(checks) > 1
                                     else ""),
        f"- Date: {started}; 1-minute load average {load:.2f} at the end",
        f"- Machine: {platform.machine()}, nproc {os.cpu_count()}, {platform.platform()}",
        f"- Python {platform.python_version()}, numpy {np.__version__}, "
        f"SQLAlchemy {sa.__version__}; seed {args.seed}", "",
        "### One order-entry ATP check, material with 1,000 supply/demand elements", "",
        "Material with stock, 400 purchase-order schedule lines and 599 confirmed sales-order "
        "schedule lines over three years (entered with the services). *Check*: "
        "`checker.check()` in a write transaction after locking the `material_plant` row, "
        "as order entry calls it; for `AtpChecker` that is master data and calendars, the "
        "element load (one statement), scheduling, ATP and the `atp_check` record with its "
        "change-log row. *Order*: the whole `create_sales_order` of a one-item order. "
        f"Each run is rolled back (the material keeps 1,000 elements); median of "
        f"{args.runs} runs per variant, the two checkers alternating.", "",
        "| backend | AtpChecker check ms | StockOnlyChecker check ms | order with AtpChecker "
        "ms | order with StockOnlyChecker ms |", "|---|---:|---:|---:|---:|"]
    for backend, f in checks:
        lines.append(f"| {backend} | {f['check_atp']:.2f} | {f['check_stock']:.2f} | "
                     f"{f['order_atp']:.2f} | {f['order_stock']:.2f} |")
    lines += [
        "", "### Backorder run over 100,000 open schedule lines (SQLite)", "",
        "Bulk-written data set (see the module docstring): 83,333 open items, a fifth with two "
        "schedule lines; supply 95 % of demand; shipping point 1 + 1 days, route 2 + 1 days; "
        "checked without replenishment lead time. "
        "*DB dry run* and *DB apply*: `run_backorder` end to end (apply on a fresh copy of "
        "the file each time: reads, rescheduling, schedule-line layout, `executemany` "
        f"updates and inserts, open quantities, change log, commit). *Pure*: "
        "`reschedule()` over the same items and timelines in memory (built from the same "
        f"database, untimed). Median of {args.repeat} runs; goal ≤ 10 s.", "",
        "| materials | items | schedule lines | changed items | lines written | DB dry run s "
        "| DB apply s | pure reschedule s | apply / pure |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for shape, f in runs:
        lines.append(
            f"| {shape['materials']:,} | {f['items']:,} | {f['lines']:,} | {f['changes']:,} | "
            f"{f['written']:,} | {f['dry']:.2f} | {f['apply']:.2f} | {f['pure']:.2f} | "
            f"{float(f['apply']) / float(f['pure']):.1f}x |")
    lines += ["", "Where an applied run spends its time (last run): "]
    for shape, f in runs:
        timings = f["timings"]
        assert isinstance(timings, dict)
        lines.append(f"- {shape['materials']:,} materials: " + ", ".join(
            f"{name} {seconds:.2f} s" for name, seconds in timings.items()))
    lines += [
        "", "How to read it: a check through the database costs the element load (one "
        "`UNION ALL` statement over stock, purchase orders, requisitions, sales-order lines "
        "and deliveries), the master-data reads and the record; the ATP arithmetic itself is "
        "tens of microseconds (first section of this file). In a backorder run the database "
        "adds reading the lines, turning them into item objects, laying the changed "
        "confirmations out as schedule lines and writing them; `check` in the breakdown is "
        "the pure `reschedule`. The machine is shared, so figures move by about ±30 % between "
        "runs.", END, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
