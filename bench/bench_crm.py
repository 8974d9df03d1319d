"""RFM at scale: the vectorised, tie-safe scoring vs plain SQL NTILE and a per-customer loop.

Usage (from the repository root)::

    python bench/bench_crm.py --customers 100000 --lines 2000000 --repeat 3 --out docs/bench-crm.md

Builds a DuckDB warehouse (``kubus.etl.warehouse_schema``) in a temporary folder with
``--lines`` order lines (1-5 lines per order, Zipf-skewed customers, four years of order dates)
and one billing line per order, then measures in the same run (medians of ``--repeat``):

* ``rfm`` — what the job does for RFM: one aggregate SQL read (one row per customer) and
  :func:`kubus.etl.crm.rfm.score_rfm` (numpy ranks, tie-safe);
* ``job`` — the whole ``run_customer_analytics`` (RFM, CLV, churn, rewrite of ``fact_customer``
  and ``dim_customer.segment`` in one transaction);
* baseline ``ntile`` — the same aggregate with ``NTILE(5)`` windows in SQL (fast, but splits
  equal values across buckets: the report counts the customers it scores differently and the
  tie groups it splits);
* baseline ``loop`` — the per-order rows read into pandas and a Python loop over
  ``groupby('customer_key')`` computing R, F, M per customer, then ``qcut`` on ranks (run once,
  on ``--loop-customers`` customers: it is slow);
* stock: ``build_stock_snapshot`` over 2024 for ``--products`` x 2 plants from
  ``--movements`` movements, against a plain ``INSERT ... SELECT`` copy of the same rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kubus.etl.crm.job import _read_measures, run_customer_analytics  # noqa: E402
from kubus.etl.crm.rfm import score_rfm  # noqa: E402
from kubus.etl.stock import build_stock_snapshot  # noqa: E402
from kubus.etl.warehouse_schema import metadata  # noqa: E402

KEY_DATE = dt.date(2024, 12, 31)
FIRST_DAY = dt.date(2021, 1, 1)
PERIOD_DAYS = 365


def date_keys(days: np.ndarray) -> np.ndarray:
    stamps = pd.to_datetime(FIRST_DAY) + pd.to_timedelta(days, unit="D")
    return (stamps.year * 10000 + stamps.month * 100 + stamps.day).to_numpy(np.int64)


def build(path: Path, customers: int, lines: int, seed: int) -> dict[str, int]:
    """Fill a fresh warehouse file; returns row counts."""
    creator = sa.create_engine(f"duckdb:///{path}")
    metadata.create_all(creator)
    creator.dispose()
    rng = np.random.default_rng(seed)
    per_order = rng.integers(1, 6, size=lines)             # 1..5 lines, mean 3
    ends = np.cumsum(per_order)
    per_order = per_order[ends <= lines]
    orders = per_order.size
    weights = 1.0 / np.arange(1, customers + 1) ** 0.8
    cdf = np.cumsum(weights) / weights.sum()
    cust = np.searchsorted(cdf, rng.random(orders)).astype(np.int64) + 1
    span = (KEY_DATE - FIRST_DAY).days + 1
    day = rng.integers(0, span, size=orders)
    order_key = date_keys(day)
    order_id = np.arange(1, orders + 1)
    item_order = np.repeat(order_id, per_order)
    starts = np.repeat(np.cumsum(per_order) - per_order, per_order)
    item_no = np.arange(item_order.size) - starts + 1
    value = np.round(rng.lognormal(4.0, 1.0, size=item_order.size), 2)
    items = pa.table({
        "source_key": np.ones(item_order.size, np.int32), "order_id": item_order,
        "item_no": item_no.astype(np.int32),
        "order_date_key": np.repeat(order_key, per_order).astype(np.int32),
        "customer_key": np.repeat(cust, per_order).astype(np.int32),
        "currency": np.full(item_order.size, "EUR"),
        "net_value": value, "net_value_gc": value,
        "line_count": np.ones(item_order.size, np.int16),
        "order_first_line": (item_no == 1).astype(np.int16)})
    order_value = np.bincount(item_order - 1, weights=value)
    billing = pa.table({
        "source_key": np.ones(orders, np.int32), "billing_id": order_id,
        "item_no": np.ones(orders, np.int32),
        "billing_date_key": date_keys(np.minimum(day + 5, span - 1)).astype(np.int32),
        "customer_key": cust.astype(np.int32), "currency": np.full(orders, "EUR"),
        "net_value": np.round(order_value, 2), "net_value_gc": np.round(order_value, 2),
        "cost": np.round(order_value * 0.7, 2), "cost_gc": np.round(order_value * 0.7, 2)})
    since = pd.to_datetime("2018-01-01") + pd.to_timedelta(
        rng.integers(0, 3 * 365, size=customers), unit="D")
    dims = pa.table({"customer_key": np.arange(1, customers + 1, dtype=np.int32),
                     "global_id": [f"G-{i:06d}" for i in range(1, customers + 1)],
                     "customer_since": since.date})
    con = duckdb.connect(str(path))
    try:
        for table, data in (("fact_order_item", items), ("fact_billing_item", billing),
                            ("dim_customer", dims)):
            con.register("_chunk", data)
            cols = ", ".join(data.column_names)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _chunk")
            con.unregister("_chunk")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {"order lines": item_order.size, "orders": orders, "customers": customers}


def timed(run: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def frame_of(engine: sa.Engine, sql: str) -> pd.DataFrame:
    """Columnar fetch (DuckDB ``.df()``), as the job does, so both sides read alike."""
    with engine.connect() as conn:
        return conn.connection.driver_connection.execute(sql).df()


def rfm_vectorised(engine: sa.Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        measures = _read_measures(conn, KEY_DATE, PERIOD_DAYS)
    return score_rfm(measures)


NTILE_SQL = f"""
WITH orders AS (
    SELECT customer_key, source_key, order_id, MIN(order_date_key) AS d,
           SUM(net_value_gc) AS v
    FROM fact_order_item
    WHERE rejected = 0 AND customer_key <> 0 AND order_date_key BETWEEN 1 AND {{key}}
    GROUP BY customer_key, source_key, order_id
), m AS (
    SELECT customer_key, MAX(d) AS last_d,
           SUM(CASE WHEN d > {{period_from}} THEN 1 ELSE 0 END) AS frequency,
           ROUND(SUM(CASE WHEN d > {{period_from}} THEN v ELSE 0 END), 2) AS monetary
    FROM orders GROUP BY customer_key
)
SELECT customer_key, frequency, monetary,
       DATE '{KEY_DATE.isoformat()}' - strptime(CAST(last_d AS VARCHAR), '%Y%m%d')::DATE
           AS recency_days,
       NTILE(5) OVER (ORDER BY last_d) AS r_score,
       NTILE(5) OVER (ORDER BY frequency) AS f_score,
       NTILE(5) OVER (ORDER BY monetary) AS m_score
FROM m ORDER BY customer_key
"""


def rfm_ntile(engine: sa.Engine) -> pd.DataFrame:
    period_from = int((pd.Timestamp(KEY_DATE) - pd.Timedelta(days=PERIOD_DAYS))
                      .strftime("%Y%m%d"))
    sql = NTILE_SQL.format(key=int(KEY_DATE.strftime("%Y%m%d")), period_from=period_from)
    return frame_of(engine, sql)


def rfm_loop(engine: sa.Engine, limit: int) -> pd.DataFrame:
    """The naive recipe on customers ``1..limit``: per-order rows, a Python loop per customer,
    ``qcut`` on ranks."""
    key = int(KEY_DATE.strftime("%Y%m%d"))
    sql = ("SELECT customer_key, order_id, MIN(order_date_key) AS d, SUM(net_value_gc) AS v "
           f"FROM fact_order_item WHERE rejected = 0 AND customer_key BETWEEN 1 AND {limit} "
           f"AND order_date_key BETWEEN 1 AND {key} GROUP BY customer_key, order_id")
    orders = frame_of(engine, sql)
    orders["date"] = pd.to_datetime(orders["d"].astype(str), format="%Y%m%d")
    since = pd.Timestamp(KEY_DATE) - pd.Timedelta(days=PERIOD_DAYS)
    rows = []
    for customer, group in orders.groupby("customer_key"):
        recent = group[group["date"] > since]
        rows.append((customer, (pd.Timestamp(KEY_DATE) - group["date"].max()).days,
                     len(recent), round(float(recent["v"].sum()), 2)))
    frame = pd.DataFrame(rows, columns=["customer_key", "recency_days", "frequency",
                                        "monetary"])
    for column, sign in (("recency_days", -1), ("frequency", 1), ("monetary", 1)):
        ranks = (sign * frame[column]).rank(method="first")
        frame[column[0] + "_score"] = pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]).astype(int)
    return frame


def differs(frame: pd.DataFrame) -> int:
    """Customers whose scores differ from the tie-safe rule applied to the same measures."""
    reference = score_rfm(frame[["recency_days", "frequency", "monetary"]])
    columns = ["r_score", "f_score", "m_score"]
    return int((frame[columns].to_numpy() != reference[columns].to_numpy()).any(axis=1).sum())


def split_ties(frame: pd.DataFrame) -> int:
    """Tie groups (equal value) spread over more than one score, over R, F and M."""
    total = 0
    for value, score in (("recency_days", "r_score"), ("frequency", "f_score"),
                         ("monetary", "m_score")):
        total += int((frame.groupby(value)[score].nunique() > 1).sum())
    return total


def build_stock(path: Path, products: int, movements: int, seed: int) -> None:
    """Movements over one year for ``products`` products in 2 plants, plus their markers."""
    rng = np.random.default_rng(seed + 1)
    product = rng.integers(1, products + 1, size=movements).astype(np.int32)
    plant = rng.integers(1, 3, size=movements).astype(np.int32)
    inflow = np.where(rng.random(movements) < 0.3, rng.integers(1, 100, movements), 0)
    outflow = np.where(inflow == 0, rng.integers(1, 40, movements), 0)
    day = rng.integers(0, 365, size=movements)
    data = pa.table({
        "source_key": np.ones(movements, np.int32), "mat_doc_id": np.arange(1, movements + 1),
        "item_no": np.ones(movements, np.int32),
        "posting_date_key": date_keys(day + 3 * 365 + 1).astype(np.int32),   # 2024
        "product_key": product, "plant_key": plant,
        "inflow_qty": inflow.astype(np.float64), "outflow_qty": outflow.astype(np.float64),
        "value_gc": (inflow + outflow) * 2.5})
    con = duckdb.connect(str(path))
    try:
        con.register("_chunk", data)
        cols = ", ".join(data.column_names)
        con.execute(f"INSERT INTO fact_stock_movement ({cols}) SELECT {cols} FROM _chunk")
        con.unregister("_chunk")
        con.execute("""INSERT INTO stock_marker (source_key, product_key, plant_key, marker_qty)
                       SELECT source_key, product_key, plant_key,
                              10000 + SUM(inflow_qty - outflow_qty)
                       FROM fact_stock_movement GROUP BY 1, 2, 3""")
    finally:
        con.close()


def copy_snapshot(engine: sa.Engine) -> int:
    """Baseline: a plain INSERT ... SELECT copy of the snapshot's rows into a scratch table."""
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS scratch_stock_daily")
        conn.exec_driver_sql("CREATE TABLE scratch_stock_daily AS "
                             "SELECT * FROM fact_stock_daily LIMIT 0")
        conn.exec_driver_sql("INSERT INTO scratch_stock_daily SELECT * FROM fact_stock_daily")
        return int(conn.exec_driver_sql("SELECT count(*) FROM scratch_stock_daily").scalar_one())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--loop-customers", type=int, default=10_000,
                        help="customers the slow per-customer loop baseline scores")
    parser.add_argument("--products", type=int, default=2_000,
                        help="products (in 2 plants) of the stock snapshot part")
    parser.add_argument("--movements", type=int, default=1_000_000,
                        help="stock movements of the stock snapshot part (one year)")
    parser.add_argument("--out", type=Path, help="write the results as Markdown here")
    args = parser.parse_args(argv)
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "warehouse.duckdb"
        build_seconds, counts = timed(lambda: build(path, args.customers, args.lines, args.seed))
        engine = sa.create_engine(f"duckdb:///{path}")
        times: dict[str, list[float]] = {"rfm": [], "job": [], "ntile": []}
        for _ in range(args.repeat):
            t, ours = timed(lambda: rfm_vectorised(engine))
            times["rfm"].append(t)
            t, ntile = timed(lambda: rfm_ntile(engine))
            times["ntile"].append(t)
            t, _ = timed(lambda: run_customer_analytics(engine, KEY_DATE))
            times["job"].append(t)
        loop_seconds, loop = timed(lambda: rfm_loop(engine, args.loop_customers))
        engine.dispose()
        build_stock(path, args.products, args.movements, args.seed)
        engine = sa.create_engine(f"duckdb:///{path}")
        snap: dict[str, list[float]] = {"snapshot": [], "copy": []}
        for _ in range(args.repeat):
            t, snap_rows = timed(lambda: build_stock_snapshot(
                engine, dt.date(2024, 1, 1), dt.date(2024, 12, 31)))
            snap["snapshot"].append(t)
            t, copied = timed(lambda: copy_snapshot(engine))
            snap["copy"].append(t)
        engine.dispose()
    assert snap_rows == copied
    assert isinstance(ours, pd.DataFrame) and isinstance(ntile, pd.DataFrame)
    assert isinstance(loop, pd.DataFrame) and isinstance(counts, dict)
    load_end = os.getloadavg()[0]
    results = {  # name: (seconds, customers scored, scored differently, tie groups split)
        "rfm": (statistics.median(times["rfm"]), len(ours), 0, split_ties(ours)),
        "job": (statistics.median(times["job"]), len(ours), 0, split_ties(ours)),
        "ntile": (statistics.median(times["ntile"]), len(ntile), differs(ntile),
                  split_ties(ntile)),
        "loop": (loop_seconds, len(loop), differs(loop), split_ties(loop)),
    }
    labels = {"rfm": "`rfm` (aggregate SQL + numpy ranks)",
              "job": "`job` (RFM + CLV + churn + rewrite)",
              "ntile": "baseline: SQL `NTILE(5)`",
              "loop": f"baseline: pandas loop per customer (customers 1..{args.loop_customers:,}"
                      ", 1 run)"}
    rows = ["| method | customers | median s | customers/s | s per customer vs `rfm` | "
            "scored unlike the tie-safe rule | tie groups split |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    per_customer = results["rfm"][0] / results["rfm"][1]
    for name, (seconds, n, diff, split) in results.items():
        rows.append(f"| {labels[name]} | {n:,} | {seconds:.2f} | {n / seconds:,.0f} | "
                    f"{seconds / n / per_customer:.2f} | {diff:,} | {split:,} |")
    scored_n = len(ours)
    snapshot_s, copy_s = (statistics.median(snap[k]) for k in ("snapshot", "copy"))
    rows += ["", "| stock snapshot, 2024 (366 days) | rows | median s | rows/s | time vs copy |",
             "|---|---:|---:|---:|---:|",
             f"| `build_stock_snapshot` ({args.movements:,} movements, "
             f"{args.products:,} products x 2 plants) | {snap_rows:,} | {snapshot_s:.2f} | "
             f"{int(snap_rows) / snapshot_s:,.0f} | {snapshot_s / copy_s:.2f} |",
             f"| baseline: plain `INSERT ... SELECT` copy of the same rows | {copied:,} | "
             f"{copy_s:.2f} | {int(copied) / copy_s:,.0f} | 1.00 |"]
    table = "\n".join(rows)
    print(f"built {counts} in {build_seconds:.1f} s")
    print(table)
    if args.out:
        command = "python bench/bench_crm.py " + shlex.join(sys.argv[1:] if argv is None
                                                            else argv)
        args.out.write_text(report(command, table, args, counts, scored_n,
                                   (load_start, load_end)), encoding="utf-8")
    return 0


def report(command: str, table: str, args: argparse.Namespace, counts: dict[str, int],
           scored: int, load: tuple[float, float]) -> str:
    return f"""# CRM benchmark: RFM scoring and the stock snapshot at scale

- Command: `{command}`
- Date: {dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
- Machine: {platform.processor() or platform.machine()}, nproc {os.cpu_count()}, \
{platform.platform()}
- Python {platform.python_version()}, DuckDB {duckdb.__version__}, pandas {pd.__version__};
  1-minute load average {load[0]:.2f} at the start and {load[1]:.2f} at the end (other work on
  the machine slows the wall-clock figures; compare the ratios)
- Warehouse: DuckDB file, {counts['order lines']:,} order lines in {counts['orders']:,} orders
  of {counts['customers']:,} customers (Zipf-skewed), one billing line per order, key date
  {KEY_DATE}; {scored:,} customers have orders and are scored. Medians of {args.repeat} runs
  (the loop baseline runs once).

{table}

Reading the figures:

- `rfm` is the RFM part of the job: one aggregate query (one row per customer) and the
  tie-safe quintiles in numpy. `job` adds the CLV curves (order days and billing days per
  customer), the churn indicators and the rewrite of `fact_customer` and
  `dim_customer.segment` in one transaction.
- `NTILE(5)` is about as fast but deals equal values into different buckets: F has few
  distinct values, so the tie groups at the quintile boundaries are large and a big share of
  the customers gets a different code than the tie-safe rule gives them ("scored unlike");
  "split" counts the tie groups spread over more than one score. Which customer of a tie
  group lands in which bucket is not even defined (the count changes from run to run). That
  is why the job ranks in numpy.
- The per-customer loop gives the same kind of wrong answers (`qcut` on `rank(method=
  "first")` breaks ties by position) and is the slowest by far, per customer.
- Stock snapshot: the daily closing stock, inflow and outflow of every (product, plant) for
  every day of 2024, rebuilt set-based from the markers (backwards running sums over window
  functions) and written in one transaction, against copying the same number of rows with a
  plain `INSERT ... SELECT` (the least any rebuild of that table costs).
"""


if __name__ == "__main__":
    sys.exit(main())
