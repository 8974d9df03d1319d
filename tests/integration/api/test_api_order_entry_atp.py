"""Order entry through the JSON API with ATP: what ``kubus serve`` wires by default.

``kubus serve`` passes the checker of ``[oltp] availability`` (default ``atp``) to the app, so
``POST /api/v1/sales-orders`` confirms per available-to-promise with delivery scheduling and
records every check in ``atp_check``. Expected values are the worked examples of domain.md:
ATP-1 and ATP-9 (§2.3, first come first served, a future receipt confirmed at a later date)
through a real ``kubus serve`` process; SCH-5 and SCH-3 (§3.5, forward scheduling after ATP,
holidays) over master data created through the JSON API. The stock-only alternative is
recomputed here with plain SQL (unrestricted stock minus open confirmations).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal as D
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scheduling"))

from api_support import CONFIGURATION, ApiServer, check_response, customer, material
from atp_db_support import ZERO_TIMES, build_example

from kubus.scheduling.oltp_checker import availability_checker

if TYPE_CHECKING:
    from oltp_support import Oltp

pytest_plugins = ["api_support"]


# --- helpers --------------------------------------------------------------------------------


@contextmanager
def kubus_serve(url: str, tmp_path: Path, **env: str) -> Iterator[str]:
    """``kubus serve --oltp URL`` in a process of its own; yields its base URL."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KUBUS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "kubus.server.cli", "serve", "--oltp", url, "--port", "0",
         "--threads", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**clean, "KUBUS_DATA_DIR": str(tmp_path / "var"), **env}, cwd=tmp_path)
    try:
        assert process.stdout is not None and process.stderr is not None
        line = process.stdout.readline()
        assert line.startswith("Serving Kubus on http://"), (
            line + (process.stderr.read() if process.poll() is not None else ""))
        yield line.split(" on ", 1)[1].strip().rstrip("/")
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    expected = env.get("KUBUS_OLTP_AVAILABILITY", "atp")
    assert f"Order entry checks availability: {expected}" in err


def post(base: str, path: str, body: dict[str, Any], status: int = 201) -> Any:
    """A POST to the JSON API; the answer is checked against the OpenAPI document."""
    response = requests.post(f"{base}/api/v1{path}", json=body, timeout=60)
    check_response("POST", f"/api/v1{path}", response)
    assert response.status_code == status, response.text
    return response.json()


def lines(order: dict[str, Any], item: int = 0) -> list[tuple[str, str, str, str]]:
    """(delivery date, requested, confirmed, MAD) of each schedule line of an item."""
    return [(line["delivery_date"], line["requested_qty"], line["confirmed_qty"],
             line["material_availability_date"])
            for line in order["items"][item]["schedule_lines"]]


def stock_only_available(engine: sa.Engine, material_id: str, plant: str) -> D:
    """What the stock-only check would offer: unrestricted stock minus what open order items
    have confirmed and not yet issued (plain SQL over the documents)."""
    with engine.connect() as conn:
        on_hand = conn.execute(sa.text(
            "SELECT COALESCE(SUM(unrestricted), 0) FROM stock WHERE material_id = :m AND "
            "plant = :p"), {"m": material_id, "p": plant}).scalar_one()
        confirmed = conn.execute(sa.text(
            "SELECT COALESCE(SUM(l.confirmed_qty), 0) FROM sales_order_schedule_line l JOIN "
            "sales_order_item i ON i.order_id = l.order_id AND i.item_no = l.item_no WHERE "
            "i.material_id = :m AND i.plant = :p AND i.rejection_reason IS NULL"),
            {"m": material_id, "p": plant}).scalar_one()
        issued = conn.execute(sa.text(
            "SELECT COALESCE(SUM(CASE movement_type WHEN '601' THEN quantity "
            "WHEN '602' THEN -quantity ELSE 0 END), 0) FROM material_document_item "
            "WHERE material_id = :m AND plant = :p AND order_id IS NOT NULL"),
            {"m": material_id, "p": plant}).scalar_one()
    return D(str(on_hand)) - (D(str(confirmed)) - D(str(issued)))


def atp_records(engine: sa.Engine, order_id: int) -> list[tuple[Any, ...]]:
    """The recorded checks of an order: (item, customer, requested qty/date, confirmed
    qty/date, delay, outcome), each with its change-log row."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT check_id, item_no, customer_id, requested_qty, requested_date, "
            "confirmed_qty, confirmed_date, delay_days, outcome FROM atp_check "
            "WHERE order_id = :o ORDER BY item_no"), {"o": order_id}).all()
        logged = set(conn.execute(sa.text(
            "SELECT key FROM change_log WHERE entity = 'atp_check'")).scalars())
    assert {str(r[0]) for r in rows} <= logged, "every check has its change-log row"
    return [(r[1], r[2], D(str(r[3])), str(r[4])[:10], D(str(r[5])),
             None if r[6] is None else str(r[6])[:10], r[7], r[8]) for r in rows]


def count_checks(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM atp_check")).scalar_one())


ORDER = {"sold_to": "C1", "requested_delivery_date": "2024-03-07", "order_date": "2024-03-04"}


# --- kubus serve ----------------------------------------------------------------------------


def test_kubus_serve_confirms_orders_with_atp(oltp: Oltp, tmp_path: Path) -> None:
    """ATP-1, then ATP-9 (first come first served) through ``kubus serve``'s order entry."""
    build_example(oltp, ZERO_TIMES)  # §2.3: CumATP 40 until 03-18, 80 from 03-18
    # The stock-only check would confirm nothing: SO-A, SO-B and SO-C hold more than stock.
    assert stock_only_available(oltp.engine, "M1", "1000") <= 0
    with kubus_serve(oltp.url, tmp_path) as base:
        atp1 = post(base, "/sales-orders", {**ORDER, "items": [
            {"material_id": "M1", "quantity": "30"}]})
        atp9 = post(base, "/sales-orders", {**ORDER, "items": [
            {"material_id": "M1", "quantity": "60"}]})
    # ATP-1: 30 @ 03-07, one line, fully confirmed.
    assert lines(atp1) == [("2024-03-07", "30.000", "30.000", "2024-03-07")]
    # ATP-9: 10 @ 03-07 + 40 @ 03-18 (the planned receipt), 10 unconfirmed.
    assert lines(atp9) == [("2024-03-07", "60.000", "10.000", "2024-03-07"),
                           ("2024-03-18", "0.000", "40.000", "2024-03-18")]
    assert atp9["items"][0]["confirmed_qty"] == "50.000"
    assert atp_records(oltp.engine, atp1["order_id"]) == [
        (10, "C1", D(30), "2024-03-07", D(30), "2024-03-07", 0, "full")]
    assert atp_records(oltp.engine, atp9["order_id"]) == [
        (10, "C1", D(60), "2024-03-07", D(50), "2024-03-18", 11, "partial")]


def test_kubus_serve_with_the_stock_only_check(tmp_path: Path, request: pytest.FixtureRequest
                                               ) -> None:
    """``[oltp] availability = stock``: the stock-only check, nothing recorded."""
    from oltp_support import fresh_database

    databases = fresh_database(request, "sqlite", tmp_path)
    db = next(databases)
    try:
        build_example(db, ZERO_TIMES)
        checks = count_checks(db.engine)
        available = stock_only_available(db.engine, "M1", "1000")
        with kubus_serve(db.url, tmp_path, KUBUS_OLTP_AVAILABILITY="stock") as base:
            order = post(base, "/sales-orders", {**ORDER, "items": [
                {"material_id": "M1", "quantity": "30"}]})
        expected = max(min(available, D(30)), D(0))
        assert order["items"][0]["confirmed_qty"] == f"{expected:.3f}"
        assert count_checks(db.engine) == checks
    finally:
        databases.close()


# --- master data created through the JSON API -----------------------------------------------


@pytest.fixture
def atp_api(oltp: Oltp) -> Iterator[ApiServer]:
    """A server whose order entry uses the checker ``kubus serve`` builds by default."""
    server = ApiServer(oltp, checker=availability_checker("atp"))
    try:
        yield server
    finally:
        server.stop()


def load_master_data(api: ApiServer) -> None:
    """domain.md §3.5's shipping point (pick/pack 2, loading 1) and route (transit 2, lead 1)
    on the Mon-Fri calendar with the holidays 03-29 and 04-01, all through the API."""
    api.post("/master-data", {"records": [*CONFIGURATION, {
        "type": "calendar_holiday", "calendar_id": "DE", "holiday": "2024-04-01",
        "name": "Easter Monday"}]})
    api.post("/customers", customer("C1", "Acme GmbH"))
    api.post("/vendors", {"vendor_id": "V100", "name": "Vendor One", "country": "DE",
                          "currency": "EUR", "payment_terms": "NT30"})
    for args in (("M1", "Widget", "8.00", "12.50"), ("M2", "Gadget", "4.00", "6.00")):
        api.post("/materials", material(*args))


def test_order_entry_schedules_with_master_data_from_the_api(atp_api: ApiServer) -> None:
    """SCH-5 (ATP-driven forward scheduling) and SCH-3 (holidays) in one order."""
    api = atp_api
    load_master_data(api)
    api.post("/stock/initial-entries", {"posting_date": "2024-03-01", "entries": [
        {"material_id": "M1", "plant": "1000", "storage_location": "0001", "quantity": "40"},
        {"material_id": "M2", "plant": "1000", "storage_location": "0001", "quantity": "10"}]})
    api.post("/purchase-orders", {"vendor_id": "V100", "po_date": "2024-03-01", "items": [
        {"material_id": "M1", "plant": "1000", "quantity": "20", "delivery_date": "2024-03-18",
         "net_price": "5.00"}]})
    order = api.post("/sales-orders", {
        "sold_to": "C1", "requested_delivery_date": "2024-03-14", "order_date": "2024-03-04",
        "items": [{"material_id": "M1", "quantity": "60"},
                  {"material_id": "M2", "quantity": "10",
                   "requested_delivery_date": "2024-04-02"}]})
    sch5, sch3 = order["items"]
    assert (sch5["shipping_point"], sch5["route"]) == ("1000", "R1")
    # SCH-5: line 1 RDD 03-14 (MAD 03-07), confirmed 40; line 2 MAD 03-18 -> LOAD 03-20,
    # GI 03-21, delivery 03-25, confirmed 20.
    assert [(x["delivery_date"], x["requested_qty"], x["confirmed_qty"],
             x["material_availability_date"], x["transportation_planning_date"],
             x["loading_date"], x["goods_issue_date"]) for x in sch5["schedule_lines"]] == [
        ("2024-03-14", "60.000", "40.000", "2024-03-07", "2024-03-08", "2024-03-11",
         "2024-03-12"),
        ("2024-03-25", "0.000", "20.000", "2024-03-18", "2024-03-19", "2024-03-20",
         "2024-03-21")]
    # SCH-3: RDD 04-02 over Good Friday and Easter Monday: GI 03-27, LOAD 03-26, MAD 03-22,
    # TPD 03-25.
    assert [(x["delivery_date"], x["confirmed_qty"], x["material_availability_date"],
             x["transportation_planning_date"], x["loading_date"], x["goods_issue_date"])
            for x in sch3["schedule_lines"]] == [
        ("2024-04-02", "10.000", "2024-03-22", "2024-03-25", "2024-03-26", "2024-03-27")]
    assert atp_records(api.engine, order["order_id"]) == [
        (10, "C1", D(60), "2024-03-14", D(60), "2024-03-25", 11, "full"),
        (20, "C1", D(10), "2024-04-02", D(10), "2024-04-02", 0, "full")]
    assert api.get(f"/sales-orders/{order['order_id']}") == order


def test_missing_scheduling_data_degrades_and_broken_data_is_a_422(atp_api: ApiServer
                                                                    ) -> None:
    """A plant without shipping point or route schedules with zero times on its calendar; a
    plant whose calendar has no working day is refused with a 422 and nothing is written."""
    api = atp_api
    load_master_data(api)
    api.post("/master-data", {"records": [
        {"type": "factory_calendar", "calendar_id": "XX", "name": "never",
         "workdays": "0000000"},
        {"type": "plant", "plant": "2000", "name": "Bremen", "country": "DE",
         "calendar_id": "DE"},
        {"type": "storage_location", "plant": "2000", "storage_location": "0001",
         "name": "Main"},
        {"type": "plant", "plant": "3000", "name": "Nowhere", "country": "DE",
         "calendar_id": "XX"},
        {"type": "material_plant", "material_id": "M1", "plant": "2000",
         "standard_price": "8.00"},
        {"type": "material_plant", "material_id": "M1", "plant": "3000",
         "standard_price": "8.00"}]})
    api.post("/stock/initial-entries", {"posting_date": "2024-03-01", "entries": [
        {"material_id": "M1", "plant": "2000", "storage_location": "0001", "quantity": "5"}]})
    order = api.post("/sales-orders", {**ORDER, "items": [
        {"material_id": "M1", "quantity": "8", "plant": "2000"}]})
    assert (order["items"][0]["shipping_point"], order["items"][0]["route"]) == (None, None)
    # No shipping point, no route: delivery date = MAD = the requested date; 5 in stock and
    # no receipt to come (no replenishment lead time maintained): 3 stay unconfirmed.
    assert lines(order) == [("2024-03-07", "8.000", "5.000", "2024-03-07")]
    before = api.snapshot()
    error = api.post("/sales-orders", {**ORDER, "items": [
        {"material_id": "M1", "quantity": "1", "plant": "3000"}]}, status=422)["error"]
    assert error["code"] == "invalid_calendar"
    assert "working" in error["message"]
    assert api.snapshot() == before
