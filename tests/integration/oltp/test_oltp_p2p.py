"""Worked example P2P-1 (domain.md §1.7) through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from oltp_data import flows, totals

from kubus.oltp.errors import Conflict, Invalid
from kubus.oltp.schema import open_item
from kubus.oltp.services.purchasing import (
    GoodsReceiptInput,
    GoodsReceiptItemInput,
    InvoiceReceiptInput,
    InvoiceReceiptItemInput,
    PurchaseOrderInput,
    PurchaseOrderItemInput,
    RequisitionInput,
    RequisitionItemInput,
    ReverseGoodsReceiptInput,
    create_purchase_order,
    create_purchase_requisition,
    post_goods_receipt,
    post_invoice_receipt,
    reverse_goods_receipt,
)
from kubus.oltp.status import purchase_order_status, requisition_status
from kubus.oltp.stock import stock_levels

if TYPE_CHECKING:
    from oltp_support import Oltp

pytest_plugins = ["oltp_support"]


def _order(e: sa.Engine) -> int:
    pr = create_purchase_requisition(e, RequisitionInput((RequisitionItemInput(
        "M2", "1000", D(200), date(2024, 3, 20)),)), today=date(2024, 3, 1))
    assert pr.pr_id == 10001
    assert requisition_status(e, 10001) == {10: (D(200), D(0), "A")}
    po = create_purchase_order(e, PurchaseOrderInput("V100", (PurchaseOrderItemInput(
        "M2", "1000", D(200), date(2024, 3, 15), net_price=D("4.00"), pr_id=10001,
        pr_item=10),)), today=date(2024, 3, 1))
    assert (po.po_id, po.net_value, po.currency) == (4_500_000_123, D("800.00"), "EUR")
    assert requisition_status(e, 10001) == {10: (D(200), D(200), "C")}
    return po.po_id


def test_p2p_1(o2c: Oltp) -> None:
    e = o2c.engine
    po_id = _order(e)
    (item,) = purchase_order_status(e, po_id)
    assert (item.open_qty, item.goods_receipt_status) == (D(200), "A")

    gr1 = post_goods_receipt(e, GoodsReceiptInput(po_id, (GoodsReceiptItemInput(10, D(150)),)),
                             posting_date=date(2024, 3, 15))
    assert totals(e, gr1.acc_doc_id) == {"INVENTORY": (D("600.00"), D(0)),
                                         "GRIR": (D(0), D("600.00"))}
    (item,) = purchase_order_status(e, po_id)
    assert (item.received_qty, item.open_qty, item.goods_receipt_status) == (D(150), D(50), "B")

    gr2 = post_goods_receipt(e, GoodsReceiptInput(po_id, (GoodsReceiptItemInput(10, D(50)),)),
                             posting_date=date(2024, 3, 18))
    assert totals(e, gr2.acc_doc_id) == {"INVENTORY": (D("200.00"), D(0)),
                                         "GRIR": (D(0), D("200.00"))}
    (item,) = purchase_order_status(e, po_id)
    assert (item.received_qty, item.open_qty, item.goods_receipt_status) == (D(200), D(0), "C")
    assert item.grir_balance == D("800.00")

    ir = post_invoice_receipt(e, InvoiceReceiptInput("V100", (InvoiceReceiptItemInput(
        po_id, 10, D(200), D("820.00")),)), posting_date=date(2024, 3, 20))
    assert (ir.gross_amount, ir.price_difference) == (D("820.00"), D("20.00"))
    assert totals(e, ir.acc_doc_id) == {"GRIR": (D("800.00"), D(0)),
                                        "PRICE_DIFFERENCE": (D("20.00"), D(0)),
                                        "VENDOR": (D(0), D("820.00"))}
    (item,) = purchase_order_status(e, po_id)
    assert (item.invoiced_qty, item.invoice_status, item.grir_balance) == (D(200), "C", D(0))
    with e.connect() as conn:
        ap = conn.execute(sa.select(open_item).where(open_item.c.kind == "AP")).one()
        grir = conn.execute(sa.text(
            "SELECT SUM(debit) - SUM(credit) FROM accounting_line WHERE account = 'GRIR'")
        ).scalar()
    assert (ap.vendor_id, ap.amount, ap.due_date) == ("V100", D("820.00"), date(2024, 4, 19))
    assert D(grir) == 0
    assert [s.unrestricted for s in stock_levels(e, "M2", "1000")] == [D(200)]

    assert flows(e, "0", 10001) == {("0", 10001, 10, "V", po_id, 10, D(200), D("800.00"), None)}
    assert flows(e, "V", po_id) == {
        ("V", po_id, 10, "R", gr1.mat_doc_id, 1, D(150), D("600.00"), "101"),
        ("V", po_id, 10, "R", gr2.mat_doc_id, 1, D(50), D("200.00"), "101"),
        ("V", po_id, 10, "Q", ir.invoice_id, 1, D(200), D("820.00"), None)}


def test_goods_receipt_reversal_and_three_way_match(o2c: Oltp) -> None:
    e = o2c.engine
    po_id = _order(e)
    gr = post_goods_receipt(e, GoodsReceiptInput(po_id, (GoodsReceiptItemInput(10, D(150)),)),
                            posting_date=date(2024, 3, 15))
    with pytest.raises(Invalid) as excinfo:  # invoicing more than was received
        post_invoice_receipt(e, InvoiceReceiptInput("V100", (InvoiceReceiptItemInput(
            po_id, 10, D(200), D("820.00")),)), posting_date=date(2024, 3, 20))
    assert excinfo.value.code == "quantity_not_received"
    with pytest.raises(Conflict) as over:
        post_goods_receipt(e, GoodsReceiptInput(po_id, (GoodsReceiptItemInput(10, D(51)),)),
                           posting_date=date(2024, 3, 16))
    assert over.value.code == "over_receipt"
    rev = reverse_goods_receipt(e, ReverseGoodsReceiptInput(gr.mat_doc_id),
                                posting_date=date(2024, 3, 16))
    assert totals(e, rev.acc_doc_id) == {"INVENTORY": (D(0), D("600.00")),
                                         "GRIR": (D("600.00"), D(0))}
    with pytest.raises(Conflict) as twice:
        reverse_goods_receipt(e, ReverseGoodsReceiptInput(gr.mat_doc_id),
                              posting_date=date(2024, 3, 16))
    assert twice.value.code == "already_reversed"
    (item,) = purchase_order_status(e, po_id)
    assert (item.received_qty, item.open_qty, item.goods_receipt_status) == (D(0), D(200), "A")
    assert [s.unrestricted for s in stock_levels(e, "M2", "1000")] == [D(0)]
