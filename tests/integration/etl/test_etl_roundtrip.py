"""The load round trip through the OLTP services: O2C and P2P documents, changes, rejections,
cancellations and reversals, delta loads, reruns; on DuckDB, SQLite and PostgreSQL warehouses.
Expected values come from the worked examples (O2C-1, BW-2) or from plain SQL on the OLTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from etl_support import oltp_totals, rows, warehouse_totals

from kubus.etl.pipeline import run_load
from kubus.etl.sources import Source
from kubus.oltp.services.billing import (
    CancellationInput,
    InvoiceInput,
    cancel_billing_document,
    create_invoice,
)
from kubus.oltp.services.deliveries import (
    DeliveryInput,
    GoodsIssueInput,
    create_delivery,
    post_goods_issue,
)
from kubus.oltp.services.payments import IncomingPaymentInput, post_incoming_payment
from kubus.oltp.services.purchasing import (
    PurchaseOrderInput,
    PurchaseOrderItemInput,
    create_purchase_order,
)
from kubus.oltp.services.receipts import (
    GoodsReceiptInput,
    GoodsReceiptItemInput,
    ReverseGoodsReceiptInput,
    post_goods_receipt,
    reverse_goods_receipt,
)
from kubus.oltp.services.sales import (
    ChangeQuantityInput,
    OrderItemInput,
    RejectItemInput,
    SalesOrderInput,
    change_item_quantity,
    create_sales_order,
    reject_item,
)

if TYPE_CHECKING:
    from oltp_support import Oltp

pytest_plugins = ["etl_support"]

DAY = date(2024, 3, 4)


def _load(engine: sa.Engine, oltp: Oltp, **kw: object) -> object:
    return run_load(engine, [Source("erp", oltp.url)], today=DAY, **kw)  # type: ignore[arg-type]


def _sales(engine: sa.Engine) -> tuple[float, float]:
    """(Σ order value of not-rejected items, Σ of every item) in the warehouse."""
    ((kept, every),) = rows(engine, "SELECT SUM(CASE WHEN rejected = 0 THEN net_value ELSE 0 "
                            "END), SUM(net_value) FROM fact_order_item")
    return float(kept), float(every)  # type: ignore[arg-type]


def _same_totals(warehouse: sa.Engine, oltp: Oltp) -> None:
    system = rows(oltp.engine, "SELECT system_id FROM system_info")[0][0]
    assert warehouse_totals(warehouse, str(system)) == oltp_totals(oltp.engine)


@pytest.mark.parametrize("oltp", ["sqlite"], indirect=True)
def test_two_changes_of_one_key_in_one_delta(o2c: Oltp, warehouse: sa.Engine) -> None:
    # BW-3: amounts 10 and then 30 for the same key reach the warehouse together: the active
    # value is 30 and the cube grows by 20 over the 10 it held.
    order = create_sales_order(o2c.engine, SalesOrderInput("C1", date(2024, 3, 12), (
        OrderItemInput("M1", D("0.8")),)), today=DAY)                # 0.8 x 12.50 = 10.00
    _load(warehouse, o2c)
    assert _sales(warehouse) == (10.0, 10.0)
    for quantity in ("1.6", "2.4"):                                   # 20.00, then 30.00
        change_item_quantity(o2c.engine, ChangeQuantityInput(order.order_id, 10, D(quantity)),
                             today=DAY)
    _load(warehouse, o2c)
    assert _sales(warehouse) == (30.0, 30.0)
    assert rows(warehouse, "SELECT COUNT(*) FROM fact_order_item") == [(1,)]


@pytest.mark.parametrize("oltp", ["sqlite"], indirect=True)
def test_o2c_round_trip_with_changes(o2c: Oltp, warehouse: sa.Engine) -> None:
    e = o2c.engine
    order = create_sales_order(e, SalesOrderInput("C1", date(2024, 3, 12), (
        OrderItemInput("M1", D(8)), OrderItemInput("M1", D(2)))), today=DAY)
    report = _load(warehouse, o2c)
    assert report.sources[0].mode == "full"  # type: ignore[attr-defined]
    # 8 x 12.50 = 100.00 and 2 x 12.50 = 25.00
    assert _sales(warehouse) == (125.0, 125.0)
    before = _sales(warehouse)[0]

    # BW-2: the first item's value 100 -> 120 (quantity 8 -> 9.6): the DSO shows 120 ...
    change_item_quantity(e, ChangeQuantityInput(order.order_id, 10, D("9.6")), today=DAY)
    report = _load(warehouse, o2c)
    assert report.sources[0].mode == "delta"  # type: ignore[attr-defined]
    assert rows(warehouse, "SELECT net_value FROM fact_order_item WHERE item_no = 10") == [
        (D("120.00"),)] or rows(warehouse, "SELECT CAST(net_value AS FLOAT) FROM "
                                "fact_order_item WHERE item_no = 10") == [(120.0,)]
    # ... and the cube's net change is +20.
    assert _sales(warehouse)[0] - before == pytest.approx(20.0)
    # One row per semantic key: overwritten, not added.
    assert rows(warehouse, "SELECT COUNT(*) FROM fact_order_item") == [(2,)]

    # Rejection: the item stays, flagged, and leaves the order value.
    reject_item(e, RejectItemInput(order.order_id, 20), today=DAY)
    _load(warehouse, o2c)
    assert _sales(warehouse) == (120.0, 145.0)
    assert rows(warehouse, "SELECT item_no, rejected, line_count FROM fact_order_item "
                "ORDER BY item_no") == [(10, 0, 1), (20, 1, 0)]

    # Delivery, goods issue, invoice, payment, then a cancellation of the invoice.
    delivery = create_delivery(e, DeliveryInput(order.order_id), today=date(2024, 3, 12))
    post_goods_issue(e, GoodsIssueInput(delivery.delivery_id), posting_date=date(2024, 3, 12))
    invoice = create_invoice(e, InvoiceInput((delivery.delivery_id,)),
                             billing_date=date(2024, 3, 12))
    _load(warehouse, o2c)
    assert rows(warehouse, "SELECT goods_issued, actual_gi_date_key FROM "
                "fact_delivery_item") == [(1, 20240312)]
    assert rows(warehouse, "SELECT shipped_complete, order_shipped_complete FROM "
                "fact_order_item WHERE item_no = 10") == [(1, 1)]
    _same_totals(warehouse, o2c)
    cancel_billing_document(e, CancellationInput(invoice.billing_id),
                            cancellation_date=date(2024, 3, 13))
    invoice2 = create_invoice(e, InvoiceInput((delivery.delivery_id,)),
                              billing_date=date(2024, 3, 14))
    post_incoming_payment(e, IncomingPaymentInput("C1", D("100.00"), "EUR",
                                                  billing_ids=(invoice2.billing_id,)),
                          payment_date=date(2024, 3, 20))
    _load(warehouse, o2c)
    # Invoice + cancellation net to zero; the second invoice stands.
    assert float(rows(warehouse, "SELECT SUM(net_value) FROM fact_billing_item")[0][0]) == \
        pytest.approx(120.0)  # type: ignore[arg-type]
    _same_totals(warehouse, o2c)

    # A rerun with nothing new does nothing.
    loads = rows(warehouse, "SELECT COUNT(*) FROM etl_load")
    report = _load(warehouse, o2c)
    assert report.sources[0].changes == 0  # type: ignore[attr-defined]
    assert rows(warehouse, "SELECT COUNT(*) FROM etl_load") == loads
    assert rows(warehouse, "SELECT status FROM etl_load WHERE status <> 'ok'") == []


@pytest.mark.parametrize("oltp", ["sqlite"], indirect=True)
def test_p2p_receipts_and_reversal(o2c: Oltp, duck: sa.Engine) -> None:
    e = o2c.engine
    _load(duck, o2c)
    po = create_purchase_order(e, PurchaseOrderInput("V100", (PurchaseOrderItemInput(
        "M2", "1000", D(100), date(2024, 3, 15), net_price=D("4.00")),)), today=DAY)
    gr = post_goods_receipt(e, GoodsReceiptInput(po.po_id, (GoodsReceiptItemInput(10, D(60)),)),
                            posting_date=date(2024, 3, 10))
    _load(duck, o2c)
    assert rows(duck, "SELECT received_qty, received_complete FROM fact_po_item") == [
        (D("60.000"), 0)]
    reverse_goods_receipt(e, ReverseGoodsReceiptInput(gr.mat_doc_id),
                          posting_date=date(2024, 3, 11))
    _load(duck, o2c)
    assert rows(duck, "SELECT SUM(quantity), SUM(receipt_count) FROM fact_goods_receipt") == [
        (D("0.000"), 0)]
    assert rows(duck, "SELECT received_qty FROM fact_po_item") == [(D("0.000"),)]
    _same_totals(duck, o2c)


def test_full_reload_equals_deltas(o2c: Oltp, duck: sa.Engine, tmp_path: object) -> None:
    e = o2c.engine
    _load(duck, o2c)
    order = create_sales_order(e, SalesOrderInput("C2", date(2024, 3, 12), (
        OrderItemInput("M1", D(4)),)), today=DAY)
    _load(duck, o2c)
    change_item_quantity(e, ChangeQuantityInput(order.order_id, 10, D(6)), today=DAY)
    _load(duck, o2c)
    facts = "SELECT * FROM fact_order_item ORDER BY order_id, item_no"
    by_delta = [r[:-1] for r in rows(duck, facts)]
    report = _load(duck, o2c, full=True)
    assert report.sources[0].mode == "full"  # type: ignore[attr-defined]
    assert [r[:-1] for r in rows(duck, facts)] == by_delta


@pytest.mark.parametrize("oltp", ["sqlite"], indirect=True)
def test_atp_checks_of_order_entry(o2c: Oltp, duck: sa.Engine) -> None:
    from kubus.scheduling.oltp_checker import AtpChecker

    create_sales_order(o2c.engine, SalesOrderInput("C1", date(2024, 3, 12), (
        OrderItemInput("M1", D(60)), OrderItemInput("M1", D(80)))), today=DAY,
        checker=AtpChecker())
    _load(duck, o2c)
    expected = rows(o2c.engine, "SELECT check_id, requested_qty, confirmed_qty, outcome FROM "
                    "atp_check ORDER BY check_id")
    assert len(expected) == 2
    got = rows(duck, "SELECT check_id, requested_qty, confirmed_qty, outcome, check_count, "
               "full_flag FROM fact_atp_check ORDER BY check_id")
    assert [(c, float(r), float(q), o) for c, r, q, o, *_ in got] == [  # type: ignore[arg-type]
        (c, float(r), float(q), o) for c, r, q, o in expected]  # type: ignore[arg-type]
    assert [(n, f) for *_, n, f in got] == [(1, int(o == "full")) for *_, o in expected]
