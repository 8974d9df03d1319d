"""Joins (alias, master/detail methods, snowflake), naming conventions and aggregate functions
over DuckDB, SQLite and PostgreSQL, against values computed by hand or with ``statistics``.

The data is the aggregate-function fixture of the Slicer spec (§7.5): amounts {10, NULL, 5, 7,
100}, one fact whose product has no dimension row, plus a second date role for alias joins.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import Backend

from kubus.config.settings import ModelSource, Settings, StoreSettings
from kubus.server.workspace import Workspace, quick_aggregate

FACTS = [  # id, product_id, flag, qty, amount, order_day, ship_day
    (1, 1, "x", 1, 10, 1, 2),
    (2, 1, None, 2, None, 1, 3),
    (3, 2, "y", None, 5, 2, 3),
    (4, 3, "x", 3, 7, 2, 2),
    (5, 9, "y", 1, 100, 3, 3),  # product 9 has no dimension row
]
PRODUCTS = [(1, "apple", 10), (2, "pear", 10), (3, "garlic", 20)]
CATEGORIES = [(10, "fruit"), (20, "vegetable")]
DAYS = [(1, "2024-01-01", "Mon"), (2, "2024-01-02", "Tue"), (3, "2024-01-03", "Wed")]

MODEL = {
    "dimensions": [
        {"name": "product", "levels": [
            {"name": "category", "attributes": ["category_name"]},
            {"name": "product", "attributes": ["name"]}]},
        {"name": "flag"},
        {"name": "day", "attributes": ["day", "weekday"]},
    ],
    "cubes": [{
        "name": "sales",
        "dimensions": ["product", "flag", {"name": "day", "alias": "order_day"},
                       {"name": "day", "alias": "ship_day"}],
        "measures": ["amount", "qty"],
        "aggregates": [
            {"name": "amount_sum", "function": "sum", "measure": "amount"},
            {"name": "amount_min", "function": "min", "measure": "amount"},
            {"name": "amount_max", "function": "max", "measure": "amount"},
            {"name": "amount_avg", "function": "avg", "measure": "amount"},
            {"name": "amount_sd", "function": "stddev", "measure": "amount"},
            {"name": "amount_var", "function": "variance", "measure": "amount"},
            {"name": "amount_n", "function": "count_nonempty", "measure": "amount"},
            {"name": "qty_distinct", "function": "count_distinct", "measure": "qty"},
            {"name": "per_qty", "expression": "sum(amount) / sum(qty)"},
            {"name": "count", "function": "count"},
        ],
        "fact": "ft_sales",
        "mappings": {
            "product.category_name": "dm_category.category_name",
            "product.name": "dm_product.name",
            "order_day.day": "od.day", "order_day.weekday": "od.weekday",
            "ship_day.day": "sd.day", "ship_day.weekday": "sd.weekday",
        },
        "joins": [
            {"master": "product_id", "detail": "dm_product.id", "method": "master"},
            {"master": "dm_product.category_id", "detail": "dm_category.id",
             "method": "master"},
            {"master": "order_day", "detail": "dm_day.id", "alias": "od"},
            {"master": "ship_day", "detail": "dm_day.id", "alias": "sd"},
        ],
    }],
}


@pytest.fixture(scope="session")
def workspace(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    md = sa.MetaData()
    ft = sa.Table("ft_sales", md, sa.Column("id", sa.Integer, primary_key=True,
                                             autoincrement=False),
                  sa.Column("product_id", sa.Integer), sa.Column("flag", sa.String),
                  sa.Column("qty", sa.Integer), sa.Column("amount", sa.Integer),
                  sa.Column("order_day", sa.Integer), sa.Column("ship_day", sa.Integer))
    product = sa.Table("dm_product", md, sa.Column("id", sa.Integer, primary_key=True,
                                                   autoincrement=False),
                       sa.Column("name", sa.String), sa.Column("category_id", sa.Integer))
    category = sa.Table("dm_category", md, sa.Column("id", sa.Integer, primary_key=True,
                                                     autoincrement=False),
                        sa.Column("category_name", sa.String))
    day = sa.Table("dm_day", md, sa.Column("id", sa.Integer, primary_key=True,
                                           autoincrement=False),
                   sa.Column("day", sa.String), sa.Column("weekday", sa.String))
    with backend.engine.begin() as conn:
        md.drop_all(conn)
        md.create_all(conn)
        conn.execute(ft.insert(), [dict(zip(ft.c.keys(), row, strict=True)) for row in FACTS])
        conn.execute(product.insert(),
                     [dict(zip(product.c.keys(), r, strict=True)) for r in PRODUCTS])
        conn.execute(category.insert(),
                     [dict(zip(category.c.keys(), r, strict=True)) for r in CATEGORIES])
        conn.execute(day.insert(), [dict(zip(day.c.keys(), r, strict=True)) for r in DAYS])
    path = Path(tmp_path_factory.mktemp("model")) / "model.json"
    path.write_text(json.dumps(MODEL))
    ws = Workspace.from_settings(Settings(
        stores={"default": StoreSettings(name="default", url=backend.url)},
        models=(ModelSource(path=path),)))
    yield ws
    ws.close()


AMOUNTS = [10, 5, 7, 100]  # NULL ignored: standard SQL semantics (documented deviation)


def test_aggregate_functions_use_sql_null_semantics(workspace: Workspace) -> None:
    s = quick_aggregate(workspace.browser("sales")).summary
    assert s["amount_sum"] == 122 and s["count"] == 5 and s["amount_n"] == 4
    assert s["amount_min"] == 5 and s["amount_max"] == 100
    assert s["amount_avg"] == pytest.approx(statistics.mean(AMOUNTS))
    assert s["amount_sd"] == pytest.approx(statistics.stdev(AMOUNTS))
    assert s["amount_var"] == pytest.approx(statistics.variance(AMOUNTS))
    assert s["qty_distinct"] == 3
    assert s["per_qty"] == pytest.approx(122 / 7)  # true division on every backend


def test_master_join_keeps_facts_without_dimension_row(workspace: Workspace) -> None:
    r = quick_aggregate(workspace.browser("sales"), drilldown="product",
                        aggregates=["count", "amount_sum"])
    cells = {c["product.category_name"]: (c["count"], c["amount_sum"]) for c in r.cells}
    assert cells == {None: (1, 100), "fruit": (3, 15), "vegetable": (1, 7)}
    assert r.cells[0]["product.category_name"] is None  # NULLs first in ascending order


def test_snowflake_joins_only_needed_tables(workspace: Workspace) -> None:
    browser = workspace.browser("sales")
    quick_aggregate(browser, drilldown="flag", aggregates=["count"])
    sql = browser.timings[-1].sql.lower()
    assert "dm_product" not in sql and "dm_category" not in sql and "dm_day" not in sql
    r = quick_aggregate(workspace.browser("sales"), cut="product:fruit,pear",
                        aggregates=["amount_sum"])
    assert r.summary["amount_sum"] == 5


def test_aliased_roles_of_one_dimension_table(workspace: Workspace) -> None:
    r = quick_aggregate(workspace.browser("sales"), drilldown=["order_day", "ship_day"],
                        aggregates=["count"])
    got = {(c["order_day.day"], c["ship_day.day"]): c["count"] for c in r.cells}
    expected: dict[tuple[str, str], int] = {}
    day = {d[0]: d[1] for d in DAYS}
    for f in FACTS:
        key = (day[f[5]], day[f[6]])
        expected[key] = expected.get(key, 0) + 1
    assert got == expected


def test_null_cuts(workspace: Workspace) -> None:
    browser = workspace.browser("sales")
    assert quick_aggregate(browser, cut="flag:__null__", aggregates=["count"]).summary == \
        {"count": 1}
    assert quick_aggregate(workspace.browser("sales"), cut="!flag:__null__",
                           aggregates=["count"]).summary == {"count": 4}


def test_summary_of_non_decomposable_aggregates_with_null_keys(workspace: Workspace,
                                                               backend: Backend) -> None:
    """avg and count_distinct cannot be added up over the cells: PostgreSQL gets cells and
    summary from one GROUPING SETS statement, the others from two; a real group whose key is
    NULL (the product without a dimension row) must stay a cell either way."""
    browser = workspace.browser("sales")
    r = quick_aggregate(browser, drilldown="product",
                        aggregates=["amount_avg", "qty_distinct", "amount_sum"])
    cells = {c["product.category_name"]: (c["amount_avg"], c["qty_distinct"], c["amount_sum"])
             for c in r.cells}
    assert cells == {None: (100, 1, 100), "fruit": (7.5, 2, 15), "vegetable": (7, 1, 7)}
    assert r.cells[0]["product.category_name"] is None
    assert r.total_cell_count == 3
    assert r.summary == {"amount_avg": pytest.approx(30.5), "qty_distinct": 3,
                         "amount_sum": 122}
    purposes = [t.purpose for t in browser.timings]
    assert purposes == (["cells"] if backend.name == "postgres" else ["cells", "summary"])
    r = quick_aggregate(workspace.browser("sales"), drilldown="flag",
                        aggregates=["qty_distinct", "count"])
    assert [(c["flag"], c["qty_distinct"], c["count"]) for c in r.cells] == [
        (None, 1, 1), ("x", 2, 2), ("y", 1, 2)]
    assert r.summary == {"qty_distinct": 3, "count": 5} and r.total_cell_count == 3
    empty = quick_aggregate(workspace.browser("sales"), cut="flag:nothing", drilldown="product",
                            aggregates=["qty_distinct", "amount_avg"])
    assert empty.cells == [] and empty.total_cell_count == 0
    assert empty.summary == {"qty_distinct": 0, "amount_avg": None}
