"""One cube suite over DuckDB, SQLite and PostgreSQL: the sales star against a pandas oracle.

The star comes from the demo generator (small), is copied into each backend, and every query
runs through the Python API (Workspace → Browser → SQL). Expected values are computed
independently with pandas over the same rows.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import REPO_ROOT, Backend

from kubus.config.settings import ModelSource, Settings, StoreSettings
from kubus.etl.demo_star import generate_sales_star
from kubus.model.errors import ArgumentError, HierarchyError, NoSuchAttributeError, UserError
from kubus.server.workspace import Workspace, quick_aggregate

FACTS = 20_000
TABLES = ("dim_date", "dim_product", "dim_customer", "dim_channel", "fact_sales")
MODEL = REPO_ROOT / "kubus" / "config" / "models" / "demo_sales.json"


@pytest.fixture(scope="session")
def star_frames(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    path = tmp_path_factory.mktemp("star") / "star.duckdb"
    generate_sales_star(path, FACTS, seed=7, progress=False)
    engine = sa.create_engine(f"duckdb:///{path}")
    with engine.connect() as conn:
        frames = {t: pd.read_sql(f"SELECT * FROM {t}", conn) for t in TABLES}
    engine.dispose()
    return frames


@pytest.fixture(scope="session")
def sales(backend: Backend, star_frames: dict[str, pd.DataFrame]) -> Workspace:
    with backend.engine.begin() as conn:
        for name, frame in star_frames.items():
            frame.to_sql(name, conn, if_exists="replace", index=False, chunksize=5_000)
    settings = Settings(stores={"default": StoreSettings(name="default", url=backend.url)},
                        models=(ModelSource(path=Path(MODEL)),))
    workspace = Workspace.from_settings(settings)
    yield workspace
    workspace.close()


@pytest.fixture(scope="session")
def oracle(star_frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The denormalised facts: the independent side of every comparison."""
    f = star_frames["fact_sales"]
    for dim, key in (("dim_date", "date_key"), ("dim_product", "product_key"),
                     ("dim_customer", "customer_key"), ("dim_channel", "channel_key")):
        f = f.merge(star_frames[dim], on=key, how="inner")
    return f


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def agg(ws: Workspace, **kw: object):
    return quick_aggregate(ws.browser("sales"), **kw)  # type: ignore[arg-type]


def test_totals(sales: Workspace, oracle: pd.DataFrame) -> None:
    summary = agg(sales).summary
    assert summary["fact_count"] == len(oracle)
    assert close(summary["amount_sum"], oracle.amount.sum())
    assert summary["quantity_sum"] == int(oracle.quantity.sum())
    assert summary["customer_count"] == oracle.customer_key.nunique()
    assert close(summary["margin_sum"], oracle.amount.sum() - oracle.cost.sum())
    assert close(summary["avg_price"], oracle.amount.sum() / oracle.quantity.sum())


def test_drilldown_year_matches_oracle_and_natural_order(sales: Workspace,
                                                         oracle: pd.DataFrame) -> None:
    result = agg(sales, drilldown="date")
    expected = oracle.groupby("year").agg(amount=("amount", "sum"), n=("id", "count"))
    assert [c["date.year"] for c in result.cells] == sorted(expected.index.tolist())
    for cell in result.cells:
        row = expected.loc[cell["date.year"]]
        assert close(cell["amount_sum"], row.amount) and cell["fact_count"] == row.n
    assert result.total_cell_count == len(expected)


def test_drilldown_with_point_and_set_cuts(sales: Workspace, oracle: pd.DataFrame) -> None:
    result = agg(sales, cut=["date:2024", "channel:web;phone"], drilldown="date:month",
                 aggregates=["amount_sum", "customer_count"])
    subset = oracle[(oracle.year == 2024) & oracle.channel.isin(["web", "phone"])]
    expected = subset.groupby("month").agg(amount=("amount", "sum"),
                                           customers=("customer_key", "nunique"))
    assert [c["date.month"] for c in result.cells] == expected.index.tolist()
    for cell in result.cells:
        row = expected.loc[cell["date.month"]]
        assert close(cell["amount_sum"], row.amount)
        assert cell["customer_count"] == row.customers
    assert result.summary["customer_count"] == subset.customer_key.nunique()


def test_hierarchical_range_and_inverted_cut(sales: Workspace, oracle: pd.DataFrame) -> None:
    result = agg(sales, cut=["date:2023,6-2024,2", "!channel:web"], drilldown="date")
    ym = oracle.year * 100 + oracle.month
    subset = oracle[(ym >= 202306) & (ym <= 202402) & (oracle.channel != "web")]
    assert result.summary["fact_count"] == len(subset)
    assert {c["date.year"]: c["fact_count"] for c in result.cells} == \
        subset.groupby("year").size().to_dict()


@pytest.mark.parametrize(("cut", "low", "high"), [
    ("date:2023,1-2023,6", (2023, 1, 1), (2023, 6, 31)),  # shared year: year = 2023 AND ...
    ("date:2023,3-2023", (2023, 3, 1), (2023, 12, 31)),  # the upper bound is the prefix
    ("date:2023-2023,2", (2023, 1, 1), (2023, 2, 31)),  # the lower bound is the prefix
    ("date:2023,2,10-2023,3,5", (2023, 2, 10), (2023, 3, 5)),  # shared year only
    ("date:2023,11-2024,2", (2023, 11, 1), (2024, 2, 31)),  # nothing shared
    ("date:2024,3,7-2024,3,7", (2024, 3, 7), (2024, 3, 7)),  # one day
])
def test_range_cuts_with_a_shared_prefix(sales: Workspace, oracle: pd.DataFrame, cut: str,
                                         low: tuple[int, int, int],
                                         high: tuple[int, int, int]) -> None:
    browser = sales.browser("sales")
    result = quick_aggregate(browser, cut=cut, drilldown="date:month",
                             aggregates=["fact_count", "customer_count"])
    ymd = oracle.year * 10_000 + oracle.month * 100 + oracle.day
    subset = oracle[(ymd >= low[0] * 10_000 + low[1] * 100 + low[2])
                    & (ymd <= high[0] * 10_000 + high[1] * 100 + high[2])]
    assert result.summary["fact_count"] == len(subset)
    assert result.summary["customer_count"] == subset.customer_key.nunique()
    assert {(c["date.year"], c["date.month"]): c["fact_count"] for c in result.cells} == \
        subset.groupby(["year", "month"]).size().to_dict()
    if cut == "date:2023,1-2023,6":  # the shared prefix is an equality, not alternatives
        sql = browser.timings[0].sql.lower()
        assert "dim_date.year = 2023" in sql and " or " not in sql


def test_inverted_range_cut_keeps_the_lexicographic_form(sales: Workspace,
                                                         oracle: pd.DataFrame) -> None:
    # Under NOT, "year = 2023 AND month >= 1 ..." and the alternatives differ where a key is
    # NULL (NULL vs FALSE), so an inverted range is not rewritten.
    browser = sales.browser("sales")
    result = quick_aggregate(browser, cut="!date:2023,1-2023,6", aggregates=["fact_count"])
    ym = oracle.year * 100 + oracle.month
    assert result.summary["fact_count"] == int(((ym < 202301) | (ym > 202306)).sum())
    assert " or " in browser.timings[0].sql.lower()


def test_three_dimensions_top_n_paging(sales: Workspace, oracle: pd.DataFrame) -> None:
    result = agg(sales, cut="date:2025", drilldown="customer:customer",
                 aggregates=["amount_sum"], order="amount_sum:desc", page=1, page_size=5)
    subset = oracle[oracle.year == 2025]
    per_customer = subset.groupby("customer_code").amount.sum().sort_values(ascending=False)
    expected = per_customer.iloc[5:10]
    assert all(close(c["amount_sum"], v) for c, v in zip(result.cells, expected, strict=True))
    assert result.total_cell_count == len(per_customer)
    assert close(result.summary["amount_sum"], subset.amount.sum())


def test_split(sales: Workspace, oracle: pd.DataFrame) -> None:
    browser = sales.browser("sales")
    from kubus.model.cut_grammar import parse_cell, parse_drilldown
    from kubus.model.query import prepare_aggregate

    split = browser.cell(parse_cell("channel:web"))
    query = prepare_aggregate(browser.cube, browser.cell(()), aggregates=["fact_count"],
                              drilldown=parse_drilldown("date"), split=split)
    result = browser.aggregate(query)
    got = {(c["date.year"], c["__within_split__"]): c["fact_count"] for c in result.cells}
    expected = oracle.groupby(["year", oracle.channel == "web"]).size().to_dict()
    assert got == {(y, bool(w)): n for (y, w), n in expected.items()}
    assert result.cells[0]["__within_split__"] is False


def test_members_and_facts(sales: Workspace, oracle: pd.DataFrame) -> None:
    browser = sales.browser("sales")
    from kubus.model.cut_grammar import parse_cell
    from kubus.model.query import Page, prepare_facts, prepare_members

    members = browser.members(prepare_members(browser.cube, browser.cell(()), "product",
                                              depth=1))
    assert [m["product.category"] for m in members] == sorted(oracle.category.unique())
    cell = browser.cell(parse_cell("date:2024,3"))
    facts = browser.facts(prepare_facts(browser.cube, cell,
                                        fields=["date.day", "amount", "channel.channel"],
                                        order=[("amount", "desc")], page=Page(1, 10)))
    rows = list(facts.rows)
    subset = oracle[(oracle.year == 2024) & (oracle.month == 3)]
    expected = subset.sort_values(["amount", "id"], ascending=[False, True]).iloc[10:20]
    assert [r["__fact_key__"] for r in rows] == expected.id.tolist()
    record = browser.fact(str(rows[0]["__fact_key__"]))
    assert record is not None and close(record["amount"], rows[0]["amount"])


def test_cell_details(sales: Workspace, oracle: pd.DataFrame) -> None:
    browser = sales.browser("sales")
    from kubus.model.cut_grammar import parse_cell

    row = oracle.iloc[0]
    details = browser.cell_details(browser.cell(parse_cell(
        f"product:{row.category},{row.subcategory}")))
    levels = details[0]["details"]
    assert levels[0]["_key"] == row.category and levels[0]["_label"] == row.category_name
    assert levels[1]["_key"] == row.subcategory


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"drilldown": "nosuch"}, UserError),
    ({"drilldown": "date@nosuch"}, UserError),
    ({"drilldown": "date:nosuch"}, HierarchyError),
    ({"aggregates": ["nosuch"]}, NoSuchAttributeError),
    ({"order": "nosuch"}, NoSuchAttributeError),
    ({"drilldown": "product:product"}, ArgumentError),  # high cardinality without paging
    ({"cut": "date:2024,1,1,1"}, HierarchyError),
    ({"cut": "date:abc"}, ArgumentError),  # not an integer year
])
def test_bad_queries_are_user_errors(sales: Workspace, kwargs: dict[str, object],
                                     error: type[Exception]) -> None:
    with pytest.raises(error):
        agg(sales, **kwargs)


def test_aggregate_as_facts_field_is_a_user_error(sales: Workspace) -> None:
    browser = sales.browser("sales")
    from kubus.model.query import prepare_facts

    with pytest.raises(ArgumentError, match="is an aggregate"):
        prepare_facts(browser.cube, browser.cell(()), fields=["amount_sum"])
