"""Every check of the ATP checker is recorded in ``atp_check`` in the order's transaction, with
one change-log row each; a refused order leaves no record. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
import sqlalchemy as sa
from atp_db_support import TODAY, ZERO_TIMES, Fixture, Oltp, build_example, oltp_data, order

from kubus.oltp.errors import BadRequest
from kubus.oltp.services.sales import (
    ChangeQuantityInput,
    OrderItemInput,
    SalesOrderInput,
    change_item_quantity,
    create_sales_order,
)
from kubus.oltp.store import transaction
from kubus.scheduling.oltp_checker import AtpChecker

pytest_plugins = ["oltp_support"]

d = date
COLUMNS = ("order_id", "item_no", "material_id", "plant", "customer_id", "check_date",
           "checking_group", "rule", "requested_qty", "requested_date", "availability_date",
           "confirmed_qty", "confirmed_date", "delay_days", "outcome")


@pytest.fixture
def example(oltp: Oltp) -> Fixture:
    return build_example(oltp, ZERO_TIMES)


def records(engine: sa.Engine, after: int = 0) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            f"SELECT check_id, checked_at, {', '.join(COLUMNS)} FROM atp_check "
            "WHERE check_id > :after ORDER BY check_id"), {"after": after}).mappings().all()
    result = []
    for row in rows:
        record = dict(row)
        assert record.pop("checked_at") is not None
        for name in ("check_date", "requested_date", "availability_date", "confirmed_date"):
            if record[name] is not None and not isinstance(record[name], date):
                record[name] = date.fromisoformat(str(record[name]))
        for name in ("requested_qty", "confirmed_qty"):
            record[name] = D(str(record[name])).normalize()
        result.append(record)
    return result


def last_check_id(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COALESCE(MAX(check_id), 0) FROM atp_check"))
                   .scalar())


def test_order_entry_records_each_item(example: Fixture) -> None:
    engine = example.engine
    start = last_check_id(engine)
    with engine.connect() as conn:
        seq = conn.execute(sa.text("SELECT last_seq FROM change_log_counter")).scalar()
    # Three materials, one item each: order entry checks them in one check_many call.
    result = create_sales_order(engine, SalesOrderInput("C1", d(2024, 3, 7), (
        OrderItemInput("M1", D(60)), OrderItemInput("M2", D(5)),
        OrderItemInput("M3", D(10), requested_delivery_date=d(2024, 3, 25)))), today=TODAY,
        checker=AtpChecker())
    rows = records(engine, start)
    common = {"order_id": result.order_id, "plant": "1000", "customer_id": "C1",
              "check_date": TODAY, "checking_group": "02", "rule": "proposal"}
    assert [{k: v for k, v in row.items() if k != "check_id"} for row in rows] == [
        {**common, "item_no": 10, "material_id": "M1", "requested_qty": 60,
         "requested_date": d(2024, 3, 7), "availability_date": d(2024, 3, 7),
         "confirmed_qty": 60, "confirmed_date": d(2024, 3, 18), "delay_days": 11,
         "outcome": "full"},
        {**common, "item_no": 20, "material_id": "M2", "requested_qty": 5,
         "requested_date": d(2024, 3, 7), "availability_date": d(2024, 3, 7),
         "confirmed_qty": 0, "confirmed_date": None, "delay_days": None, "outcome": "none"},
        {**common, "item_no": 30, "material_id": "M3", "requested_qty": 10,
         "requested_date": d(2024, 3, 25), "availability_date": d(2024, 3, 25),
         "confirmed_qty": 0, "confirmed_date": None, "delay_days": None, "outcome": "none"},
    ]
    assert [item.confirmed_qty for item in result.items] == [60, 0, 0]
    with engine.connect() as conn:
        logged = conn.execute(sa.text(
            "SELECT key FROM change_log WHERE seq > :s AND entity = 'atp_check' ORDER BY seq"),
            {"s": seq}).scalars().all()
    assert logged == [str(row["check_id"]) for row in rows]


def test_outcomes_and_rules(example: Fixture) -> None:
    engine = example.engine
    start = last_check_id(engine)
    on_time = order(engine, "C1", 30, d(2024, 3, 7)).order_id
    partial = order(engine, "CB", 60, d(2024, 3, 7)).order_id
    complete = order(engine, "CC", 100, d(2024, 3, 7)).order_id
    rows = records(engine, start)
    assert [(r["order_id"], r["item_no"], r["rule"], r["outcome"], r["confirmed_qty"],
             r["delay_days"]) for r in rows] == [
        (on_time, 10, "proposal", "full", 30, 0),
        (partial, 10, "one_time", "partial", 10, 0),
        # 40 of 80 left from 03-18: a complete delivery of 100 cannot be confirmed.
        (complete, 10, "complete", "none", 0, None)]


def test_items_of_one_material_checked_one_by_one(example: Fixture) -> None:
    """Two items of M1 and one of M2: order entry calls check() per item and writes item 10
    before checking item 30, which sees its confirmation (10 left on 03-07)."""
    start = last_check_id(example.engine)
    result = create_sales_order(example.engine, SalesOrderInput("C1", d(2024, 3, 7), (
        OrderItemInput("M1", D(30)), OrderItemInput("M2", D(1)), OrderItemInput("M1", D(20)))),
        today=TODAY, checker=AtpChecker())
    assert [(r["order_id"], r["item_no"], r["material_id"], r["confirmed_qty"],
             r["delay_days"]) for r in records(example.engine, start)] == [
        (result.order_id, 10, "M1", 30, 0), (result.order_id, 20, "M2", 0, None),
        (result.order_id, 30, "M1", 20, 11)]


def test_two_orders_in_one_transaction(example: Fixture) -> None:
    start = last_check_id(example.engine)
    with transaction(example.engine) as conn:
        first = order(conn, "C1", 10, d(2024, 3, 7))
        second = order(conn, "C1", 10, d(2024, 3, 7))
    assert [(r["order_id"], r["item_no"]) for r in records(example.engine, start)] == [
        (first.order_id, 10), (second.order_id, 10)]


def test_check_outside_order_entry_has_no_order(example: Fixture) -> None:
    """A quantity change checks the extra quantity; the request does not name the order item,
    so the record's order and item stay empty (a documented limit of the protocol)."""
    first = order(example.engine, "C1", 30, d(2024, 3, 7))
    start = last_check_id(example.engine)
    change_item_quantity(example.engine, ChangeQuantityInput(first.order_id, 10, D(50)),
                         today=TODAY, checker=AtpChecker())
    (row,) = records(example.engine, start)
    assert (row["order_id"], row["item_no"], row["requested_qty"], row["confirmed_qty"]) == (
        None, None, 20, 20)


def test_refused_order_leaves_no_record(example: Fixture) -> None:
    before = oltp_data.snapshot(example.engine)
    with pytest.raises(BadRequest) as refused:
        order(example.engine, "C1", 30, d(2024, 3, 1))
    assert refused.value.code == "date_in_past"
    assert oltp_data.snapshot(example.engine) == before


def test_recording_can_be_switched_off(example: Fixture) -> None:
    start = last_check_id(example.engine)
    order(example.engine, "C1", 30, d(2024, 3, 7), checker=AtpChecker(record=False))
    assert records(example.engine, start) == []
