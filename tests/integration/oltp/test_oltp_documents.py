"""The other document paths: quantity changes and rejection, goods-issue reversal,
cancellation and credit memo, partial payment, partial confirmation, delivery rules, master
data, the change-log reader and several source systems side by side."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oltp_data import flows, load_worked_example_master_data, totals

from kubus.oltp import masterdata as md
from kubus.oltp.availability import open_confirmed_from_documents
from kubus.oltp.changelog import changes_after, last_seq
from kubus.oltp.errors import Conflict, Invalid, NotFound
from kubus.oltp.migrate import upgrade
from kubus.oltp.numbering import set_number_range
from kubus.oltp.schema import open_item, system_info
from kubus.oltp.services.billing import (
    CancellationInput,
    CreditMemoInput,
    CreditMemoItemInput,
    InvoiceInput,
    cancel_billing_document,
    create_credit_memo,
    create_invoice,
)
from kubus.oltp.services.deliveries import (
    DeliveryInput,
    DeliveryItemInput,
    GoodsIssueInput,
    create_delivery,
    post_goods_issue,
    reverse_goods_issue,
)
from kubus.oltp.services.inventory import InitialStockInput, StockEntry, post_initial_stock
from kubus.oltp.services.payments import IncomingPaymentInput, post_incoming_payment
from kubus.oltp.services.sales import (
    ChangeQuantityInput,
    OrderItemInput,
    RejectItemInput,
    SalesOrderInput,
    change_item_quantity,
    create_sales_order,
    reject_item,
)
from kubus.oltp.status import delivery_status, derive_status, order_status
from kubus.oltp.stock import stock_levels
from kubus.oltp.store import open_store, transaction

if TYPE_CHECKING:
    from oltp_support import Oltp

pytest_plugins = ["oltp_support"]

TODAY, RDD = date(2024, 3, 4), date(2024, 3, 12)


def place(e: sa.Engine, *items: tuple[str, int], sold_to: str = "C1") -> int:
    return create_sales_order(e, SalesOrderInput(sold_to, RDD, tuple(
        OrderItemInput(m, D(q)) for m, q in items)), today=TODAY).order_id


def open_qty_in_sync(e: sa.Engine, material_id: str = "M1") -> D:
    with e.connect() as conn:
        stored = conn.execute(sa.text(
            "SELECT open_confirmed_qty FROM material_plant WHERE material_id = :m"),
            {"m": material_id}).scalar()
        recomputed = open_confirmed_from_documents(conn, material_id, "1000")
    assert D(str(stored)) == recomputed
    return recomputed


def test_change_quantity_and_reject(o2c: Oltp) -> None:
    e = o2c.engine
    order_id = place(e, ("M1", 30), ("M2", 5))  # M2 has no stock: nothing confirmed
    status = order_status(e, order_id)
    assert status is not None
    assert [i.confirmation_status for i in status.items] == ["C", "A"]
    assert status.confirmation_status == "B"
    up = change_item_quantity(e, ChangeQuantityInput(order_id, 10, D(120), expected_version=1),
                              today=TODAY)
    # 100 in stock: 30 were confirmed, 70 more can be.
    assert (up.quantity, up.confirmed_qty, up.version) == (D(120), D(100), 2)
    assert up.order_net_value == D("1530.00")  # 120 x 12.50 + 5 x 6.00
    assert open_qty_in_sync(e) == D(100)
    with pytest.raises(Conflict):
        change_item_quantity(e, ChangeQuantityInput(order_id, 10, D(10), expected_version=1),
                             today=TODAY)
    down = change_item_quantity(e, ChangeQuantityInput(order_id, 10, D(50)), today=TODAY)
    assert (down.confirmed_qty, down.version) == (D(50), 3)
    assert open_qty_in_sync(e) == D(50)
    create_delivery(e, DeliveryInput(order_id, (DeliveryItemInput(10, D(20)),)), today=RDD)
    post_goods_issue(e, GoodsIssueInput(80017), posting_date=RDD)
    rejected = reject_item(e, RejectItemInput(order_id, 10, "02"), today=TODAY)
    assert rejected.order_net_value == D("30.00")
    assert open_qty_in_sync(e) == D(0)
    reject_item(e, RejectItemInput(order_id, 20), today=TODAY)
    status = order_status(e, order_id)
    assert status is not None
    assert [(i.rejected, i.delivery_status) for i in status.items] == [(True, "C"), (True, "C")]
    assert status.overall_status == "C"
    with pytest.raises(Conflict):
        reject_item(e, RejectItemInput(order_id, 20), today=TODAY)


def test_partial_confirmation_and_delivery_rules(o2c: Oltp) -> None:
    e = o2c.engine
    first = place(e, ("M1", 70))
    second = create_sales_order(e, SalesOrderInput("C2", RDD, (OrderItemInput("M1", D(50)),)),
                                today=TODAY)
    assert second.items[0].confirmed_qty == D(30)  # 100 in stock, 70 promised to the first
    with pytest.raises(Conflict) as excinfo:
        create_delivery(e, DeliveryInput(second.order_id, (DeliveryItemInput(10, D(31)),)),
                        today=RDD)
    assert excinfo.value.code == "over_delivery"
    delivered = create_delivery(e, DeliveryInput(second.order_id), today=RDD)
    assert [i.quantity for i in delivered.items] == [D(30)]
    status = order_status(e, second.order_id)
    assert status is not None and status.delivery_status == "B"
    md.update(e, [md.CustomerSalesArea("C1", "1000", "10", "00", currency="EUR",
                                       payment_terms="ZB10", delivering_plant="1000",
                                       complete_delivery=True)])
    post_initial_stock(e, InitialStockInput((StockEntry("M1", "1000", "0001", D(5)),)),
                       posting_date=RDD)
    complete = place(e, ("M1", 5), ("M2", 5))  # M2 cannot be confirmed
    with pytest.raises(Invalid) as rule:
        create_delivery(e, DeliveryInput(complete), today=RDD)
    assert rule.value.code == "complete_delivery_required"
    assert first


def test_goods_issue_reversal(o2c: Oltp) -> None:
    e = o2c.engine
    order_id = place(e, ("M1", 40))
    create_delivery(e, DeliveryInput(order_id), today=RDD)
    gi = post_goods_issue(e, GoodsIssueInput(80017), posting_date=RDD)
    assert open_qty_in_sync(e) == D(0)
    rev = reverse_goods_issue(e, GoodsIssueInput(80017), posting_date=RDD)
    assert (rev.movement_type, rev.total_amount) == ("602", D("320.00"))
    assert totals(e, rev.acc_doc_id) == {"INVENTORY": (D("320.00"), D(0)),
                                         "COGS": (D(0), D("320.00"))}
    assert [s.unrestricted for s in stock_levels(e, "M1", "1000")] == [D(100)]
    assert open_qty_in_sync(e) == D(40)
    status = delivery_status(e, 80017)
    assert status is not None and status.goods_movement_status == "A"
    assert ("J", 80017, 10, "h", rev.mat_doc_id, 1, D(40), D("320.00"), "602") in flows(
        e, "J", 80017)
    with pytest.raises(Conflict):
        reverse_goods_issue(e, GoodsIssueInput(80017), posting_date=RDD)
    again = post_goods_issue(e, GoodsIssueInput(80017), posting_date=RDD)
    assert again.mat_doc_id > gi.mat_doc_id
    assert open_qty_in_sync(e) == D(0)


def test_cancellation_credit_memo_and_partial_payment(o2c: Oltp) -> None:
    e = o2c.engine
    order_id = place(e, ("M1", 60))
    create_delivery(e, DeliveryInput(order_id), today=RDD)
    post_goods_issue(e, GoodsIssueInput(80017), posting_date=RDD)
    inv = create_invoice(e, InvoiceInput((80017,)), billing_date=RDD)
    cancel = cancel_billing_document(e, CancellationInput(inv.billing_id),
                                     cancellation_date=RDD)
    assert (cancel.category, cancel.billing_type, cancel.gross_amount) == ("N", "S1",
                                                                          D("892.50"))
    assert totals(e, cancel.acc_doc_id) == {"AR": (D(0), D("892.50")),
                                            "REVENUE": (D("750.00"), D(0)),
                                            "OUTPUT_TAX": (D("142.50"), D(0))}
    status = delivery_status(e, 80017)
    assert status is not None and status.billing_status == "A"  # billable again
    with pytest.raises(Conflict):
        cancel_billing_document(e, CancellationInput(inv.billing_id), cancellation_date=RDD)
    with pytest.raises(Conflict):  # its open item was cleared by the cancellation
        post_incoming_payment(e, IncomingPaymentInput("C1", D("892.50"), "EUR",
                                                      billing_ids=(inv.billing_id,)),
                              payment_date=RDD)
    inv2 = create_invoice(e, InvoiceInput((80017,)), billing_date=RDD)
    memo = create_credit_memo(e, CreditMemoInput(inv2.billing_id, (
        CreditMemoItemInput(10, D(10)),)), billing_date=RDD)
    assert (memo.category, memo.net_value, memo.tax_amount, memo.gross_amount) == (
        "O", D("125.00"), D("23.75"), D("148.75"))
    # Partial payment of the invoice net of the credit memo, after the discount period.
    late = date(2024, 4, 1)
    part = post_incoming_payment(e, IncomingPaymentInput(
        "C1", D("500.00"), "EUR", billing_ids=(inv2.billing_id, memo.billing_id)),
        payment_date=late)
    assert [(i.billing_id, i.paid, i.discount) for i in part.items] == [
        (memo.billing_id, D("-148.75"), D(0)), (inv2.billing_id, D("648.75"), D(0))]
    residual_id = part.items[1].residual_item_id
    assert residual_id is not None
    with e.connect() as conn:
        residual = conn.execute(sa.select(open_item).where(
            open_item.c.open_item_id == residual_id)).one()
    assert (residual.amount, residual.residual_of, residual.cleared_by) == (
        D("243.75"), part.items[1].open_item_id, None)  # 892.50 - 648.75
    assert totals(e, part.acc_doc_id) == {"BANK": (D("500.00"), D(0)),
                                          "AR": (D("148.75") + D("243.75"), D("892.50"))}
    final = post_incoming_payment(e, IncomingPaymentInput("C1", D("243.75"), "EUR"),
                                  payment_date=date(2024, 4, 20))
    assert [(i.open_item_id, i.days_past_due) for i in final.items] == [(residual_id, 9)]


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(quantity=st.integers(1, 12), parts=st.lists(st.integers(1, 5), max_size=4))
def test_statuses_follow_quantities(o2c: Oltp, quantity: int, parts: list[int]) -> None:
    """Whatever is delivered, the order's statuses are the A/B/C rule of the quantities."""
    e = o2c.engine
    with transaction(e) as conn:  # every example needs stock of its own
        conn.execute(sa.text("UPDATE stock SET unrestricted = unrestricted + 20 "
                             "WHERE material_id = 'M1'"))
    order_id = place(e, ("M1", quantity))
    delivered = 0
    for part in parts:
        qty = min(part, quantity - delivered)
        if qty <= 0:
            break
        create_delivery(e, DeliveryInput(order_id, (DeliveryItemInput(10, D(qty)),)), today=RDD)
        delivered += qty
        status = order_status(e, order_id)
        assert status is not None
        assert status.delivery_status == derive_status(D(delivered), D(quantity))
        assert status.items[0].delivered_qty == D(delivered)
    open_qty_in_sync(e)


def test_master_data_errors_and_updates(o2c: Oltp) -> None:
    e = o2c.engine
    with pytest.raises(Conflict):
        md.create(e, [md.Currency("EUR", "Euro again")])
    with pytest.raises(NotFound) as excinfo:
        md.create(e, [md.Customer("C7", "New", "DE"),
                      md.CustomerSalesArea("C7", "1000", "10", "00", currency="XXX",
                                           payment_terms="ZB10")])
    assert excinfo.value.code == "unknown_currency"
    assert md.create(e, [md.Currency("CHF", "Franc"),
                         md.ExchangeRate("CHF", "EUR", date(2024, 1, 1), D("1.05"))]) == 2
    md.update(e, [md.MaterialPlant("M1", "1000", D("8.50"))])
    with pytest.raises(NotFound):
        md.update(e, [md.Material("NOPE", "none")])
    keys = {(c.entity, c.key, c.operation) for c in changes_after(e, 0)}
    assert ("currency", "CHF", "insert") in keys
    assert ("material_plant", "M1/1000", "update") in keys


def test_change_log_reader_pages_in_order(o2c: Oltp) -> None:
    e = o2c.engine
    place(e, ("M1", 1), ("M1", 2))  # two items of one material: checked one after the other
    everything = changes_after(e, 0)
    assert [c.seq for c in everything] == list(range(1, last_seq(e) + 1))
    pages, seq = [], 0
    while batch := changes_after(e, seq, limit=7):
        pages.extend(batch)
        seq = batch[-1].seq
    assert pages == everything
    assert [(c.entity, c.key) for c in everything[-5:]] == [
        ("sales_order", "4711"), ("sales_order_item", "4711/10"),
        ("sales_order_schedule_line", "4711/10/1"), ("sales_order_item", "4711/20"),
        ("sales_order_schedule_line", "4711/20/1")]


def test_several_source_systems_side_by_side(tmp_path: Path) -> None:
    """The same code as two independent databases, each with its own number ranges."""
    engines = []
    for n, first in ((1, 4711), (2, 500_000)):
        url = f"sqlite:///{tmp_path / f'erp{n}.sqlite'}"
        upgrade(url)
        engine = open_store(url)
        load_worked_example_master_data(engine)
        md.update(engine, [md.SystemInfo(f"ERP{n}", f"Source system {n}")])
        with transaction(engine) as conn:
            set_number_range(conn, "sales_order", first)
        engines.append(engine)
    try:
        ids = [place(engine, ("M1", 5)) for engine in engines]
        assert ids == [4711, 500_000]
        for n, engine in enumerate(engines, start=1):
            with engine.connect() as conn:
                assert conn.execute(sa.select(system_info.c.system_id)).scalar() == f"ERP{n}"
    finally:
        for engine in engines:
            engine.dispose()
