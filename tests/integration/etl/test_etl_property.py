"""Property: after any sequence of OLTP operations (orders, quantity changes, rejections,
deliveries with goods issue and its reversal, invoices, cancellations, payments, goods receipts
and their reversal) interleaved with delta loads, the warehouse totals per day (order value,
billed, paid) and the stock per material and plant equal the totals recomputed with plain SQL
on the OLTP tables (``etl_support.oltp_totals``)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
import sqlalchemy as sa
from etl_support import load_master_data, oltp_totals, rows, warehouse_totals
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubus.etl.pipeline import run_load
from kubus.etl.sources import Source
from kubus.oltp.errors import OltpError
from kubus.oltp.services import billing, deliveries, payments, purchasing, receipts, sales
from kubus.oltp.store import open_store

pytest_plugins = ["etl_support"]

START = date(2024, 3, 4)
OPS = ("order", "change", "reject", "deliver", "reverse_gi", "invoice", "cancel", "pay",
       "receive", "reverse_gr", "load")


def _pick(engine: sa.Engine, sql: str, n: int) -> tuple[object, ...] | None:
    found = rows(engine, sql)
    return found[n % len(found)] if found else None


def _apply(engine: sa.Engine, op: str, n: int, day: date) -> None:
    e = engine
    if op == "order":
        items = tuple(sales.OrderItemInput(("M1", "M2")[(n >> i) % 2], D(1 + (n >> (2 * i)) % 9))
                      for i in range(1 + n % 2))
        sales.create_sales_order(e, sales.SalesOrderInput(("C1", "C2")[n % 2], day, items),
                                 today=day)
    elif op == "change":
        item = _pick(e, "SELECT order_id, item_no, quantity FROM sales_order_item WHERE "
                     "rejection_reason IS NULL ORDER BY 1, 2", n)
        if item:
            sales.change_item_quantity(e, sales.ChangeQuantityInput(
                int(item[0]), int(item[1]), D(1 + n % 7)), today=day)  # type: ignore[call-overload]
    elif op == "reject":
        item = _pick(e, "SELECT order_id, item_no FROM sales_order_item WHERE "
                     "rejection_reason IS NULL ORDER BY 1, 2", n)
        if item:
            sales.reject_item(e, sales.RejectItemInput(int(item[0]), int(item[1])),  # type: ignore[call-overload]
                              today=day)
    elif op == "deliver":
        order = _pick(e, "SELECT order_id FROM sales_order ORDER BY 1", n)
        if order:
            made = deliveries.create_delivery(e, deliveries.DeliveryInput(int(order[0])),  # type: ignore[call-overload]
                                              today=day + timedelta(days=10))
            deliveries.post_goods_issue(e, deliveries.GoodsIssueInput(made.delivery_id),
                                        posting_date=day)
    elif op == "reverse_gi":
        found = _pick(e, "SELECT DISTINCT delivery_id FROM material_document WHERE "
                      "movement_type = '601' ORDER BY 1", n)
        if found:
            deliveries.reverse_goods_issue(e, deliveries.GoodsIssueInput(int(found[0])),  # type: ignore[call-overload]
                                           posting_date=day)
    elif op == "invoice":
        found = _pick(e, "SELECT DISTINCT delivery_id FROM material_document WHERE "
                      "movement_type = '601' ORDER BY 1", n)
        if found:
            billing.create_invoice(e, billing.InvoiceInput((int(found[0]),)),  # type: ignore[call-overload]
                                   billing_date=day)
    elif op == "cancel":
        found = _pick(e, "SELECT billing_id FROM billing_document WHERE category = 'M' "
                      "ORDER BY 1", n)
        if found:
            billing.cancel_billing_document(e, billing.CancellationInput(int(found[0])),  # type: ignore[call-overload]
                                            cancellation_date=day)
    elif op == "pay":
        found = _pick(e, "SELECT open_item_id, customer_id FROM open_item WHERE kind = 'AR' "
                      "AND cleared_by IS NULL AND amount > 10 ORDER BY 1", n)
        if found:
            payments.post_incoming_payment(e, payments.IncomingPaymentInput(
                str(found[1]), D(10), "EUR", open_item_ids=(int(found[0]),)),  # type: ignore[call-overload]
                payment_date=day)
    elif op == "receive":
        po = purchasing.create_purchase_order(e, purchasing.PurchaseOrderInput("V100", (
            purchasing.PurchaseOrderItemInput("M1", "1000", D(5 + n % 20), day,
                                              net_price=D("8.00")),)), today=day)
        receipts.post_goods_receipt(e, receipts.GoodsReceiptInput(po.po_id, (
            receipts.GoodsReceiptItemInput(10, D(1 + n % 5)),)), posting_date=day)
    elif op == "reverse_gr":
        found = _pick(e, "SELECT mat_doc_id FROM material_document WHERE movement_type = '101' "
                      "AND mat_doc_id NOT IN (SELECT reversal_of FROM material_document WHERE "
                      "reversal_of IS NOT NULL) ORDER BY 1", n)
        if found:
            receipts.reverse_goods_receipt(e, receipts.ReverseGoodsReceiptInput(
                int(found[0])), posting_date=day)  # type: ignore[call-overload]


@pytest.fixture
def template(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Path:
    """A migrated OLTP file with the worked examples' master data and 100 PC of M1."""
    path = tmp_path_factory.mktemp("etl-prop") / "master.sqlite"
    shutil.copyfile(_sqlite_template, path)
    engine = open_store(f"sqlite:///{path}")
    load_master_data(engine, stock_m1=100)
    engine.dispose()
    return path


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 10_000)), min_size=4,
                      max_size=14))
def test_warehouse_totals_equal_oltp_totals(template: Path,
                                            steps: list[tuple[str, int]]) -> None:
    work = Path(tempfile.mkdtemp(prefix="kubus-etl-prop-"))
    try:
        shutil.copyfile(template, work / "oltp.sqlite")
        url = f"sqlite:///{work / 'oltp.sqlite'}"
        oltp = open_store(url)
        warehouse = sa.create_engine(f"duckdb:///{work / 'warehouse.duckdb'}")
        load: Callable[[date], object] = lambda day: run_load(  # noqa: E731
            warehouse, [Source("erp", url)], today=day)
        day = START
        for op, n in [*steps, ("load", 0)]:
            day += timedelta(days=1)
            if op == "load":
                load(day)
                assert warehouse_totals(warehouse, "KUBUS") == oltp_totals(oltp)
                continue
            # Refusals by the services (nothing confirmed, already billed, ...) are fine.
            with contextlib.suppress(OltpError):
                _apply(oltp, op, n, day)
        oltp.dispose()
        warehouse.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
