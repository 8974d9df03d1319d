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

What the ratio compares: the SQL side answers exactly what the API answers (see
:data:`BASELINE`): the rows in the API's order, an aggregation's summary and, for a page, the
number of cells, written the way that was fastest by hand on DuckDB; it fetches every row into
Python. The Kubus side adds HTTP, JSON encoding and decoding and its own Python work.

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
#: What the SQL side computes; printed in the report.
BASELINE = (
    "The hand-written SQL returns the same answer as the API, checked value by value in an "
    "unmeasured first round: cells, members and facts in the API's order (an explicit order, "
    "then the levels' order attributes; facts and pages with a tie-breaker), an "
    "aggregation's summary over the whole cell, and for the paged top 10 the number of "
    "cells (`count(*) OVER ()`). Summaries of aggregates that add up over groups (sums, "
    "counts, `sum(amount) - sum(cost)`, `sum(amount) / sum(quantity)`) are window totals over "
    "the grouped rows in the same statement (`sum(sum(x)) OVER ()`); `count(DISTINCT ...)` "
    "cannot be added up and gets a second statement, which joins only the tables its cut "
    "needs (none for the whole cube). This was the fastest form by hand on DuckDB: "
    "`GROUP BY GROUPING SETS ((keys), ())` or `ROLLUP` were up to twice as slow with "
    "`count(DISTINCT ...)` at 10M facts (DuckDB materialises the input for the distinct "
    "aggregate of each set) and not reliably faster without it; a second statement for "
    "every summary aggregate was slower than the window totals. The totals query is one "
    "statement over the fact table alone.")
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
#: The totals of ALL_AGGREGATES but customer_count over the groups, in this order.
ALL_WINDOWED = ("amount_sum", "quantity_sum", "discount_sum", "margin_sum", "avg_price",
                "fact_count")
ALL_WINDOWED_SQL = """sum(sum(f.amount)) OVER (), sum(sum(f.quantity)) OVER (),
    sum(sum(f.discount)) OVER (), sum(sum(f.amount)) OVER () - sum(sum(f.cost)) OVER (),
    sum(sum(f.amount)) OVER () / sum(sum(f.quantity)) OVER (), sum(count(f.id)) OVER ()"""
FACT_FIELDS = ("date.date", "product.product_code", "product.product_name",
               "customer.customer_code", "customer.customer_name", "channel.channel",
               "quantity", "unit_price", "amount", "discount", "cost", "margin")


@dataclass(frozen=True)
class Answer:
    """What a query returns, read the same way from JSON and from SQL rows."""

    rows: list[tuple[Any, ...]]  # cells, records or members, in order
    summary: tuple[Any, ...] = ()  # aggregation summary, in BenchQuery.summary order
    total: int | None = None  # total_cell_count of an aggregation


@dataclass(frozen=True)
class BenchQuery:
    """One question, asked both ways.

    ``columns`` are the JSON keys of a cell, record or member, in the order of the select list
    of ``sql``. An aggregation's ``summary`` names its aggregates: the first ``windowed`` of
    them are the columns of ``sql`` that follow ``columns`` (window totals, read from the first
    row), the rest the columns of ``summary_sql``. ``paged`` queries end ``sql`` with
    ``count(*) OVER ()``, the total_cell_count of the page; other aggregations count the rows.
    """

    name: str
    endpoint: str  # under /cube/<cube>/: "aggregate", "facts" or "members/<dimension>"
    params: tuple[tuple[str, str], ...]
    columns: tuple[str, ...]
    sql: str
    summary: tuple[str, ...] = ()
    windowed: int = 0
    summary_sql: str | None = None
    paged: bool = False

    @property
    def has_cells(self) -> bool:
        return any(k in ("drilldown", "split") for k, _ in self.params)

    def url_params(self) -> list[tuple[str, str]]:
        return list(self.params)

    def statements(self) -> list[str]:
        return [self.sql] if self.summary_sql is None else [self.sql, self.summary_sql]

    def from_json(self, body: Any) -> Answer:
        if self.endpoint == "aggregate":
            summary = tuple(body["summary"][a] for a in self.summary)
            if not self.has_cells:
                return Answer([], summary)
            return Answer([tuple(cell[c] for c in self.columns) for cell in body["cells"]],
                          summary, body["total_cell_count"])
        records = body if self.endpoint == "facts" else body["data"]
        return Answer([tuple(record[c] for c in self.columns) for record in records])

    def from_sql(self, results: list[list[tuple[Any, ...]]]) -> Answer:
        rows = results[0]
        if self.endpoint != "aggregate":
            return Answer(rows)
        if not self.has_cells:
            return Answer([], tuple(rows[0]))
        width = len(self.columns)
        summary = tuple(rows[0][width:width + self.windowed]) if rows else ()
        if self.summary_sql is not None:
            summary += tuple(results[1][0])
        total = (rows[0][-1] if rows else 0) if self.paged else len(rows)
        return Answer([tuple(r[:width]) for r in rows], summary, total)


QUERIES: tuple[BenchQuery, ...] = (
    BenchQuery(
        "totals (all aggregates)", "aggregate", (),
        (), f"SELECT {ALL_AGGREGATES_SQL} FROM fact_sales f", summary=ALL_AGGREGATES),
    BenchQuery(
        "drilldown year (all aggregates)", "aggregate", (("drilldown", "date:year"),),
        ("date.year", *ALL_AGGREGATES),
        f"""SELECT d.year, {ALL_AGGREGATES_SQL},
            {ALL_WINDOWED_SQL}
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
        GROUP BY d.year ORDER BY d.year""",
        summary=(*ALL_WINDOWED, "customer_count"), windowed=len(ALL_WINDOWED),
        summary_sql="SELECT count(DISTINCT f.customer_key) FROM fact_sales f"),
    BenchQuery(
        f"drilldown category, cut year {YEAR}", "aggregate",
        (("cut", f"date:{YEAR}"), ("drilldown", "product:category"),
         ("aggregates", "amount_sum|quantity_sum|margin_sum")),
        ("product.category", "product.category_name", "amount_sum", "quantity_sum",
         "margin_sum"),
        f"""SELECT p.category, p.category_name, sum(f.amount), sum(f.quantity),
            sum(f.amount) - sum(f.cost),
            sum(sum(f.amount)) OVER (), sum(sum(f.quantity)) OVER (),
            sum(sum(f.amount)) OVER () - sum(sum(f.cost)) OVER ()
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
            JOIN dim_product p ON p.product_key = f.product_key
        WHERE d.year = {YEAR} GROUP BY p.category, p.category_name
        ORDER BY p.category_name""",
        summary=("amount_sum", "quantity_sum", "margin_sum"), windowed=3),
    BenchQuery(
        f"drilldown month x channel, cut year {YEAR}", "aggregate",
        (("cut", f"date:{YEAR}"), ("drilldown", "date:month|channel"),
         ("aggregates", "amount_sum|fact_count")),
        ("date.year", "date.month", "date.month_name", "channel.channel", "channel.channel_name",
         "amount_sum", "fact_count"),
        f"""SELECT d.year, d.month, d.month_name, c.channel, c.channel_name, sum(f.amount),
            count(f.id), sum(sum(f.amount)) OVER (), sum(count(f.id)) OVER ()
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
            JOIN dim_channel c ON c.channel_key = f.channel_key
        WHERE d.year = {YEAR} GROUP BY d.year, d.month, d.month_name, c.channel, c.channel_name
        ORDER BY d.year, d.month, c.channel_name""",
        summary=("amount_sum", "fact_count"), windowed=2),
    BenchQuery(
        "drilldown region > country, cut region EU", "aggregate",
        (("cut", "customer:EU"), ("drilldown", "customer:country"),
         ("aggregates", "amount_sum|customer_count")),
        ("customer.region", "customer.region_name", "customer.country", "customer.country_name",
         "amount_sum", "customer_count"),
        """SELECT cu.region, cu.region_name, cu.country, cu.country_name, sum(f.amount),
            count(DISTINCT f.customer_key), sum(sum(f.amount)) OVER ()
        FROM fact_sales f JOIN dim_customer cu ON cu.customer_key = f.customer_key
        WHERE cu.region = 'EU' GROUP BY cu.region, cu.region_name, cu.country, cu.country_name
        ORDER BY cu.region_name, cu.country_name""",
        summary=("amount_sum", "customer_count"), windowed=1,
        summary_sql="""SELECT count(DISTINCT f.customer_key)
        FROM fact_sales f JOIN dim_customer cu ON cu.customer_key = f.customer_key
        WHERE cu.region = 'EU'"""),
    BenchQuery(
        "drilldown year x category x channel", "aggregate",
        (("drilldown", "date:year|product:category|channel"),
         ("aggregates", "amount_sum|quantity_sum")),
        ("date.year", "product.category", "product.category_name", "channel.channel",
         "channel.channel_name", "amount_sum", "quantity_sum"),
        """SELECT d.year, p.category, p.category_name, c.channel, c.channel_name, sum(f.amount),
            sum(f.quantity), sum(sum(f.amount)) OVER (), sum(sum(f.quantity)) OVER ()
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
            JOIN dim_product p ON p.product_key = f.product_key
            JOIN dim_channel c ON c.channel_key = f.channel_key
        GROUP BY d.year, p.category, p.category_name, c.channel, c.channel_name
        ORDER BY d.year, p.category_name, c.channel_name""",
        summary=("amount_sum", "quantity_sum"), windowed=2),
    BenchQuery(
        f"top 10 customers by amount, cut year {YEAR}", "aggregate",
        (("cut", f"date:{YEAR}"), ("drilldown", "customer:customer"),
         ("aggregates", "amount_sum"), ("order", "amount_sum:desc"),
         ("page", "0"), ("pagesize", "10")),
        ("customer.region", "customer.region_name", "customer.country", "customer.country_name",
         "customer.customer_code", "customer.customer_name", "customer.segment", "amount_sum"),
        f"""SELECT cu.region, cu.region_name, cu.country, cu.country_name, cu.customer_code,
            cu.customer_name, cu.segment, sum(f.amount) AS amount_sum,
            sum(sum(f.amount)) OVER (), count(*) OVER ()
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
            JOIN dim_customer cu ON cu.customer_key = f.customer_key
        WHERE d.year = {YEAR}
        GROUP BY cu.region, cu.region_name, cu.country, cu.country_name, cu.customer_code,
            cu.customer_name, cu.segment
        ORDER BY amount_sum DESC, cu.region_name, cu.country_name, cu.customer_name
        LIMIT 10""",
        summary=("amount_sum",), windowed=1, paged=True),
    BenchQuery(
        f"distinct customers by month, cut year {YEAR}", "aggregate",
        (("cut", f"date:{YEAR}"), ("drilldown", "date:month"),
         ("aggregates", "customer_count")),
        ("date.year", "date.month", "date.month_name", "customer_count"),
        f"""SELECT d.year, d.month, d.month_name, count(DISTINCT f.customer_key)
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
        WHERE d.year = {YEAR} GROUP BY d.year, d.month, d.month_name ORDER BY d.year, d.month""",
        summary=("customer_count",),
        summary_sql=f"""SELECT count(DISTINCT f.customer_key)
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key WHERE d.year = {YEAR}"""),
    BenchQuery(
        "range cut H1 2023, drilldown subcategory", "aggregate",
        (("cut", "date:2023,1-2023,6"), ("drilldown", "product:subcategory"),
         ("aggregates", "amount_sum|discount_sum")),
        ("product.category", "product.category_name", "product.subcategory",
         "product.subcategory_name", "amount_sum", "discount_sum"),
        """SELECT p.category, p.category_name, p.subcategory, p.subcategory_name,
            sum(f.amount), sum(f.discount), sum(sum(f.amount)) OVER (),
            sum(sum(f.discount)) OVER ()
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
            JOIN dim_product p ON p.product_key = f.product_key
        WHERE d.year = 2023 AND d.month BETWEEN 1 AND 6
        GROUP BY p.category, p.category_name, p.subcategory, p.subcategory_name
        ORDER BY p.category_name, p.subcategory_name""",
        summary=("amount_sum", "discount_sum"), windowed=2),
    BenchQuery(
        "members product category", "members/product", (("depth", "1"),),
        ("product.category", "product.category_name"),
        """SELECT p.category, p.category_name
        FROM fact_sales f JOIN dim_product p ON p.product_key = f.product_key
        GROUP BY p.category, p.category_name ORDER BY p.category_name"""),
    BenchQuery(
        "members customer country", "members/customer", (("level", "country"),),
        ("customer.region", "customer.region_name", "customer.country", "customer.country_name"),
        """SELECT cu.region, cu.region_name, cu.country, cu.country_name
        FROM fact_sales f JOIN dim_customer cu ON cu.customer_key = f.customer_key
        GROUP BY cu.region, cu.region_name, cu.country, cu.country_name
        ORDER BY cu.region_name, cu.country_name"""),
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
        ORDER BY f.amount DESC, f.id LIMIT 50 OFFSET 150"""),
    BenchQuery(
        "split channel web, drilldown year", "aggregate",
        (("split", "channel:web"), ("drilldown", "date:year"),
         ("aggregates", "amount_sum|fact_count")),
        ("date.year", "__within_split__", "amount_sum", "fact_count"),
        """SELECT d.year, c.channel = 'web', sum(f.amount), count(f.id),
            sum(sum(f.amount)) OVER (), sum(count(f.id)) OVER ()
        FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key
            JOIN dim_channel c ON c.channel_key = f.channel_key
        GROUP BY d.year, c.channel = 'web' ORDER BY c.channel = 'web', d.year""",
        summary=("amount_sum", "fact_count"), windowed=2),
)


# -- result comparison -------------------------------------------------------------------
def _normal(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _same_value(a: Any, b: Any) -> bool:
    a, b = _normal(a), _normal(b)
    if isinstance(a, float) or isinstance(b, float):
        # DuckDB sums doubles in parallel, so the last bits depend on thread scheduling.
        return (isinstance(a, int | float) and isinstance(b, int | float)
                and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6))
    return bool(a == b)


def _same_row(a: Sequence[Any], b: Sequence[Any]) -> bool:
    return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))


def check_same(query: BenchQuery, http: Answer, sql: Answer) -> None:
    """Raise AssertionError unless both sides gave the same answer: the same rows in the same
    order, the same summary and the same total_cell_count."""
    problem = f"{query.name}: Kubus and SQL disagree"
    assert len(http.rows) == len(sql.rows), (
        f"{problem}: {len(http.rows)} vs {len(sql.rows)} rows")
    for i, (h, s) in enumerate(zip(http.rows, sql.rows, strict=True)):
        assert _same_row(h, s), f"{problem} on row {i}:\n  Kubus {h}\n  SQL   {s}"
    assert _same_row(http.summary, sql.summary), (
        f"{problem} on the summary:\n  Kubus {http.summary}\n  SQL   {sql.summary}")
    assert http.total == sql.total, (
        f"{problem} on total_cell_count: {http.total} vs {sql.total}")


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


def run_http(session: requests.Session, base: str, query: BenchQuery) -> Answer:
    response = session.get(f"{base}/cube/{CUBE}/{query.endpoint}", params=query.url_params(),
                           timeout=600)
    if response.status_code != 200:
        raise RuntimeError(f"{query.name}: HTTP {response.status_code} for {response.url}\n"
                           f"{response.text[:2000]}")
    return query.from_json(response.json())


def run_sql(con: duckdb.DuckDBPyConnection, query: BenchQuery) -> Answer:
    return query.from_sql([con.execute(sql).fetchall() for sql in query.statements()])


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
                    timings[q.name].rows = len(run_sql(con, q).rows) or 1
                    for _ in range(repeat):
                        timings[q.name].sql_ms.append(timed(run_sql, con, q)[0])
                return timings
            shutil.copy(star, server_copy)
            log = workdir / "server.log"
            with kubus_server(server_copy, log, timeout) as base, requests.Session() as session:
                try:
                    for q in QUERIES:  # unmeasured warm-up round, also the sanity check
                        http_answer, sql_answer = run_http(session, base, q), run_sql(con, q)
                        check_same(q, http_answer, sql_answer)
                        timings[q.name].rows = len(sql_answer.rows) or 1
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
              "JSON decoding). SQL: the equivalent hand-written statements on a read-only DuckDB "
              "connection in the benchmark process, rows fetched into Python. Server and "
              "benchmark each open their own copy of the star file, because DuckDB forbids "
              "opening one file from two processes while one of them may write.", "",
              "### What the baseline computes", "", BASELINE, ""]
    for facts in sizes:
        star = DATA_DIR / f"sales_star_{facts}_seed{args.seed}.duckdb"
        if star.exists():
            note = f"Star reused from `{star.relative_to(ROOT)}`."
        else:
            stats = generate_sales_star(star, facts, seed=args.seed)
            note = (f"Star generated in {stats.seconds:.1f} s "
                    f"({stats.file_bytes / 1e6:.0f} MB).")
        print(f"benchmarking {facts:,} facts ...", flush=True)
        load_before = os.getloadavg()[0]
        timings = bench_size(star, args.repeat, args.sql_only, args.server_timeout)
        # Other processes slow both sides, the one with more thread hand-offs (HTTP) more.
        note += (f" 1-minute load average {load_before:.2f} before, "
                 f"{os.getloadavg()[0]:.2f} after (nproc {os.cpu_count()}).")
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
