"""Fixtures and oracles of the warehouse-load suite (a pytest plugin:
``pytest_plugins = ["etl_support"]``).

``warehouse`` is an empty warehouse database of its own per test: DuckDB, SQLite, PostgreSQL
(a fresh database on ``KUBUS_TEST_POSTGRES_URL``). The OLTP side reuses the OLTP suite's
``oltp``/``o2c`` fixtures. :func:`oltp_totals` recomputes the reconciled totals with plain SQL
on the OLTP tables, independently of :mod:`kubus.etl`.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

_OLTP_TESTS = str(Path(__file__).resolve().parents[1] / "oltp")
if _OLTP_TESTS not in sys.path:  # the OLTP suite's fixtures and data
    sys.path.insert(0, _OLTP_TESTS)

import oltp_data  # noqa: E402
from conftest import _require_postgres  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

pytest_plugins = ["oltp_support"]

#: The master data of the worked examples O2C-1/P2P-1 (the OLTP suite's).
load_master_data = oltp_data.load_worked_example_master_data


def fresh_warehouse(kind: str, tmp_path: Path) -> Iterator[sa.Engine]:
    if kind == "duckdb":
        engine = sa.create_engine(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    elif kind == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    else:
        base = _require_postgres()
        name = f"kubus_wh_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine = sa.create_engine(make_url(base).set(database=name))
        try:
            yield engine
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        return
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty DuckDB warehouse (the default backend)."""
    yield from fresh_warehouse("duckdb", tmp_path)


@pytest.fixture(params=[pytest.param("duckdb", id="wh-duckdb"),
                        pytest.param("sqlite", id="wh-sqlite"),
                        pytest.param("postgres", id="wh-postgres",
                                     marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty warehouse on DuckDB, SQLite and PostgreSQL in turn."""
    yield from fresh_warehouse(request.param, tmp_path)


def rows(engine: sa.Engine, sql: str, **params: object) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params).all()]


def _day(value: object) -> str:
    return str(value)[:10]


def oltp_totals(engine: sa.Engine) -> dict[tuple[str, str], float]:
    """(measure, day or material/plant) -> total, by plain SQL on the OLTP tables."""
    out: dict[tuple[str, str], float] = {}
    queries = {
        "order_value": "SELECT h.order_date, i.net_value, i.rejection_reason FROM "
                       "sales_order_item i JOIN sales_order h ON h.order_id = i.order_id",
        "billed": "SELECT h.billing_date, b.net_value, h.category FROM billing_item b "
                  "JOIN billing_document h ON h.billing_id = b.billing_id",
        "paid": "SELECT p.payment_date, i.amount, NULL FROM payment_item i "
                "JOIN payment p ON p.payment_id = i.payment_id",
    }
    for measure, sql in queries.items():
        for day, amount, extra in rows(engine, sql):
            if measure == "order_value" and extra:
                continue  # rejected
            sign = -1 if measure == "billed" and extra in ("N", "O") else 1
            key = (measure, _day(day))
            out[key] = round(out.get(key, 0.0) + sign * float(amount), 2)  # type: ignore[arg-type]
    for material, plant, qty in rows(engine, "SELECT material_id, plant, unrestricted + quality "
                                     "+ blocked FROM stock"):
        key = ("stock", f"{material}/{plant}")
        out[key] = round(out.get(key, 0.0) + float(qty), 3)  # type: ignore[arg-type]
    return {k: v for k, v in out.items() if abs(v) > 0.0001}


def warehouse_totals(engine: sa.Engine, system: str) -> dict[tuple[str, str], float]:
    """The same totals read from the warehouse facts of source ``system``."""
    out: dict[tuple[str, str], float] = {}
    s = "(SELECT source_key FROM dim_source_system WHERE source_system = :s)"
    queries = {
        "order_value": "SELECT d.date, SUM(f.net_value) FROM fact_order_item f JOIN dim_date d "
                       f"ON d.date_key = f.order_date_key WHERE f.rejected = 0 AND "
                       f"f.source_key = {s} GROUP BY d.date",
        "billed": "SELECT d.date, SUM(f.net_value) FROM fact_billing_item f JOIN dim_date d ON "
                  f"d.date_key = f.billing_date_key WHERE f.source_key = {s} GROUP BY d.date",
        "paid": "SELECT d.date, SUM(f.amount) FROM fact_payment f JOIN dim_date d ON "
                f"d.date_key = f.payment_date_key WHERE f.source_key = {s} GROUP BY d.date",
        "stock": "SELECT p.material_id || '/' || l.plant, SUM(m.marker_qty) FROM stock_marker m "
                 "JOIN dim_product p ON p.product_key = m.product_key JOIN dim_plant l ON "
                 f"l.plant_key = m.plant_key WHERE m.source_key = {s} "
                 "GROUP BY p.material_id, l.plant",
    }
    for measure, sql in queries.items():
        for key, value in rows(engine, sql, s=system):
            label = str(key) if measure == "stock" else _day(key)
            out[(measure, label)] = round(float(value), 3 if measure == "stock" else 2)  # type: ignore[arg-type]
    return {k: v for k, v in out.items() if abs(v) > 0.0001}
