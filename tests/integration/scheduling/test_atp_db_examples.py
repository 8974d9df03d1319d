"""ATP-1..ATP-9 and SCH-1/SCH-2/SCH-5 of domain.md through the database: master data, stock,
purchase orders, requisitions, orders and a delivery entered with the OLTP services, then
``create_sales_order(..., checker=AtpChecker())`` and the schedule lines it wrote. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from atp_db_support import (
    SCH_TIMES,
    TODAY,
    ZERO_TIMES,
    Fixture,
    Oltp,
    build_example,
    order,
    schedule_lines,
)

from kubus.oltp import masterdata as md
from kubus.oltp.availability import AvailabilityRequest, open_confirmed_from_documents
from kubus.oltp.store import read_only
from kubus.scheduling.atp import cumulative_atp
from kubus.scheduling.oltp_checker import AtpChecker, simulate_check
from kubus.scheduling.oltp_master import CheckingGroupRule
from kubus.scheduling.oltp_timeline import load_timelines

pytest_plugins = ["oltp_support"]

d = date


@pytest.fixture
def example(oltp: Oltp) -> Fixture:
    """The §2.3 supply with zero shipping times (delivery date = MAD)."""
    return build_example(oltp, ZERO_TIMES)


@pytest.fixture
def sch_example(oltp: Oltp) -> Fixture:
    """The §2.3 supply with the §3.5 shipping times."""
    return build_example(oltp, SCH_TIMES)


def confirmed_lines(engine: sa.Engine, order_id: int) -> list[tuple[date, D, D]]:
    """(delivery date, requested, confirmed) of each schedule line."""
    return [(line[1], line[2], line[3]) for line in schedule_lines(engine, order_id)]


def open_consistent(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        stored = conn.execute(sa.text(
            "SELECT open_confirmed_qty FROM material_plant WHERE material_id = 'M1'")).scalar()
        assert D(str(stored)) == open_confirmed_from_documents(conn, "M1", "1000")


def test_loaded_timeline_is_the_book_table(example: Fixture) -> None:
    with read_only(example.engine) as conn:
        timeline = load_timelines(conn, [("M1", "1000")], today=TODAY)[("M1", "1000")]
    rows = [(r.date, r.balance, r.cum_atp) for r in cumulative_atp(timeline).rows()]
    assert rows == [
        (d(2024, 3, 4), 100, 40), (d(2024, 3, 6), 50, 40), (d(2024, 3, 8), 130, 40),
        (d(2024, 3, 11), 100, 40), (d(2024, 3, 13), 160, 40), (d(2024, 3, 15), 40, 40),
        (d(2024, 3, 18), 80, 80)]


def test_receipts_count_after_gr_processing_time(oltp: Oltp) -> None:
    """The receipts are entered 2 working days earlier; with 2 days of GR processing time they
    are available on the book's dates (no RLT here: 2 days would be a replenishment lead
    time)."""
    fixture = build_example(oltp, ZERO_TIMES, gr_days=2)
    with read_only(fixture.engine) as conn:
        timeline = load_timelines(conn, [("M1", "1000")], today=TODAY)[("M1", "1000")]
    assert [(r.date, r.cum_atp) for r in cumulative_atp(timeline).rows()][-1] == (
        d(2024, 3, 18), 80)
    checker = AtpChecker(checking_rules={"*": CheckingGroupRule(use_rlt=False)})
    result = order(fixture.engine, "C1", 60, d(2024, 3, 7), checker=checker)
    assert confirmed_lines(fixture.engine, result.order_id) == [
        (d(2024, 3, 7), 60, 40), (d(2024, 3, 18), 0, 20)]


@pytest.mark.parametrize(("test_id", "customer", "qty", "rdd", "expected"), [
    ("ATP-1", "C1", 30, d(2024, 3, 7), [(d(2024, 3, 7), 30, 30)]),
    ("ATP-2", "C1", 60, d(2024, 3, 7), [(d(2024, 3, 7), 60, 40), (d(2024, 3, 18), 0, 20)]),
    # Complete delivery per order (AUTLF) and KZTLF C both force one complete line.
    ("ATP-3", "CC", 60, d(2024, 3, 7), [(d(2024, 3, 7), 60, 0), (d(2024, 3, 18), 0, 60)]),
    ("ATP-3/C", "CK", 60, d(2024, 3, 7), [(d(2024, 3, 7), 60, 0), (d(2024, 3, 18), 0, 60)]),
    # KZTLF B (one delivery only): one-time delivery on the requested date.
    ("ATP-4", "CB", 60, d(2024, 3, 7), [(d(2024, 3, 7), 60, 40)]),
    ("ATP-5", "C1", 100, d(2024, 3, 5), [(d(2024, 3, 5), 100, 40), (d(2024, 3, 18), 0, 40)]),
    ("ATP-7", "C1", 100, d(2024, 3, 25), [(d(2024, 3, 25), 100, 80)]),
])
def test_atp_examples(example: Fixture, test_id: str, customer: str, qty: int, rdd: date,
                      expected: list[tuple[date, int, int]]) -> None:
    result = order(example.engine, customer, qty, rdd)
    assert confirmed_lines(example.engine, result.order_id) == [
        (day, D(r), D(c)) for day, r, c in expected], test_id
    open_consistent(example.engine)


@pytest.mark.parametrize(("test_id", "rdd", "expected"), [
    ("ATP-6", d(2024, 3, 5), [(d(2024, 3, 5), 100, 40), (d(2024, 3, 18), 0, 40),
                              (d(2024, 3, 22), 0, 20)]),
    ("ATP-8", d(2024, 3, 25), [(d(2024, 3, 25), 100, 100)]),
])
def test_atp_examples_with_replenishment_lead_time(example: Fixture, test_id: str, rdd: date,
                                                   expected: list[tuple[date, int, int]]
                                                   ) -> None:
    """A planned delivery time of 18 calendar days: the RLT ends on 2024-03-22."""
    md.update(example.engine, [md.MaterialPlant("M1", "1000", D("8.00"),
                                                planned_delivery_days=18)])
    result = order(example.engine, "C1", 100, rdd)
    assert confirmed_lines(example.engine, result.order_id) == [
        (day, D(r), D(c)) for day, r, c in expected], test_id
    open_consistent(example.engine)


def test_atp_9_first_come_first_served(example: Fixture) -> None:
    first = order(example.engine, "C1", 30, d(2024, 3, 7))
    second = order(example.engine, "C1", 60, d(2024, 3, 7))
    assert confirmed_lines(example.engine, first.order_id) == [(d(2024, 3, 7), 30, 30)]
    assert confirmed_lines(example.engine, second.order_id) == [
        (d(2024, 3, 7), 60, 10), (d(2024, 3, 18), 0, 40)]
    assert second.items[0].confirmed_qty == 50
    open_consistent(example.engine)


def test_two_items_of_one_order_are_first_come_first_served(example: Fixture) -> None:
    """Items for the same material in one order: the second sees the first's confirmation."""
    from kubus.oltp.services.sales import OrderItemInput, SalesOrderInput, create_sales_order

    result = create_sales_order(example.engine, SalesOrderInput("C1", d(2024, 3, 7), (
        OrderItemInput("M1", D(30)), OrderItemInput("M1", D(60)))), today=TODAY,
        checker=AtpChecker())
    assert confirmed_lines(example.engine, result.order_id) == [(d(2024, 3, 7), 30, 30)]
    assert [(x[1], x[2], x[3]) for x in schedule_lines(example.engine, result.order_id, 20)] == [
        (d(2024, 3, 7), 60, 10), (d(2024, 3, 18), 0, 40)]


# -- delivery scheduling (§3.5): shipping point 2 + 1 days, route 2 + 1 days, Mon-Fri ----------


def test_sch_1_backward_scheduling(sch_example: Fixture) -> None:
    result = order(sch_example.engine, "C1", 30, d(2024, 3, 15))
    assert schedule_lines(sch_example.engine, result.order_id) == [
        (1, d(2024, 3, 15), 30, 30, d(2024, 3, 8), d(2024, 3, 11), d(2024, 3, 12),
         d(2024, 3, 13))]


def test_sch_2_backward_fails_forward(sch_example: Fixture) -> None:
    result = order(sch_example.engine, "C1", 30, d(2024, 3, 6))
    lines = schedule_lines(sch_example.engine, result.order_id)
    assert [(x[0], x[1], x[2], x[3]) for x in lines] == [
        (1, d(2024, 3, 6), 30, 0), (2, d(2024, 3, 11), 0, 30)]
    # Line 2: MAD today, loading 03-06, goods issue 03-07, delivered Monday 03-11.
    assert lines[1][4:] == (d(2024, 3, 4), d(2024, 3, 5), d(2024, 3, 6), d(2024, 3, 7))


def test_sch_5_atp_driven_forward_scheduling(sch_example: Fixture) -> None:
    result = order(sch_example.engine, "C1", 60, d(2024, 3, 14))
    assert schedule_lines(sch_example.engine, result.order_id) == [
        (1, d(2024, 3, 14), 60, 40, d(2024, 3, 7), d(2024, 3, 8), d(2024, 3, 11),
         d(2024, 3, 12)),
        (2, d(2024, 3, 25), 0, 20, d(2024, 3, 18), d(2024, 3, 19), d(2024, 3, 20),
         d(2024, 3, 21))]


def test_simulation_writes_nothing(sch_example: Fixture) -> None:
    from oltp_data import snapshot

    before = snapshot(sch_example.engine)
    result = simulate_check(sch_example.engine, "M1", "1000", 60, d(2024, 3, 14), today=TODAY,
                            customer_id="C1")
    assert snapshot(sch_example.engine) == before
    assert result.route == "R1" and result.shipping_point == "1000"
    assert [(x.delivery_date, x.confirmed_quantity) for x in result.item.lines] == [
        (d(2024, 3, 14), 40), (d(2024, 3, 25), 20)]
    assert (result.outcome, result.confirmed_date, result.delay_days) == (
        "full", d(2024, 3, 25), 11)


def test_check_many_equals_check_in_turn(example: Fixture) -> None:
    """The batch path gives what checking the requests one by one gives (FCFS in between)."""
    requests = [AvailabilityRequest("M1", "1000", D(q), rdd, TODAY, customer_id="C1")
                for q, rdd in ((30, d(2024, 3, 7)), (60, d(2024, 3, 7)), (100, d(2024, 3, 25)))]
    checker = AtpChecker(record=False)
    with read_only(example.engine) as conn:
        batch = checker.check_many(conn, requests)
        one = [checker.check(conn, requests[0])]
    assert one[0] == batch[0]
    assert [[(c.delivery_date, c.quantity) for c in confs] for confs in batch] == [
        [(d(2024, 3, 7), 30)], [(d(2024, 3, 7), 10), (d(2024, 3, 18), 40)],
        []]
