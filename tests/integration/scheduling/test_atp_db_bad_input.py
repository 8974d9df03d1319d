"""Bad input to the ATP integration gives the OLTP's typed errors (a code, a message, the
object) and writes nothing: order entry with the ATP checker, the simulation, the checker
called directly. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest
from atp_db_support import TODAY, ZERO_TIMES, Fixture, Oltp, build_example, oltp_data, order

from kubus.oltp import masterdata as md
from kubus.oltp.availability import AvailabilityRequest
from kubus.oltp.errors import BadRequest, Invalid, NotFound, OltpError
from kubus.oltp.services.sales import OrderItemInput, SalesOrderInput, create_sales_order
from kubus.oltp.store import transaction
from kubus.scheduling.oltp_checker import AtpChecker, simulate_check

pytest_plugins = ["oltp_support"]

d = date
RDD = date(2024, 3, 7)
FIVE = D(5)


@pytest.fixture
def example(oltp: Oltp) -> Fixture:
    fixture = build_example(oltp, ZERO_TIMES)
    md.create(fixture.engine, [md.FactoryCalendar("US", "US"),
                               md.Plant("2000", "Chicago", "US", "US")])
    return fixture


def refused(fixture: Fixture, call: object, kind: type[OltpError], code: str) -> OltpError:
    before = oltp_data.snapshot(fixture.engine)
    with pytest.raises(kind) as caught:
        call()  # type: ignore[operator]
    assert caught.value.code == code, caught.value
    assert caught.value.message
    assert oltp_data.snapshot(fixture.engine) == before
    return caught.value


def test_order_entry_refuses_bad_items(example: Fixture) -> None:
    def enter(material: str, qty: D, rdd: date = RDD, plant: str | None = None) -> object:
        return lambda: create_sales_order(example.engine, SalesOrderInput(
            "C1", rdd, (OrderItemInput(material, qty, plant=plant),)), today=TODAY,
            checker=AtpChecker())

    refused(example, enter("NOPE", D(1)), NotFound, "unknown_material")
    refused(example, enter("M1", D(1), plant="9999"), NotFound, "unknown_plant")
    refused(example, enter("M1", D(1), plant="2000"), NotFound, "unknown_material_plant")
    refused(example, enter("M1", D(0)), BadRequest, "invalid_quantity")
    refused(example, enter("M1", D(-5)), BadRequest, "invalid_quantity")
    error = refused(example, enter("M1", D(5), d(2024, 3, 1)), BadRequest, "date_in_past")
    assert error.details == {"field": "requested_date"}


def test_simulation_refuses_bad_requests(example: Fixture) -> None:
    def simulate(material: str = "M1", plant: str = "1000", qty: object = FIVE,
                 rdd: object = RDD, today: object = TODAY) -> object:
        return lambda: simulate_check(example.engine, material, plant, qty,  # type: ignore[arg-type]
                                      rdd, today=today)  # type: ignore[arg-type]

    refused(example, simulate(material="NOPE"), NotFound, "unknown_material")
    refused(example, simulate(plant="9999"), NotFound, "unknown_plant")
    refused(example, simulate(plant="2000"), NotFound, "unknown_material_plant")
    refused(example, simulate(qty=D(0)), BadRequest, "invalid_quantity")
    refused(example, simulate(qty=D(-1)), BadRequest, "invalid_quantity")
    refused(example, simulate(qty=D("1.0001")), BadRequest, "invalid_quantity")
    refused(example, simulate(rdd=d(2024, 3, 3)), BadRequest, "date_in_past")
    refused(example, simulate(rdd=datetime(2024, 3, 7, 12)), BadRequest, "invalid_date")
    refused(example, simulate(today="2024-03-04"), BadRequest, "invalid_date")


def test_broken_master_data_is_a_typed_error(example: Fixture) -> None:
    """A factory calendar without a working day cannot schedule anything."""
    md.update(example.engine, [md.FactoryCalendar("DE", "Germany", "0000000")])
    refused(example, lambda: order(example.engine, "C1", 5, d(2024, 3, 7)), Invalid,
            "invalid_calendar")


def test_checker_error_rolls_the_callers_transaction_back(example: Fixture) -> None:
    before = oltp_data.snapshot(example.engine)
    request = AvailabilityRequest("M1", "1000", D(5), d(2024, 3, 1), TODAY, customer_id="C1")
    with pytest.raises(BadRequest), transaction(example.engine) as conn:
        order(conn, "C1", 5, d(2024, 3, 7))
        AtpChecker().check(conn, request)
    assert oltp_data.snapshot(example.engine) == before


def test_unknown_customer_of_a_direct_check(example: Fixture) -> None:
    request = AvailabilityRequest("M1", "1000", D(5), d(2024, 3, 7), TODAY, customer_id="NOPE")

    def check() -> None:
        with transaction(example.engine) as conn:
            AtpChecker().check(conn, request)

    refused(example, check, NotFound, "unknown_customer")
