"""Worked example O2C-1 (domain.md §1.6), step by step through the services, on SQLite and
PostgreSQL. Every expected value is copied from the worked example (or, for document flow
rows the example abbreviates with "and so on", from the rule it states)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import TYPE_CHECKING

import sqlalchemy as sa
from oltp_data import flows, totals

from kubus.oltp.availability import open_confirmed_from_documents
from kubus.oltp.changelog import changes_after
from kubus.oltp.schema import open_item
from kubus.oltp.services.billing import InvoiceInput, create_invoice
from kubus.oltp.services.deliveries import (
    DeliveryInput,
    DeliveryItemInput,
    GoodsIssueInput,
    create_delivery,
    post_goods_issue,
)
from kubus.oltp.services.payments import IncomingPaymentInput, post_incoming_payment
from kubus.oltp.services.sales import OrderItemInput, SalesOrderInput, create_sales_order
from kubus.oltp.status import delivery_status, order_status
from kubus.oltp.stock import stock_levels

if TYPE_CHECKING:
    from oltp_support import Oltp

pytest_plugins = ["oltp_support"]


def test_o2c_1(o2c: Oltp) -> None:
    e = o2c.engine
    order = create_sales_order(e, SalesOrderInput(
        "C1", date(2024, 3, 12), (OrderItemInput("M1", D(100)),)), today=date(2024, 3, 4))
    assert order.order_id == 4711
    item = order.items[0]
    assert (item.item_no, item.quantity, item.confirmed_qty) == (10, D(100), D(100))
    assert (item.net_price, item.net_value, item.tax_rate) == (D("12.50"), D("1250.00"), D(19))
    status = order_status(e, 4711)
    assert status is not None
    assert (status.delivery_status, status.overall_status) == ("A", "A")

    # Delivery 1: 60 of 100 -> order LFSTA B.
    d1 = create_delivery(e, DeliveryInput(4711, (DeliveryItemInput(10, D(60)),)),
                         today=date(2024, 3, 12))
    assert d1.delivery_id == 80017
    assert [(i.item_no, i.order_item, i.quantity) for i in d1.items] == [(10, 10, D(60))]
    status = order_status(e, 4711)
    assert status is not None and status.delivery_status == "B"
    assert status.overall_status == "B"

    # PGI 2024-03-12: Dr COGS 480.00 / Cr stock 480.00; 80017 WBSTA C.
    gi1 = post_goods_issue(e, GoodsIssueInput(80017), posting_date=date(2024, 3, 12))
    assert gi1.total_amount == D("480.00")
    assert totals(e, gi1.acc_doc_id) == {"COGS": (D("480.00"), D(0)),
                                         "INVENTORY": (D(0), D("480.00"))}
    d1_status = delivery_status(e, 80017)
    assert d1_status is not None
    assert (d1_status.goods_movement_status, d1_status.billing_status) == ("C", "A")

    # Invoice 90031: net 750.00, tax 142.50, gross 892.50; discount 03-22, net due 04-11.
    inv1 = create_invoice(e, InvoiceInput((80017,)), billing_date=date(2024, 3, 12))
    assert inv1.billing_id == 90031
    assert (inv1.net_value, inv1.tax_amount, inv1.gross_amount) == (
        D("750.00"), D("142.50"), D("892.50"))
    assert (inv1.discount_date, inv1.due_date) == (date(2024, 3, 22), date(2024, 4, 11))
    assert totals(e, inv1.acc_doc_id) == {"AR": (D("892.50"), D(0)),
                                          "REVENUE": (D(0), D("750.00")),
                                          "OUTPUT_TAX": (D(0), D("142.50"))}
    d1_status = delivery_status(e, 80017)
    assert d1_status is not None and d1_status.billing_status == "C"

    # Delivery 2 + PGI 2024-03-20: 40; COGS 320.00; order LFSTA C, GBSTA C.
    d2 = create_delivery(e, DeliveryInput(4711), today=date(2024, 3, 20))
    assert d2.delivery_id == 80018
    assert [(i.item_no, i.order_item, i.quantity) for i in d2.items] == [(10, 10, D(40))]
    gi2 = post_goods_issue(e, GoodsIssueInput(80018), posting_date=date(2024, 3, 20))
    assert totals(e, gi2.acc_doc_id) == {"COGS": (D("320.00"), D(0)),
                                         "INVENTORY": (D(0), D("320.00"))}
    status = order_status(e, 4711)
    assert status is not None
    assert (status.delivery_status, status.overall_status) == ("C", "C")

    # Invoice 90032: net 500.00, tax 95.00, gross 595.00; net due 04-19.
    inv2 = create_invoice(e, InvoiceInput((80018,)), billing_date=date(2024, 3, 20))
    assert inv2.billing_id == 90032
    assert (inv2.net_value, inv2.tax_amount, inv2.gross_amount) == (
        D("500.00"), D("95.00"), D("595.00"))
    assert inv2.due_date == date(2024, 4, 19)

    # Payment 2024-03-20: 874.65 for 90031 (2% x 892.50 = 17.85 discount) -> cleared.
    pay1 = post_incoming_payment(e, IncomingPaymentInput("C1", D("874.65"), "EUR",
                                                         billing_ids=(90031,)),
                                 payment_date=date(2024, 3, 20))
    assert pay1.discount == D("17.85")
    assert [(i.billing_id, i.paid, i.discount, i.days_past_due, i.residual_item_id)
            for i in pay1.items] == [(90031, D("874.65"), D("17.85"), 0, None)]
    assert totals(e, pay1.acc_doc_id) == {"BANK": (D("874.65"), D(0)),
                                          "CASH_DISCOUNT_EXPENSE": (D("17.85"), D(0)),
                                          "AR": (D(0), D("892.50"))}

    # Payment 2024-04-25: 595.00 for 90032 -> cleared, 6 days past due (matched by amount).
    pay2 = post_incoming_payment(e, IncomingPaymentInput("C1", D("595.00"), "EUR"),
                                 payment_date=date(2024, 4, 25))
    assert [(i.billing_id, i.paid, i.discount, i.days_past_due) for i in pay2.items] == [
        (90032, D("595.00"), D(0), 6)]
    with e.connect() as conn:
        items = conn.execute(sa.select(open_item.c.billing_id, open_item.c.cleared_on)
                             .order_by(open_item.c.billing_id)).all()
    assert [tuple(r) for r in items] == [(90031, date(2024, 3, 20)), (90032, date(2024, 4, 25))]

    # Document flow (VBFA): order -> deliveries -> goods movements / invoices.
    assert flows(e, "C", 4711) == {
        ("C", 4711, 10, "J", 80017, 10, D(60), D("750.00"), None),
        ("C", 4711, 10, "J", 80018, 10, D(40), D("500.00"), None),
        ("C", 4711, 10, "M", 90031, 10, D(60), D("750.00"), None),
        ("C", 4711, 10, "M", 90032, 10, D(40), D("500.00"), None)}
    assert flows(e, "J", 80017) == {
        ("J", 80017, 10, "R", gi1.mat_doc_id, 1, D(60), D("480.00"), "601"),
        ("J", 80017, 10, "M", 90031, 10, D(60), D("750.00"), None)}
    assert flows(e, "J", 80018) == {
        ("J", 80018, 10, "R", gi2.mat_doc_id, 1, D(40), D("320.00"), "601"),
        ("J", 80018, 10, "M", 90032, 10, D(40), D("500.00"), None)}
    assert flows(e, "M", 90031) == {
        ("M", 90031, 0, "+", inv1.acc_doc_id, 0, None, D("892.50"), None),
        ("M", 90031, 0, "+", pay1.acc_doc_id, 0, None, D("892.50"), None)}

    # Invariants: stock 100 - 60 - 40, no open requirement left, a gap-free change log.
    assert [s.unrestricted for s in stock_levels(e, "M1", "1000")] == [D(0)]
    with e.connect() as conn:
        assert open_confirmed_from_documents(conn, "M1", "1000") == D(0)
        assert conn.execute(sa.text("SELECT open_confirmed_qty FROM material_plant WHERE "
                                    "material_id = 'M1'")).scalar() == 0
    seqs = [c.seq for c in changes_after(e, 0)]
    assert seqs == list(range(1, len(seqs) + 1))
