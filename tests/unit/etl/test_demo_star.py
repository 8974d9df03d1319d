"""The demo star generator: shape, key integrity, determinism, skew, atomic writes, model."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

import kubus.config
from kubus.etl import demo_star
from kubus.etl.demo_star import StarStats, ensure_demo_star, generate_sales_star

FACTS = 20_000
MODEL_PATH = Path(kubus.config.__file__).parent / "models" / "demo_sales.json"
Star = tuple[Path, StarStats]  # the generated file and what the generator reported
PRIMARY_KEYS = {
    "dim_date": "date_key",
    "dim_product": "product_key",
    "dim_customer": "customer_key",
    "dim_channel": "channel_key",
    "fact_sales": "id",
}


@pytest.fixture(scope="module")
def star(tmp_path_factory: pytest.TempPathFactory) -> Star:
    path = tmp_path_factory.mktemp("star") / "sales.duckdb"
    return path, generate_sales_star(path, FACTS, seed=42, progress=False)


@pytest.fixture
def con(star: Star) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(star[0]), read_only=True)
    yield connection
    connection.close()


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def checksum(path: Path) -> str:
    """SHA-256 over every table's rows in primary-key order (independent of the generator)."""
    digest = hashlib.sha256()
    with duckdb.connect(str(path), read_only=True) as con:
        for table, key in PRIMARY_KEYS.items():
            frame = con.execute(f"SELECT * FROM {table} ORDER BY {key}").df()
            digest.update(",".join(frame.columns).encode())
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def test_row_counts(star: Star, con: duckdb.DuckDBPyConnection) -> None:
    _, stats = star
    expected = {"dim_date": 1461, "dim_product": 2000, "dim_customer": 50_000,
                "dim_channel": 7, "fact_sales": FACTS}
    assert dict(stats.rows) == expected
    for table, rows in expected.items():
        assert scalar(con, f"SELECT count(*) FROM {table}") == rows
    assert stats.file_bytes == star[0].stat().st_size
    assert not star[0].with_name(star[0].name + ".tmp").exists()


def test_primary_keys_are_unique(con: duckdb.DuckDBPyConnection) -> None:
    for table, key in PRIMARY_KEYS.items():
        assert scalar(con, f"SELECT count(DISTINCT {key}) = count(*) FROM {table}") is True
    constraints = con.execute(
        "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
    ).fetchall()
    assert {t for (t,) in constraints} == set(PRIMARY_KEYS)


@pytest.mark.parametrize(("dimension", "key"), [
    ("dim_date", "date_key"), ("dim_product", "product_key"),
    ("dim_customer", "customer_key"), ("dim_channel", "channel_key"),
])
def test_every_fact_key_exists_in_its_dimension(con: duckdb.DuckDBPyConnection, dimension: str,
                                                 key: str) -> None:
    orphans = scalar(con, f"""
        SELECT count(*) FROM fact_sales f
        WHERE NOT EXISTS (SELECT 1 FROM {dimension} d WHERE d.{key} = f.{key})""")
    assert orphans == 0
    assert scalar(con, f"SELECT count(*) FROM fact_sales WHERE {key} IS NULL") == 0


def test_dimension_content(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT min(date), max(date) FROM dim_date").fetchone() == (
        pd.Timestamp("2022-01-01").date(), pd.Timestamp("2025-12-31").date())
    assert scalar(con, "SELECT count(*) FROM dim_date "
                       "WHERE date_key <> year * 10000 + month * 100 + day "
                       "OR quarter <> (month + 2) // 3 OR iso_week <> weekofyear(date) "
                       "OR iso_year <> isoyear(date) OR weekday <> isodow(date) "
                       "OR month_name <> monthname(date)") == 0
    assert con.execute("SELECT count(DISTINCT category), count(DISTINCT subcategory) "
                       "FROM dim_product").fetchone() == (8, 40)
    # A subcategory belongs to exactly one category, a country to exactly one region.
    assert scalar(con, "SELECT max(n) FROM (SELECT count(DISTINCT category) n "
                       "FROM dim_product GROUP BY subcategory)") == 1
    assert scalar(con, "SELECT max(n) FROM (SELECT count(DISTINCT region) n "
                       "FROM dim_customer GROUP BY country)") == 1
    assert scalar(con, "SELECT count(DISTINCT customer_name) FROM dim_customer") == 50_000
    assert {c for (c,) in con.execute("SELECT channel FROM dim_channel").fetchall()} == {
        "web", "phone", "fax", "email", "letter", "chat", "shop"}


def test_fact_measures_are_consistent(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, """
        SELECT count(*) FROM fact_sales
        WHERE quantity < 1 OR unit_price <= 0 OR discount < 0 OR cost <= 0
           OR abs(amount - (quantity * unit_price - discount)) > 0.011""") == 0
    # ids follow the date, as from a daily load
    assert scalar(con, "SELECT count(*) FROM (SELECT date_key < lag(date_key) OVER (ORDER BY id)"
                       " AS back FROM fact_sales) WHERE back") == 0


def test_seasonality_and_channel_mix(con: duckdb.DuckDBPyConnection) -> None:
    by_month = dict(con.execute("SELECT d.month, count(*) FROM fact_sales f "
                                "JOIN dim_date d USING (date_key) GROUP BY 1").fetchall())
    assert by_month[12] > 1.4 * by_month[2]
    by_weekday = dict(con.execute("SELECT d.weekday, count(*) FROM fact_sales f "
                                  "JOIN dim_date d USING (date_key) GROUP BY 1").fetchall())
    assert by_weekday[1] > 1.8 * by_weekday[7]
    channels = dict(con.execute("SELECT c.channel, count(*) FROM fact_sales f "
                                "JOIN dim_channel c USING (channel_key) GROUP BY 1").fetchall())
    assert len(channels) == 7
    assert channels["web"] > channels["phone"] > channels["fax"]


def test_products_and_customers_are_zipf_skewed(con: duckdb.DuckDBPyConnection) -> None:
    def top_share(key: str, members: int) -> float:
        top = max(1, members // 100)
        share = scalar(con, f"""
            SELECT sum(n) / {FACTS} FROM (
                SELECT count(*) AS n FROM fact_sales GROUP BY {key} ORDER BY n DESC LIMIT {top})""")
        assert isinstance(share, float)
        return share

    # Uniform popularity would give the top 1% about 1% of the facts.
    assert top_share("product_key", 2000) > 0.2
    assert top_share("customer_key", 50_000) > 0.15
    assert scalar(con, "SELECT count(DISTINCT product_key) FROM fact_sales") > 1000


def test_same_seed_same_data_other_seed_other_data(star: Star, tmp_path: Path) -> None:
    again = generate_sales_star(tmp_path / "again.duckdb", FACTS, seed=42, progress=False)
    other = generate_sales_star(tmp_path / "other.duckdb", FACTS, seed=7, progress=False)
    assert checksum(again.path) == checksum(star[0])
    assert checksum(other.path) != checksum(star[0])


def test_a_crash_leaves_no_file_and_keeps_the_old_one(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sales.duckdb"
    path.write_bytes(b"previous warehouse")

    def broken_chunks(*args: object) -> Iterator[object]:
        raise RuntimeError("disk on fire")
        yield

    monkeypatch.setattr(demo_star, "_fact_chunks", broken_chunks)
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate_sales_star(path, 1000, progress=False)
    assert path.read_bytes() == b"previous warehouse"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sales.duckdb"]


def test_ensure_generates_only_when_missing(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "sales.duckdb"
    assert ensure_demo_star(path, 100, progress=False) is True
    stamp = path.stat().st_mtime_ns
    assert ensure_demo_star(path, 100, progress=False) is False
    assert path.stat().st_mtime_ns == stamp
    with duckdb.connect(str(path), read_only=True) as con:
        assert scalar(con, "SELECT count(*) FROM fact_sales") == 100


# -- the shipped model over this star --------------------------------------------------------
def split_column(ref: str) -> tuple[str, str]:
    table, _, column = ref.rpartition(".")
    assert table, f"{ref!r} must name its table"
    return table, column


def test_model_references_only_existing_columns(con: duckdb.DuckDBPyConnection) -> None:
    model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    columns = set(con.execute(
        "SELECT table_name, column_name FROM information_schema.columns").fetchall())
    [cube] = model["cubes"]
    fact = cube["fact"]
    assert (fact, "id") in columns  # the default fact key
    for logical, physical in cube["mappings"].items():
        assert split_column(physical) in columns, f"mapping {logical} -> {physical}"
    for join in cube["joins"]:
        assert join.get("method", "match") == "match"
        master, detail = split_column(join["master"]), split_column(join["detail"])
        assert master[0] == fact
        assert master in columns and detail in columns, join
    for measure in cube["measures"]:
        if "expression" not in measure:
            assert (fact, measure["name"]) in columns, measure
    # every dimension attribute is mapped explicitly (no implicit naming convention applies)
    dimensions = {d["name"]: d for d in model["dimensions"]}
    refs = {f"{name}.{attr['name']}" for name in cube["dimensions"]
            for level in dimensions[name]["levels"] for attr in level["attributes"]}
    assert refs == set(cube["mappings"])


def test_model_is_internally_consistent() -> None:
    model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    [cube] = model["cubes"]
    assert cube["name"] == "sales"
    for dim in model["dimensions"]:
        levels = {level["name"]: level for level in dim["levels"]}
        for level in dim["levels"]:
            names = [a["name"] for a in level["attributes"]]
            for key in ("key", "label_attribute", "order_attribute"):
                assert level.get(key, names[0]) in names, (dim["name"], level["name"], key)
        for hierarchy in dim.get("hierarchies", []):
            assert set(hierarchy["levels"]) <= set(levels), hierarchy
        all_attrs = [a["name"] for level in dim["levels"] for a in level["attributes"]]
        assert len(all_attrs) == len(set(all_attrs)), dim["name"]
    date = next(d for d in model["dimensions"] if d["name"] == "date")
    assert date["role"] == "time"
    assert {h["name"]: h["levels"] for h in date["hierarchies"]} == {
        "default": ["year", "month", "day"],
        "quarterly": ["year", "quarter", "month"],
        "weekly": ["iso_year", "iso_week"],
    }
    measures = {m["name"] for m in cube["measures"]}
    aggregates = {a["name"]: a for a in cube["aggregates"]}
    assert set(aggregates) == {"amount_sum", "quantity_sum", "discount_sum", "margin_sum",
                               "avg_price", "customer_count", "fact_count"}
    for aggregate in aggregates.values():
        assert ("measure" in aggregate) + ("expression" in aggregate) <= 1, aggregate
        if "measure" in aggregate:
            assert aggregate["measure"] in measures, aggregate
