"""Bad input gets a clear, typed error and changes nothing: every table's row count, the stock,
the open quantities and the whole change log are the same before and after the call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal as D
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from oltp_data import snapshot

from kubus.oltp.errors import BadRequest, Conflict, Invalid, NotFound, OltpError
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
from kubus.oltp.services.inventory import TransferInput, transfer_stock
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

if TYPE_CHECKING:
    from oltp_support import Oltp

pytest_plugins = ["oltp_support"]

TODAY = date(2024, 3, 4)
RDD = date(2024, 3, 12)


def order(*items: OrderItemInput, sold_to: str = "C1", **kw: Any) -> SalesOrderInput:
    return SalesOrderInput(sold_to, RDD, items, **kw)


def assert_refused(engine: sa.Engine, call: Callable[[], object],
                   error: type[OltpError], code: str) -> OltpError:
    before = snapshot(engine)
    with pytest.raises(error) as excinfo:
        call()
    assert excinfo.value.code == code, excinfo.value
    assert excinfo.value.message
    assert snapshot(engine) == before
    return excinfo.value


@pytest.fixture
def scene(o2c: Oltp) -> sa.Engine:
    """Order 4711 (100 M1), delivery 80017 (60) goods-issued and billed (90031), paid."""
    e = o2c.engine
    create_sales_order(e, order(OrderItemInput("M1", D(100))), today=TODAY)
    create_delivery(e, DeliveryInput(4711, (DeliveryItemInput(10, D(60)),)), today=RDD)
    post_goods_issue(e, GoodsIssueInput(80017), posting_date=RDD)
    create_invoice(e, InvoiceInput((80017,)), billing_date=RDD)
    post_incoming_payment(e, IncomingPaymentInput("C1", D("874.65"), "EUR",
                                                  billing_ids=(90031,)), payment_date=RDD)
    return e


def test_order_entry_refusals(scene: sa.Engine) -> None:
    e = scene

    def place(o: SalesOrderInput) -> Callable[[], object]:
        return lambda: create_sales_order(e, o, today=TODAY)

    assert_refused(e, place(order(OrderItemInput("NOPE", D(1)))), NotFound, "unknown_material")
    assert_refused(e, place(order(OrderItemInput("M1", D(1)), sold_to="C9")), NotFound,
                   "unknown_customer")
    assert_refused(e, place(order(OrderItemInput("M1", D(-5)))), BadRequest,
                   "invalid_quantity")
    assert_refused(e, place(order(OrderItemInput("M1", D(0)))), BadRequest, "invalid_quantity")
    assert_refused(e, place(order(OrderItemInput("M1", D("0.0001")))), BadRequest,
                   "invalid_quantity")
    assert_refused(e, place(order(OrderItemInput("M1", D(1)), currency="XYZ")), NotFound,
                   "unknown_currency")
    assert_refused(e, place(order(OrderItemInput("M1", D(1)), currency="USD")), Invalid,
                   "no_price")
    assert_refused(e, place(order()), BadRequest, "no_items")
    assert_refused(e, place(order(OrderItemInput("M1", D(1), plant="9999"))), NotFound,
                   "unknown_plant")
    # The second item is bad: the first, valid one must not be written either.
    assert_refused(e, place(order(OrderItemInput("M1", D(1)), OrderItemInput("M9", D(1)))),
                   NotFound, "unknown_material")


def test_document_refusals(scene: sa.Engine) -> None:
    e = scene
    over = assert_refused(e, lambda: create_delivery(e, DeliveryInput(4711, (
        DeliveryItemInput(10, D(41)),)), today=RDD), Conflict, "over_delivery")
    assert over.details["deliverable"] == "40.000"
    assert_refused(e, lambda: create_delivery(e, DeliveryInput(4712), today=RDD), NotFound,
                   "unknown_order")
    assert_refused(e, lambda: create_delivery(e, DeliveryInput(4711, (
        DeliveryItemInput(20, D(1)),)), today=RDD), NotFound, "unknown_order_item")
    # Not due yet: the schedule line is for 2024-03-12.
    assert_refused(e, lambda: create_delivery(e, DeliveryInput(4711), today=date(2024, 3, 11)),
                   Invalid, "nothing_to_deliver")
    assert_refused(e, lambda: post_goods_issue(e, GoodsIssueInput(80017), posting_date=RDD),
                   Conflict, "already_issued")
    assert_refused(e, lambda: reverse_goods_issue(e, GoodsIssueInput(80017), posting_date=RDD),
                   Conflict, "already_billed")
    # Billing an undelivered (not goods-issued) item.
    create_delivery(e, DeliveryInput(4711), today=RDD)
    assert_refused(e, lambda: create_invoice(e, InvoiceInput((80018,)), billing_date=RDD),
                   Invalid, "not_goods_issued")
    assert_refused(e, lambda: create_invoice(e, InvoiceInput((80017,)), billing_date=RDD),
                   Conflict, "already_billed")
    assert_refused(e, lambda: create_invoice(e, InvoiceInput((99,)), billing_date=RDD),
                   NotFound, "unknown_delivery")
    # Paying twice, paying a cleared invoice by amount, overpaying.
    assert_refused(e, lambda: post_incoming_payment(e, IncomingPaymentInput(
        "C1", D("874.65"), "EUR", billing_ids=(90031,)), payment_date=RDD), Conflict,
        "already_cleared")
    assert_refused(e, lambda: post_incoming_payment(e, IncomingPaymentInput(
        "C1", D("874.65"), "EUR"), payment_date=RDD), Invalid, "no_matching_item")
    assert_refused(e, lambda: post_incoming_payment(e, IncomingPaymentInput(
        "C1", D("-1"), "EUR"), payment_date=RDD), BadRequest, "invalid_amount")
    assert_refused(e, lambda: post_incoming_payment(e, IncomingPaymentInput(
        "C1", D("1"), "XYZ"), payment_date=RDD), NotFound, "unknown_currency")
    # Cancelling a paid invoice; over-crediting.
    assert_refused(e, lambda: cancel_billing_document(e, CancellationInput(90031),
                                                      cancellation_date=RDD),
                   Conflict, "already_cleared")
    assert_refused(e, lambda: create_credit_memo(e, CreditMemoInput(90031, (
        CreditMemoItemInput(10, D(61)),)), billing_date=RDD), Conflict, "over_credit")


def test_change_refusals(scene: sa.Engine) -> None:
    e = scene
    assert_refused(e, lambda: change_item_quantity(e, ChangeQuantityInput(4711, 10, D(50)),
                                                   today=TODAY),
                   Conflict, "below_delivered_quantity")
    assert_refused(e, lambda: change_item_quantity(e, ChangeQuantityInput(
        4711, 10, D(120), expected_version=7), today=TODAY), Conflict, "stale_version")
    create_delivery(e, DeliveryInput(4711), today=RDD)  # 40 more, not goods-issued
    assert_refused(e, lambda: reject_item(e, RejectItemInput(4711, 10), today=TODAY),
                   Conflict, "item_completed")
    # Stock moved to quality inspection cannot be goods-issued from unrestricted.
    transfer_stock(e, TransferInput("M1", "1000", "0001", D(40), "U", "Q"), posting_date=RDD)
    assert_refused(e, lambda: post_goods_issue(e, GoodsIssueInput(80018), posting_date=RDD),
                   Conflict, "insufficient_stock")
