"""The stock snapshot job on DuckDB, SQLite and PostgreSQL: BW-6 and an independent oracle."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from kubus.etl.stock import build_stock_snapshot
from kubus.etl.warehouse_schema import (
    fact_stock_daily,
    fact_stock_movement,
    metadata,
    stock_marker,
)

# BW-6 (domain.md §4.7) with posting days chosen for the test. value_gc: 10 per unit until the
# March receipt at 12 per unit.
BW6 = [  # (day, inflow, outflow, value)
    (date(2023, 12, 31), 1000, 0, 10000),    # opening stock
    (date(2024, 1, 10), 300, 0, 3000), (date(2024, 1, 20), 0, 200, 2000),
    (date(2024, 2, 15), 0, 150, 1500),
    (date(2024, 3, 5), 400, 0, 4800), (date(2024, 3, 25), 0, 200, 2400),
]


def key(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


@pytest.fixture
def warehouse(backend):
    # The backend database is shared by the whole session: leave no warehouse tables behind
    # (other tests own tables such as dim_date there).
    metadata.create_all(backend.engine)
    with backend.engine.begin() as conn:
        for table in (fact_stock_movement, stock_marker, fact_stock_daily):
            conn.execute(sa.delete(table))
    yield backend.engine
    metadata.drop_all(backend.engine)


def insert_movements(engine, rows, *, source=1, product=1, plant=1, marker=None, first_doc=1):
    docs = [{"source_key": source, "mat_doc_id": first_doc + i, "item_no": 1,
             "posting_date_key": key(day), "product_key": product, "plant_key": plant,
             "movement_type": "101" if inflow else "601", "inflow_qty": inflow,
             "outflow_qty": outflow, "value_gc": value}
            for i, (day, inflow, outflow, value) in enumerate(rows)]
    total = sum(Decimal(r[1]) - Decimal(r[2]) for r in rows) if marker is None else marker
    with engine.begin() as conn:
        conn.execute(fact_stock_movement.insert(), docs)
        conn.execute(stock_marker.insert(), [{"source_key": source, "product_key": product,
                                              "plant_key": plant, "marker_qty": total}])


def snapshot(engine, **where):
    c = fact_stock_daily.c
    stmt = sa.select(c.date_key, c.stock_qty, c.inflow_qty, c.outflow_qty, c.stock_value_gc)
    for name, value in where.items():
        stmt = stmt.where(c[name] == value)
    with engine.connect() as conn:
        return {row.date_key: row for row in conn.execute(stmt.order_by(c.date_key))}


def test_bw6_queries_from_the_snapshot(warehouse) -> None:
    insert_movements(warehouse, BW6)
    with warehouse.connect() as conn:
        marker = conn.execute(sa.select(stock_marker.c.marker_qty)).scalar_one()
    assert Decimal(marker) == Decimal(1150)
    written = build_stock_snapshot(warehouse, date(2024, 1, 1), date(2024, 3, 31))
    assert written == 91                          # every day of Q1 2024 (leap year)
    rows = snapshot(warehouse)
    stock = {k: Decimal(r.stock_qty) for k, r in rows.items()}
    assert stock[20240229] == 950                 # end Feb
    assert stock[20240131] == 1100                # end Jan
    assert stock[20240101] == 1000                # start Jan (no movement on Jan 1)
    assert stock[20240331] == 1150                # Q1 with LAST
    assert sum(Decimal(r.inflow_qty) for r in rows.values()) == 700
    assert sum(Decimal(r.outflow_qty) for r in rows.values()) == 550
    month_ends = [stock[20240131], stock[20240229], stock[20240331]]
    assert round(sum(month_ends) / 3, 2) == Decimal("1066.67")
    # Day-weighted (AV1): 9x1000 + 10x1300 + 12x1100 + 14x1100 + 15x950 + 4x950 + 20x1350
    # + 7x1150 = 103,700 over 91 days.
    assert round(sum(stock.values()) / len(stock), 2) == round(Decimal(103700) / 91, 2)
    with warehouse.connect() as conn:
        avg = conn.execute(sa.select(sa.func.avg(fact_stock_daily.c.stock_qty))).scalar_one()
    assert round(float(avg), 2) == 1139.56
    value = {k: Decimal(r.stock_value_gc) for k, r in rows.items()}
    assert value[20240101] == 10000               # priced by the opening movement before Q1
    assert value[20240229] == 9500                # 950 x 10
    assert value[20240331] == 13800               # 1150 x 12 (March receipt)


def test_rebuild_replaces_only_the_range_and_matches_a_forward_oracle(warehouse) -> None:
    a = [(date(2024, 5, 1), 50, 0, 500), (date(2024, 5, 3), 0, 20, 200),
         (date(2024, 5, 9), 10, 5, 150), (date(2024, 6, 2), 7, 0, 70)]
    b = [(date(2024, 4, 30), 0, 3, 0), (date(2024, 5, 2), 40, 0, 0)]
    insert_movements(warehouse, a, marker=Decimal(142))   # 100 before 2024-05-01 + net 42
    insert_movements(warehouse, b, source=2, product=1, plant=1, marker=Decimal(37),
                     first_doc=100)
    # A key with stock but no movements at all, and one with neither (zero elimination).
    with warehouse.begin() as conn:
        conn.execute(stock_marker.insert(), [
            {"source_key": 1, "product_key": 9, "plant_key": 1, "marker_qty": 5},
            {"source_key": 1, "product_key": 8, "plant_key": 1, "marker_qty": 0}])
    first, last = date(2024, 5, 1), date(2024, 5, 10)
    assert build_stock_snapshot(warehouse, date(2024, 5, 20), date(2024, 5, 21)) == 6
    assert build_stock_snapshot(warehouse, first, last) == 30
    assert build_stock_snapshot(warehouse, first, last) == 30     # idempotent rerun

    def forward(rows, opening):
        out, level = {}, Decimal(opening)
        for i in range((last - first).days + 1):
            day = first + timedelta(days=i)
            level += sum(Decimal(r[1]) - Decimal(r[2]) for r in rows if r[0] == day)
            out[key(day)] = level
        return out

    got_a = {k: Decimal(r.stock_qty) for k, r in snapshot(warehouse, source_key=1,
                                                             product_key=1).items()}
    got_b = {k: Decimal(r.stock_qty) for k, r in snapshot(warehouse, source_key=2).items()}
    got_c = {k: Decimal(r.stock_qty) for k, r in snapshot(warehouse, product_key=9).items()}
    assert {k: v for k, v in got_a.items() if k <= key(last)} == forward(a, 100)
    assert {k: v for k, v in got_b.items() if k <= key(last)} == forward(b, -3)   # -3 on 30 April
    assert set(got_c.values()) == {Decimal(5)}
    assert snapshot(warehouse, product_key=8) == {}
    # The earlier 20..21 May rows survived the rebuild of 1..10 May.
    assert {20240520, 20240521} <= set(got_a)

    # Product 9's stock goes to 0 (its rows vanish on rebuild); a movement posted back into
    # the range changes product 1's closing stock from that day on (rows are overwritten).
    with warehouse.begin() as conn:
        conn.execute(sa.update(stock_marker).where(stock_marker.c.product_key == 9)
                     .values(marker_qty=0))
    with warehouse.begin() as conn:
        conn.execute(fact_stock_movement.insert(), [{
            "source_key": 1, "mat_doc_id": 500, "item_no": 1, "posting_date_key": 20240505,
            "product_key": 1, "plant_key": 1, "outflow_qty": 30, "value_gc": 0}])
        conn.execute(sa.update(stock_marker).where(stock_marker.c.source_key == 1,
                                                   stock_marker.c.product_key == 1)
                     .values(marker_qty=142 - 30))
    assert build_stock_snapshot(warehouse, first, last) == 20
    assert snapshot(warehouse, product_key=9, date_key=20240505) == {}
    after = {k: Decimal(r.stock_qty) for k, r in snapshot(warehouse, source_key=1,
                                                            product_key=1).items()}
    shifted = [*a, (date(2024, 5, 5), 0, 30, 0)]
    assert {k: v for k, v in after.items() if k <= key(last)} == forward(shifted, 100)


def test_bad_range_is_refused(warehouse) -> None:
    with pytest.raises(ValueError, match="after"):
        build_stock_snapshot(warehouse, date(2024, 2, 1), date(2024, 1, 1))


@pytest.mark.parametrize("seed", [3, 4])
def test_random_movements_match_forward_accumulation(warehouse, seed: int) -> None:
    import random

    rng = random.Random(seed)
    first, last = date(2024, 2, 20), date(2024, 3, 10)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    expected = {}
    for n, (source, product) in enumerate(((1, 1), (1, 2), (2, 1))):
        rows = [(date(2024, 1, 1) + timedelta(days=rng.randint(0, 120)),
                 rng.choice([0, 5, 12]), rng.choice([0, 3, 7]), 0) for _ in range(25)]
        insert_movements(warehouse, rows, source=source, product=product,
                         first_doc=1000 * (n + 1))
        # Forward from 0 before every movement: opening of the range, then day by day.
        level = sum((Decimal(r[1]) - Decimal(r[2]) for r in rows if r[0] < first), Decimal(0))
        for day in days:
            today = [r for r in rows if r[0] == day]
            level += sum(Decimal(r[1]) - Decimal(r[2]) for r in today)
            expected[source, product, key(day)] = (
                level, sum(Decimal(r[1]) for r in today), sum(Decimal(r[2]) for r in today))
    assert build_stock_snapshot(warehouse, first, last) == len(expected)
    with warehouse.connect() as conn:
        got = {(r.source_key, r.product_key, r.date_key):
               (Decimal(r.stock_qty), Decimal(r.inflow_qty), Decimal(r.outflow_qty))
               for r in conn.execute(sa.select(fact_stock_daily))}
    assert got == expected
