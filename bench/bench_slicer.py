"""Kubus Slicer API over HTTP vs the same questions as hand-written SQL, on the demo star.

Usage (from the repository root)::

    python bench/bench_slicer.py --facts 1000000 --facts 10000000 --repeat 7 \\
        --out docs/bench-slicer.md

For each fact-table size the script generates the demo star into ``bench/data/`` (git-ignored;
reused when present), starts ``python -m kubus.server.cli serve`` on a free port with the result
cache off, and runs every query of :data:`QUERIES` both through Kubus and as hand-written SQL on
a read-only DuckDB connection in this process. Each query is defined once, URL parameters and
SQL side by side. A first unmeasured round checks that both sides return the same values; then
each repetition runs HTTP, SQL, HTTP, SQL ... so machine noise hits both sides alike.

DuckDB lets only one process open a file once any process holds it read-write, so the server
and this script each get their own copy of the generated file (``shutil.copy``); the generated
file itself stays pristine for reuse.

What the ratio includes: HTTP, JSON encoding and decoding, and the work Cubes semantics add to
an aggregation (Kubus also computes the ``summary`` row and ``total_cell_count``), which the
hand-written SQL skips. The SQL side fetches the same rows into Python.

``--sql-only`` runs only the SQL half (no server), e.g. to check the queries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kubus.etl.demo_star import generate_sales_star  # noqa: E402

MODEL = ROOT / "kubus" / "config" / "models" / "demo_sales.json"
DATA_DIR = ROOT / "bench" / "data"
CUBE = "sales"
YEAR = 2024

# -- the queries -------------------------------------------------------------------------
STAR = """FROM fact_sales f
    JOIN dim_date d ON d.date_key = f.date_key
    JOIN dim_product p ON p.product_key = f.product_key
    JOIN dim_customer cu ON cu.customer_key = f.customer_key
    JOIN dim_channel c ON c.channel_key = f.channel_key"""
ALL_AGGREGATES = ("amount_sum", "quantity_sum", "discount_sum", "margin_sum", "avg_price",
                  "customer_count", "fact_count")
ALL_AGGREGATES_SQL = """sum(f.amount), sum(f.quantity), sum(f.discount),
    sum(f.amount) - sum(f.cost), sum(f.amount) / sum(f.quantity),
    count(DISTINCT f.customer_key), count(f.id)"""
FACT_FIELDS = ("date.date", "product.product_code", "product.product_name",
               "customer.customer_code", "customer.customer_name", "channel.channel",
               "quantity", "unit_price", "amount", "discount", "cost", "margin")


@dataclass(frozen=True)
class BenchQuery:
    """One question, asked both ways.

    ``columns`` are the JSON keys of a result row, in the order of the SQL select list.
    ``ordered_by`` names the column that orders a paged result; rows are otherwise compared as
    multisets, since neither side promises an order.
    """

    name: str
    endpoint: str  # under /cube/<cube>/: "aggregate", "facts" or "members/<dimension>"
    params: tuple[tuple[str, str], ...]
    columns: tuple[str, ...]
    sql: str
    ordered_by: str | None = None

    def url_params(self) -> list[tuple[str, str]]:
        return list(self.params)

    def rows_from_json(self, body: Any) -> list[tuple[Any, ...]]:
        if self.endpoint == "aggregate":
            has_cells = any(k in ("drilldown", "split") for k, _ in self.params)
            records = body["cells"] if has_cells else [body["summary"]]
        elif self.endpoint == "facts":
            records = body
        else:
            records = body["data"]
        return [tuple(record[c] for c in self.columns) for record in records]


QUERIES: tuple[BenchQuery, ...] = (
    BenchQuery(
        "totals (all aggregates)", "aggregate", (),
        ALL_AGGREGATES,
        f"SELECT {ALL_AGGREGATES_SQL} FROM fact_sales f"),
    BenchQuery(
        "drilldown year (all aggregates)", "aggregate", (("drilldown", "date:year"),),
        ("date.year", *ALL_AGGREGATES),
        f"SELECT d.year, {ALL_AGGREGATES_SQL} FROM fact_sales f "
        "JOIN dim_date d ON d.date_key = f.date_key GROUP BY d.year"),
    BenchQuery(
        f"drilldown category, cut year {YEAR}", "aggregate",
        (("cut", f"date:{YEAR}"), ("drilldown", "product:category"),
         ("aggregates", "amount_sum|quantity_sum|margin_sum")),
        ("product.category", "product.category_name", "amount_sum", "quantity_sum",
         "margin_sum"),
        f"""SELECT p.category, p.category_name, sum(f.amount), sum(f.quantity),
            sum(f.amount) - sum(f.cost)
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
            JOIN dim_product p ON p.product_key = f.product_key
        WHERE d.year = {YEAR} GROUP BY p.category, p.category_name"""),
    BenchQuery(
        f"drilldown month x channel, cut year {YEAR}", "aggregate",
        (("cut", f"date:{YEAR}"), ("drilldown", "date:month|channel"),
         ("aggregates", "amount_sum|fact_count")),
        ("date.year", "date.month", "date.month_name", "channel.channel", "channel.channel_name",
         "amount_sum", "fact_count"),
        f"""SELECT d.year, d.month, d.month_name, c.channel, c.channel_name, sum(f.amount),
            count(f.id)
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
            JOIN dim_channel c ON c.channel_key = f.channel_key
        WHERE d.year = {YEAR} GROUP BY d.year, d.month, d.month_name, c.channel, c.channel_name"""),
    BenchQuery(
        "drilldown region > country, cut region EU", "aggregate",
        (("cut", "customer:EU"), ("drilldown", "customer:country"),
         ("aggregates", "amount_sum|customer_count")),
        ("customer.region", "customer.region_name", "customer.country", "customer.country_name",
         "amount_sum", "customer_count"),
        """SELECT cu.region, cu.region_name, cu.country, cu.country_name, sum(f.amount),
            count(DISTINCT f.customer_key)
        FROM fact_sales f JOIN dim_customer cu ON cu.customer_key = f.customer_key
        WHERE cu.region = 'EU' GROUP BY cu.region, cu.region_name, cu.country, cu.country_name"""),
    BenchQuery(
        "drilldown year x category x channel", "aggregate",
        (("drilldown", "date:year|product:category|channel"),
         ("aggregates", "amount_sum|quantity_sum")),
        ("date.year", "product.category", "product.category_name", "channel.channel",
         "channel.channel_name", "amount_sum", "quantity_sum"),
        """SELECT d.year, p.category, p.category_name, c.channel, c.channel_name, sum(f.amount),
            sum(f.quantity)
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
            JOIN dim_product p ON p.product_key = f.product_key
            JOIN dim_channel c ON c.channel_key = f.channel_key
        GROUP BY d.year, p.category, p.category_name, c.channel, c.channel_name"""),
    BenchQuery(
        f"top 10 customers by amount, cut year {YEAR}", "aggregate",
        (("cut", f"date:{YEAR}"), ("drilldown", "customer:customer"),
         ("aggregates", "amount_sum"), ("order", "amount_sum:desc"),
         ("page", "0"), ("pagesize", "10")),
        ("customer.region", "customer.region_name", "customer.country", "customer.country_name",
         "customer.customer_code", "customer.customer_name", "customer.segment", "amount_sum"),
        f"""SELECT cu.region, cu.region_name, cu.country, cu.country_name, cu.customer_code,
            cu.customer_name, cu.segment, sum(f.amount) AS amount_sum
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
            JOIN dim_customer cu ON cu.customer_key = f.customer_key
        WHERE d.year = {YEAR}
        GROUP BY cu.region, cu.region_name, cu.country, cu.country_name, cu.customer_code,
            cu.customer_name, cu.segment
        ORDER BY amount_sum DESC LIMIT 10""",
        ordered_by="amount_sum"),
    BenchQuery(
        f"distinct customers by month, cut year {YEAR}", "aggregate",
        (("cut", f"date:{YEAR}"), ("drilldown", "date:month"),
         ("aggregates", "customer_count")),
        ("date.year", "date.month", "date.month_name", "customer_count"),
        f"""SELECT d.year, d.month, d.month_name, count(DISTINCT f.customer_key)
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
        WHERE d.year = {YEAR} GROUP BY d.year, d.month, d.month_name"""),
    BenchQuery(
        "range cut H1 2023, drilldown subcategory", "aggregate",
        (("cut", "date:2023,1-2023,6"), ("drilldown", "product:subcategory"),
         ("aggregates", "amount_sum|discount_sum")),
        ("product.category", "product.category_name", "product.subcategory",
         "product.subcategory_name", "amount_sum", "discount_sum"),
        """SELECT p.category, p.category_name, p.subcategory, p.subcategory_name,
            sum(f.amount), sum(f.discount)
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
            JOIN dim_product p ON p.product_key = f.product_key
        WHERE d.year = 2023 AND d.month BETWEEN 1 AND 6
        GROUP BY p.category, p.category_name, p.subcategory, p.subcategory_name"""),
    BenchQuery(
        "members product category", "members/product", (("depth", "1"),),
        ("product.category", "product.category_name"),
        """SELECT p.category, p.category_name
        FROM fact_sales f JOIN dim_product p ON p.product_key = f.product_key
        GROUP BY p.category, p.category_name"""),
    BenchQuery(
        "members customer country", "members/customer", (("level", "country"),),
        ("customer.region", "customer.region_name", "customer.country", "customer.country_name"),
        """SELECT cu.region, cu.region_name, cu.country, cu.country_name
        FROM fact_sales f JOIN dim_customer cu ON cu.customer_key = f.customer_key
        GROUP BY cu.region, cu.region_name, cu.country, cu.country_name"""),
    BenchQuery(
        f"facts page 3 x 50, cut month {YEAR}-03, order amount desc", "facts",
        (("cut", f"date:{YEAR},3"), ("fields", ",".join(FACT_FIELDS)),
         ("order", "amount:desc"), ("page", "3"), ("pagesize", "50")),
        ("__fact_key__", *FACT_FIELDS),
        f"""SELECT f.id, d.date, p.product_code, p.product_name, cu.customer_code,
            cu.customer_name, c.channel, f.quantity, f.unit_price, f.amount, f.discount, f.cost,
            f.amount - f.cost
        {STAR}
        WHERE d.year = {YEAR} AND d.month = 3
        ORDER BY f.amount DESC LIMIT 50 OFFSET 150""",
        ordered_by="amount"),
    BenchQuery(
        "split channel web, drilldown year", "aggregate",
        (("split", "channel:web"), ("drilldown", "date:year"),
         ("aggregates", "amount_sum|fact_count")),
        ("date.year", "__within_split__", "amount_sum", "fact_count"),
        """SELECT d.year, c.channel = 'web', sum(f.amount), count(f.id)
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
            JOIN dim_channel c ON c.channel_key = f.channel_key
        GROUP BY d.year, c.channel = 'web'"""),
)


# -- result comparison -------------------------------------------------------------------
def _normal(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        # DuckDB sums doubles in parallel, so the last bits depend on thread scheduling.
        return (isinstance(a, int | float) and isinstance(b, int | float)
                and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6))
    return bool(a == b)


def _sort_key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(str(round(v, 3)) if isinstance(v, float) else str(v) for v in row)


def check_same(query: BenchQuery, http: list[tuple[Any, ...]], sql: list[tuple[Any, ...]]) -> None:
    """Raise AssertionError unless both sides returned the same rows (see BenchQuery)."""
    http = [tuple(_normal(v) for v in row) for row in http]
    sql = [tuple(_normal(v) for v in row) for row in sql]
    problem = f"{query.name}: Kubus and SQL disagree"
    assert len(http) == len(sql), f"{problem}: {len(http)} vs {len(sql)} rows"
    if query.ordered_by is not None:
        at = query.columns.index(query.ordered_by)
        assert all(_same_value(h[at], s[at]) for h, s in zip(http, sql, strict=True)), (
            f"{problem} on the order of {query.ordered_by}")
        # Rows that tie with a page boundary may legitimately differ between the two sides.
        edges = [r[at] for r in (*http[:1], *http[-1:])]
        http = [r for r in http if not any(_same_value(r[at], e) for e in edges)]
        sql = [r for r in sql if not any(_same_value(r[at], e) for e in edges)]
    for h, s in zip(sorted(http, key=_sort_key), sorted(sql, key=_sort_key), strict=True):
        assert len(h) == len(s) and all(_same_value(a, b) for a, b in zip(h, s, strict=True)), (
            f"{problem}:\n  Kubus {h}\n  SQL   {s}")


# -- running -------------------------------------------------------------------------------
@dataclass
class Timing:
    http_ms: list[float]
    sql_ms: list[float]
    rows: int


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def kubus_server(store: Path, log_path: Path, timeout: float) -> Iterator[str]:
    """Run the Kubus CLI on a free port; yield its base URL once /version answers."""
    port = free_port()
    command = [sys.executable, "-m", "kubus.server.cli", "serve", "--model", str(MODEL),
               "--store", f"duckdb:///{store}", "--port", str(port), "--no-result-cache"]
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the server exited with {process.returncode}: "
                                       f"{shlex.join(command)}\n{_tail(log_path)}")
                try:
                    if requests.get(f"{base}/version", timeout=2).ok:
                        break
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no /version after {timeout:.0f} s\n{_tail(log_path)}")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_http(session: requests.Session, base: str, query: BenchQuery) -> list[tuple[Any, ...]]:
    response = session.get(f"{base}/cube/{CUBE}/{query.endpoint}", params=query.url_params(),
                           timeout=600)
    if response.status_code != 200:
        raise RuntimeError(f"{query.name}: HTTP {response.status_code} for {response.url}\n"
                           f"{response.text[:2000]}")
    return query.rows_from_json(response.json())


def run_sql(con: duckdb.DuckDBPyConnection, query: BenchQuery) -> list[tuple[Any, ...]]:
    return con.execute(query.sql).fetchall()


def timed(call: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call(*args)
    return (time.perf_counter() - started) * 1000.0, result


def bench_size(star: Path, repeat: int, sql_only: bool, timeout: float) -> dict[str, Timing]:
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=star.parent))
    try:
        sql_copy = workdir / "sql.duckdb"
        server_copy = workdir / "server.duckdb"
        shutil.copy(star, sql_copy)
        timings = {q.name: Timing([], [], 0) for q in QUERIES}
        con = duckdb.connect(str(sql_copy), read_only=True)
        try:
            if sql_only:
                for q in QUERIES:
                    timings[q.name].rows = len(run_sql(con, q))
                    for _ in range(repeat):
                        timings[q.name].sql_ms.append(timed(run_sql, con, q)[0])
                return timings
            shutil.copy(star, server_copy)
            log = workdir / "server.log"
            with kubus_server(server_copy, log, timeout) as base, requests.Session() as session:
                try:
                    for q in QUERIES:  # unmeasured warm-up round, also the sanity check
                        http_rows, sql_rows = run_http(session, base, q), run_sql(con, q)
                        check_same(q, http_rows, sql_rows)
                        timings[q.name].rows = len(sql_rows)
                    for _ in range(repeat):
                        for q in QUERIES:
                            timings[q.name].http_ms.append(timed(run_http, session, base, q)[0])
                            timings[q.name].sql_ms.append(timed(run_sql, con, q)[0])
                except (RuntimeError, AssertionError) as exc:
                    raise type(exc)(f"{exc}\n--- server log ---\n{_tail(log)}") from exc
        finally:
            con.close()
        return timings
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# -- reporting -----------------------------------------------------------------------------
def machine_info() -> list[str]:
    cpu = platform.machine() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return [
        f"- Machine: {cpu}, nproc {os.cpu_count()}{memory}, {platform.platform()}",
        f"- Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
        f"requests {requests.__version__}",
    ]


def size_report(facts: int, note: str, timings: dict[str, Timing], sql_only: bool) -> list[str]:
    lines = [f"## {facts:,} facts", "", note, ""]
    if sql_only:
        lines += ["| query | rows | SQL median ms |", "|---|---:|---:|"]
        for name, t in timings.items():
            lines.append(f"| {name} | {t.rows} | {statistics.median(t.sql_ms):.1f} |")
        return [*lines, ""]
    lines += ["| query | rows | Kubus HTTP median ms | SQL median ms | Kubus/SQL |",
              "|---|---:|---:|---:|---:|"]
    ratios = []
    for name, t in timings.items():
        http, sql = statistics.median(t.http_ms), statistics.median(t.sql_ms)
        ratios.append(http / sql)
        lines.append(f"| {name} | {t.rows} | {http:.1f} | {sql:.1f} | {http / sql:.2f} |")
    lines += ["", f"Geometric mean Kubus/SQL: **{statistics.geometric_mean(ratios):.2f}**", ""]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=int, action="append",
                        help="fact-table size; repeat for several (default 1000000)")
    parser.add_argument("--repeat", type=int, default=7, help="measured repetitions per query")
    parser.add_argument("--out", type=Path, help="write the markdown report here too")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sql-only", action="store_true", help="run only the SQL half")
    parser.add_argument("--server-timeout", type=float, default=120.0,
                        help="seconds to wait for the server's /version")
    args = parser.parse_args(argv)
    sizes = args.facts or [1_000_000]

    report = ["# Slicer benchmark: Kubus over HTTP vs hand-written SQL", "",
              f"- Command: `{shlex.join(['python', *sys.argv])}`",
              f"- Date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}",
              *machine_info(),
              f"- {args.repeat} measured repetitions after one unmeasured round that also checks "
              "that both sides return the same values; medians in milliseconds.",
              "- Kubus: `python -m kubus.server.cli serve ... --no-result-cache` in its own "
              "process, queried with one keep-alive `requests` session (time includes HTTP and "
              "JSON decoding; an aggregation also computes the summary and total_cell_count). "
              "SQL: the equivalent hand-written query on a read-only DuckDB connection in the "
              "benchmark process, rows fetched into Python. Server and benchmark each open their "
              "own copy of the star file, because DuckDB forbids opening one file from two "
              "processes while one of them may write.", ""]
    for facts in sizes:
        star = DATA_DIR / f"sales_star_{facts}_seed{args.seed}.duckdb"
        if star.exists():
            note = f"Star reused from `{star.relative_to(ROOT)}`."
        else:
            stats = generate_sales_star(star, facts, seed=args.seed)
            note = (f"Star generated in {stats.seconds:.1f} s "
                    f"({stats.file_bytes / 1e6:.0f} MB).")
        print(f"benchmarking {facts:,} facts ...", flush=True)
        timings = bench_size(star, args.repeat, args.sql_only, args.server_timeout)
        section = size_report(facts, note, timings, args.sql_only)
        print("\n".join(section), flush=True)
        report += section
    if args.out:
        out = args.out if args.out.is_absolute() else ROOT / args.out
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(report), encoding="utf-8")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
