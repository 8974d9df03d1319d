"""Concurrent order entry with the ATP checker never over-confirms: 8 threads order the scarce
material M3 (100 PC in stock, 50 more on a purchase order due 03-15) far beyond its supply, with
different requested dates and customers (delivery proposal, one delivery, complete only).
Afterwards the projected balance is never negative on any day, all 150 are confirmed, the stored
open confirmed quantity matches the documents, and every check has its record. SQLite and
PostgreSQL; then a backorder run reshuffles it all and the same holds."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from atp_db_support import TODAY, ZERO_TIMES, Oltp, master_records

from kubus.oltp import masterdata as md
from kubus.oltp.availability import open_confirmed_from_documents
from kubus.oltp.services.inventory import InitialStockInput, StockEntry, post_initial_stock
from kubus.oltp.services.purchasing import (
    PurchaseOrderInput,
    PurchaseOrderItemInput,
    create_purchase_order,
)
from kubus.oltp.services.sales import OrderItemInput, SalesOrderInput, create_sales_order
from kubus.oltp.store import open_store, read_only
from kubus.scheduling.backorder import SortDate
from kubus.scheduling.oltp_backorder import run_backorder
from kubus.scheduling.oltp_checker import AtpChecker
from kubus.scheduling.oltp_timeline import load_timelines

pytest_plugins = ["oltp_support"]

THREADS = 8
ORDERS = 12
SUPPLY = D(150)
KEY = ("M3", "1000")


@pytest.fixture
def scarce(oltp: Oltp) -> Oltp:
    md.create(oltp.engine, master_records(ZERO_TIMES))
    post_initial_stock(oltp.engine, InitialStockInput((
        StockEntry("M3", "1000", "0001", D(100)), StockEntry("M2", "1000", "0001", D(10_000)))),
        posting_date=date(2024, 2, 1))
    create_purchase_order(oltp.engine, PurchaseOrderInput("V100", (PurchaseOrderItemInput(
        "M3", "1000", D(50), date(2024, 3, 15), net_price=D(1)),)), today=date(2024, 2, 1))
    return oltp


def place_orders(url: str, seed: int, checker: AtpChecker) -> list[int]:
    """``ORDERS`` orders of M3 (sometimes with an M2 item), each with an engine of its own."""
    engine = open_store(url)
    rng = random.Random(seed)
    placed = []
    try:
        for _ in range(ORDERS):
            items = [OrderItemInput("M3", D(rng.randint(1, 9)))]
            if rng.random() < 0.3:
                items.append(OrderItemInput("M2", D(rng.randint(1, 5))))
            rdd = TODAY + timedelta(days=rng.randint(1, 21))
            placed.append(create_sales_order(engine, SalesOrderInput(
                rng.choice(["C1", "C1", "C2", "CB", "CK"]), rdd, tuple(items)), today=TODAY,
                checker=checker).order_id)
    finally:
        engine.dispose()
    return placed


def check_no_over_confirmation(engine: sa.Engine) -> D:
    """N(t) >= 0 on every day, stored open quantity = documents; the confirmed total."""
    with read_only(engine) as conn:
        timeline = load_timelines(conn, [KEY], today=TODAY)[KEY]
        assert int(timeline.balance().min()) >= 0
        for material_id in ("M2", "M3"):
            stored = conn.execute(sa.text(
                "SELECT open_confirmed_qty FROM material_plant WHERE material_id = :m"),
                {"m": material_id}).scalar()
            assert D(str(stored)) == open_confirmed_from_documents(conn, material_id, "1000")
        confirmed = conn.execute(sa.text(
            "SELECT SUM(l.confirmed_qty) FROM sales_order_schedule_line l JOIN "
            "sales_order_item i ON i.order_id = l.order_id AND i.item_no = l.item_no "
            "WHERE i.material_id = 'M3'")).scalar()
        seqs = [r[0] for r in conn.execute(sa.text("SELECT seq FROM change_log ORDER BY seq"))]
    assert seqs == list(range(1, len(seqs) + 1))
    return D(str(confirmed))


def test_threads_never_over_confirm(scarce: Oltp) -> None:
    checker = AtpChecker()  # one instance shared by every thread
    with ThreadPoolExecutor(THREADS) as pool:
        placed = [order_id for batch in pool.map(
            lambda seed: place_orders(scarce.url, seed, checker), range(THREADS))
            for order_id in batch]
    assert len(placed) == len(set(placed)) == THREADS * ORDERS
    # Demand is about 8 x 12 x 5 = 480 PC of M3: all 150 are confirmed, not one more.
    assert check_no_over_confirmation(scarce.engine) == SUPPLY
    with scarce.engine.connect() as conn:
        items = set(conn.execute(sa.text(
            "SELECT order_id, item_no FROM sales_order_item")).all())
        recorded = conn.execute(sa.text(
            "SELECT order_id, item_no, confirmed_qty FROM atp_check")).all()
        confirmed = {(o, i): D(str(q)) for o, i, q in conn.execute(sa.text(
            "SELECT order_id, item_no, SUM(confirmed_qty) FROM sales_order_schedule_line "
            "GROUP BY order_id, item_no")).all()}
    # One record per item, naming it, with what its schedule lines confirm.
    assert {(o, i) for o, i, _ in recorded} == items and len(recorded) == len(items)
    assert all(D(str(q)) == confirmed[(o, i)] for o, i, q in recorded)
    # Rescheduling by priority moves confirmations around but never over-confirms either.
    report = run_backorder(scarce.engine, today=TODAY, dry_run=False,
                           sort_by=SortDate.REQUESTED)
    assert report.items_checked == len(items) and report.items_skipped == 0
    assert check_no_over_confirmation(scarce.engine) <= SUPPLY
