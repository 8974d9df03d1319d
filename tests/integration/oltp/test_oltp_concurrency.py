"""Concurrent order entry never over-confirms; stock equals receipts minus issues; the change
log stays gap-free and duplicate-free; a killed writer leaves no half-written order.

8 threads and 4 processes (spawn), on SQLite and PostgreSQL, all ordering the scarce material M3
(100 PC in stock) far beyond its stock.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from oltp_worker import place_orders

from kubus.oltp.availability import open_confirmed_from_documents
from kubus.oltp.services.deliveries import (
    DeliveryInput,
    GoodsIssueInput,
    create_delivery,
    post_goods_issue,
    reverse_goods_issue,
)
from kubus.oltp.services.inventory import InitialStockInput, StockEntry, post_initial_stock

if TYPE_CHECKING:
    from oltp_support import Oltp

pytest_plugins = ["oltp_support"]

SCARCE = D(100)
HERE = Path(__file__).resolve().parent


@pytest.fixture
def scarce(o2c: Oltp) -> Oltp:
    """O2C master data plus 100 PC of M3 and plenty of M1/M2."""
    post_initial_stock(o2c.engine, InitialStockInput((
        StockEntry("M3", "1000", "0001", SCARCE), StockEntry("M1", "1000", "0001", D(10_000)),
        StockEntry("M2", "1000", "0002", D(10_000)))), posting_date=date(2024, 3, 1))
    return o2c


def confirmed_by_material(engine: sa.Engine) -> dict[str, D]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT i.material_id, SUM(l.confirmed_qty) FROM sales_order_schedule_line l "
            "JOIN sales_order_item i ON i.order_id = l.order_id AND i.item_no = l.item_no "
            "GROUP BY i.material_id")).all()
    return {m: D(str(q)) for m, q in rows}


def check_invariants(engine: sa.Engine) -> None:
    """Stock = receipts - issues per material; stored open quantity = recomputed; change log
    gap-free, in step with its counter and without duplicate rows; orders complete."""
    with engine.connect() as conn:
        moved = dict(conn.execute(sa.text(
            "SELECT material_id, SUM(CASE WHEN debit_credit = 'S' THEN quantity "
            "ELSE -quantity END) FROM material_document_item WHERE stock_type = 'U' "
            "GROUP BY material_id")).all())
        stock = dict(conn.execute(sa.text(
            "SELECT material_id, SUM(unrestricted) FROM stock GROUP BY material_id")).all())
        assert {m: D(str(q)) for m, q in stock.items()} == {m: D(str(q))
                                                           for m, q in moved.items()}
        for material_id, stored in conn.execute(sa.text(
                "SELECT material_id, open_confirmed_qty FROM material_plant")):
            assert D(str(stored)) == open_confirmed_from_documents(conn, material_id, "1000")
        seqs = [r[0] for r in conn.execute(sa.text("SELECT seq FROM change_log ORDER BY seq"))]
        assert seqs == list(range(1, len(seqs) + 1))
        assert conn.execute(sa.text("SELECT last_seq FROM change_log_counter")).scalar() == \
            len(seqs)
        inserts = Counter(conn.execute(sa.text(
            "SELECT entity, key FROM change_log WHERE operation = 'insert'")).all())
        assert max(inserts.values()) == 1
        check_orders_complete(conn, inserts)


def check_orders_complete(conn: sa.Connection, inserts: Counter[tuple[str, str]]) -> None:
    """Every order has items, every item schedule lines, and each row its change-log row."""
    orders = [str(r[0]) for r in conn.execute(sa.text("SELECT order_id FROM sales_order"))]
    items = [f"{o}/{i}" for o, i in conn.execute(sa.text(
        "SELECT order_id, item_no FROM sales_order_item"))]
    lines = [f"{o}/{i}/{n}" for o, i, n in conn.execute(sa.text(
        "SELECT order_id, item_no, line_no FROM sales_order_schedule_line"))]
    assert conn.execute(sa.text(
        "SELECT COUNT(*) FROM sales_order o WHERE NOT EXISTS (SELECT 1 FROM sales_order_item "
        "i WHERE i.order_id = o.order_id)")).scalar() == 0
    assert conn.execute(sa.text(
        "SELECT COUNT(*) FROM sales_order_item i WHERE NOT EXISTS (SELECT 1 FROM "
        "sales_order_schedule_line l WHERE l.order_id = i.order_id AND l.item_no = i.item_no)"
    )).scalar() == 0
    for entity, keys in (("sales_order", orders), ("sales_order_item", items),
                         ("sales_order_schedule_line", lines)):
        logged = {k for (e, k) in inserts if e == entity}
        assert logged == set(keys), entity


def deliver_everything(engine: sa.Engine, threads: int) -> None:
    """Deliver and goods-issue every order concurrently, then reverse a few goods issues."""
    with engine.connect() as conn:
        order_ids = [r[0] for r in conn.execute(sa.text(
            "SELECT DISTINCT order_id FROM sales_order_schedule_line WHERE confirmed_qty > 0"))]

    def ship(order_id: int) -> int:
        delivery = create_delivery(engine, DeliveryInput(order_id), today=date(2024, 3, 12))
        post_goods_issue(engine, GoodsIssueInput(delivery.delivery_id),
                         posting_date=date(2024, 3, 12))
        return delivery.delivery_id

    with ThreadPoolExecutor(threads) as pool:
        deliveries = list(pool.map(ship, order_ids))
    for delivery_id in deliveries[:3]:
        reverse_goods_issue(engine, GoodsIssueInput(delivery_id), posting_date=date(2024, 3, 13))


@pytest.mark.parametrize("threads", [8])
def test_threads_never_over_confirm(scarce: Oltp, threads: int) -> None:
    e = scarce.engine
    with ThreadPoolExecutor(threads) as pool:
        placed = [order_id for batch in pool.map(
            lambda seed: place_orders(scarce.url, seed, 12), range(threads))
            for order_id in batch]
    assert len(placed) == len(set(placed)) == threads * 12
    confirmed = confirmed_by_material(e)
    # Demand is about 8 x 12 x 5 = 480 PC of M3: all 100 are confirmed, not one more.
    assert confirmed["M3"] == SCARCE
    check_invariants(e)
    deliver_everything(e, threads)
    check_invariants(e)


def test_processes_never_over_confirm(scarce: Oltp) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        placed = [order_id for batch in pool.starmap(
            place_orders, [(scarce.url, seed, 15) for seed in range(4)]) for order_id in batch]
    assert len(placed) == len(set(placed)) == 60
    assert confirmed_by_material(scarce.engine)["M3"] == SCARCE
    check_invariants(scarce.engine)


def test_killed_writer_leaves_no_half_written_order(scarce: Oltp) -> None:
    """SIGKILL a process in the middle of its order-entry loop, three times; each time after a
    random number of committed orders (read from its output: no sleeping on the clock)."""
    rng = random.Random(7)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])])}
    for round_no in range(3):
        proc = subprocess.Popen([sys.executable, str(HERE / "oltp_worker.py"), scarce.url,
                                 str(round_no)], stdout=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        wanted = rng.randint(5, 25)
        seen = 0
        for line in proc.stdout:
            seen += line.startswith("ok ")
            if seen >= wanted:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        check_invariants(scarce.engine)
        assert confirmed_by_material(scarce.engine)["M3"] <= SCARCE
    if scarce.name == "sqlite":
        with scarce.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
