"""Warehouse load throughput: ``kubus.etl.run_load`` from a SQLite source into DuckDB, a full
load and a delta of changed orders, each against a plain copy of the same rows.

Usage (from the repository root)::

    python bench/bench_etl.py --lines 1000000 --repeat 3 --out docs/bench-etl.md
    python bench/bench_etl.py --oltp var/oltp_current.sqlite --repeat 3

The source is generated with ``kubus.oltp.generator.generate`` (``--lines`` order items, about
two years of history) unless ``--oltp`` names an existing file (copied first: the delta rounds
change it). Full load: a fresh DuckDB warehouse per round, every fact of the source
(extraction, cleansing, global customers, surrogate keys, currency translation, DSO writes,
stock markers, reconciliation). Baseline: the OLTP tables the facts come from (order, delivery,
billing, payment and material-document items, open items, purchase-order items) read with the
same ADBC reader and written with one ``INSERT ... SELECT`` each into plain DuckDB tables. Delta:
per round ``--changes`` orders get one more piece on their first open item (written like the
change service does: item, header and change log in one OLTP transaction; not timed), then a
delta load runs. Its baseline reads those orders' items by the same ``IN`` lists and replaces
them in a plain copy (``DELETE`` + ``INSERT ... SELECT``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kubus.etl.pipeline import run_load  # noqa: E402
from kubus.etl.sources import Source, snapshot  # noqa: E402
from kubus.oltp.changelog import Change, append  # noqa: E402
from kubus.oltp.generator import generate  # noqa: E402
from kubus.oltp.schema import metadata  # noqa: E402
from kubus.oltp.store import open_store, transaction  # noqa: E402

TODAY = dt.date(2025, 12, 19)
COPIED = ("sales_order_item", "delivery_item", "billing_item", "open_item", "payment_item",
          "material_document_item", "purchase_order_item")


def full_load(source: Source, warehouse: Path) -> tuple[float, int]:
    engine = sa.create_engine(f"duckdb:///{warehouse}")
    started = time.perf_counter()
    report = run_load(engine, [source], full=True, today=TODAY)
    seconds = time.perf_counter() - started
    engine.dispose()
    assert report.ok
    return seconds, report.rows


def plain_select(table: str, where: str = "1=1") -> str:
    """``SELECT`` of every column, typed for ADBC like the loader's reads (which infers a
    column's Arrow type from its first values: a NULL there must be ``''``)."""
    columns = []
    for column in metadata.tables[table].columns:
        name = f'"{column.name}"'
        if isinstance(column.type, sa.Numeric) and not isinstance(column.type, sa.Integer):
            columns.append(f"CAST({name} AS DOUBLE PRECISION) AS {name}")
        elif column.nullable and not isinstance(column.type, sa.Integer):
            columns.append(f"COALESCE(CAST({name} AS VARCHAR(20)), '') AS {name}")
        else:
            columns.append(name)
    return f"SELECT {', '.join(columns)} FROM {table} WHERE {where}"


def baseline_full(source: Source, warehouse: Path) -> tuple[float, int]:
    engine = sa.create_engine(f"duckdb:///{warehouse}")
    started = time.perf_counter()
    rows = 0
    with snapshot(source) as reader, engine.begin() as conn:
        raw = conn.connection.driver_connection
        for table in COPIED:
            frame = pa.Table.from_pandas(reader.frame(plain_select(table)),
                                         preserve_index=False)
            raw.register("batch", frame)
            raw.execute(f"CREATE TABLE copy_{table} AS SELECT * FROM batch LIMIT 0")
            raw.execute(f"INSERT INTO copy_{table} SELECT * FROM batch")
            raw.unregister("batch")
            rows += frame.num_rows
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, rows


def change_orders(url: str, n: int, offset: int) -> list[int]:
    """Raise the first open item of ``n`` recent orders by one piece, as the change service
    writes it (item, order header, change log), in one OLTP transaction."""
    engine = open_store(url)
    with transaction(engine) as conn:
        items = conn.exec_driver_sql(
            "SELECT i.order_id, MIN(i.item_no) FROM sales_order_item i "
            "WHERE i.rejection_reason IS NULL GROUP BY i.order_id "
            f"ORDER BY i.order_id DESC LIMIT {int(n)} OFFSET {int(offset)}").all()
        for order_id, item_no in items:
            conn.exec_driver_sql(
                "UPDATE sales_order_item SET quantity = quantity + 1, net_value = net_value "
                "+ net_price WHERE order_id = ? AND item_no = ?", (order_id, item_no))
            conn.exec_driver_sql(
                "UPDATE sales_order SET net_value = (SELECT SUM(net_value) FROM "
                "sales_order_item WHERE order_id = ? AND rejection_reason IS NULL), "
                "version = version + 1 WHERE order_id = ?", (order_id, order_id))
        append(conn, [c for order_id, item_no in items for c in (
            Change("sales_order_item", f"{order_id}/{item_no}", "update"),
            Change("sales_order", str(order_id), "update"))])
    engine.dispose()
    return [int(o) for o, _ in items]


def delta_load(source: Source, engine: sa.Engine) -> tuple[float, int]:
    started = time.perf_counter()
    report = run_load(engine, [source], today=TODAY)
    seconds = time.perf_counter() - started
    assert report.ok and report.sources[0].mode == "delta"
    return seconds, report.rows


def baseline_delta(source: Source, engine: sa.Engine, orders: list[int]) -> tuple[float, int]:
    started = time.perf_counter()
    listed = ", ".join(str(o) for o in orders)
    with snapshot(source) as reader, engine.begin() as conn:
        raw = conn.connection.driver_connection
        frame = pa.Table.from_pandas(reader.frame(
            plain_select("sales_order_item", f"order_id IN ({listed})")),
            preserve_index=False)
        raw.execute(f"DELETE FROM copy_sales_order_item WHERE order_id IN ({listed})")
        raw.register("batch", frame)
        raw.execute("INSERT INTO copy_sales_order_item SELECT * FROM batch")
        raw.unregister("batch")
    return time.perf_counter() - started, frame.num_rows


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order items to generate")
    parser.add_argument("--oltp", type=Path, help="an existing generated SQLite source")
    parser.add_argument("--repeat", type=int, default=3, help="measured rounds")
    parser.add_argument("--changes", type=int, default=1_000, help="changed orders per delta")
    parser.add_argument("--out", type=Path, help="write the results as Markdown here")
    args = parser.parse_args(argv)
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="kubus-bench-etl-") as tmp:
        work = Path(tmp)
        oltp = work / "oltp.sqlite"
        generated = None
        if args.oltp:
            shutil.copyfile(args.oltp, oltp)
        else:
            started = time.perf_counter()
            generate(f"sqlite:///{oltp}", args.lines, seed=7, progress=False)
            generated = time.perf_counter() - started
        source = Source("bench", f"sqlite:///{oltp}")
        full, base = [], []
        rows = copied = 0
        for round_no in range(args.repeat):
            seconds, rows = full_load(source, work / f"full-{round_no}.duckdb")
            full.append(seconds)
            seconds, copied = baseline_full(source, work / f"copy-{round_no}.duckdb")
            base.append(seconds)
            print(f"full round {round_no + 1}: {full[-1]:.1f} s ({rows:,} rows), baseline "
                  f"{base[-1]:.1f} s ({copied:,} rows)", flush=True)
        warehouse = sa.create_engine(f"duckdb:///{work / f'full-{args.repeat - 1}.duckdb'}")
        copy = sa.create_engine(f"duckdb:///{work / f'copy-{args.repeat - 1}.duckdb'}")
        delta, delta_base = [], []
        delta_rows = base_rows = 0
        for round_no in range(args.repeat):
            orders = change_orders(source.url, args.changes, round_no * args.changes)
            seconds, delta_rows = delta_load(source, warehouse)
            delta.append(seconds)
            seconds, base_rows = baseline_delta(source, copy, orders)
            delta_base.append(seconds)
            print(f"delta round {round_no + 1}: {delta[-1]:.2f} s ({delta_rows:,} rows), "
                  f"baseline {delta_base[-1]:.2f} s", flush=True)
        warehouse.dispose()
        copy.dispose()
    table = pd.DataFrame([
        {"load": "full", "rows": rows, "seconds": _median(full), "rows/s": rows / _median(full),
         "baseline rows": copied, "baseline seconds": _median(base),
         "baseline rows/s": copied / _median(base)},
        {"load": f"delta, {args.changes:,} changed orders", "rows": delta_rows,
         "seconds": _median(delta), "rows/s": delta_rows / _median(delta),
         "baseline rows": base_rows, "baseline seconds": _median(delta_base),
         "baseline rows/s": base_rows / _median(delta_base)}])
    table["time / baseline"] = table["seconds"] / table["baseline seconds"]
    print(table.to_string(index=False))
    if args.out:
        command = "python bench/bench_etl.py " + shlex.join(argv if argv is not None
                                                             else sys.argv[1:])
        args.out.write_text(report(command, table, args, generated,
                                   (load_start, os.getloadavg()[0])), encoding="utf-8")
    return 0


def report(command: str, table: pd.DataFrame, args: argparse.Namespace,
           generated: float | None, load: tuple[float, float]) -> str:
    lines = [
        "# Warehouse load benchmark", "",
        f"- Command: `{command}`",
        f"- Date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}",
        f"- Machine: {platform.machine()}, nproc {os.cpu_count()}, {platform.platform()}",
        f"- Python {platform.python_version()}; 1-minute load average {load[0]:.2f} at the "
        f"start and {load[1]:.2f} at the end (other work on the machine slows wall-clock "
        "figures)",
        "- Source: " + (f"`{args.oltp}`" if args.oltp else
                        f"{args.lines:,} generated order items")
        + (f" (generated in {generated:.0f} s)" if generated else "")
        + f"; {args.repeat} measured rounds, medians.", "",
        "| load | rows | seconds | rows/s | baseline rows | baseline seconds | baseline rows/s "
        "| time / baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in table.itertuples(index=False):
        lines.append(f"| {r[0]} | {r[1]:,} | {r[2]:.2f} | {r[3]:,.0f} | {r[4]:,} | {r[5]:.2f} "
                     f"| {r[6]:,.0f} | {r[7]:.2f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
