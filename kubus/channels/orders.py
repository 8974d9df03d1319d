"""Orders from channels: the same order entry as the JSON API, and the reply.

A contact with an order (web-shop order, ``ORDER`` lines in an e-mail, fax or letter) from an
identified customer becomes a sales order through
:func:`kubus.oltp.services.sales.create_sales_order` with the availability checker the caller
passes in (the server passes the ATP checker; ``channels`` never imports ``scheduling``), with
``channel`` set on the order and the message id as the customer reference. The interaction
links to the order, and the reply is recorded as an outbound interaction in the same thread:
the confirmation with the confirmed quantities and dates, or the reason order entry refused
it. Order entry runs in a savepoint, so a refused order leaves no trace but the reply.

A contact that is ambiguous or a prospect gets no order and no reply: an agent has to confirm
the account first (outcome ``needs_review``). Example::

    outcome = enter_order(unit, contact, identity, interaction_id, checker=checker,
                          today=date(2024, 3, 4), now=now)
    outcome.order_id, outcome.reply_id          # 4711, 12
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kubus.channels.base import Contact, clip
from kubus.channels.identify import Identity
from kubus.channels.storage import insert_returning
from kubus.oltp.availability import AvailabilityChecker
from kubus.oltp.errors import OltpError
from kubus.oltp.schema_interactions import interaction
from kubus.oltp.services.sales import (
    OrderItemInput,
    SalesOrderInput,
    SalesOrderResult,
    create_sales_order,
)
from kubus.oltp.unit_of_work import UnitOfWork

__all__ = ["OrderOutcome", "enter_order", "reply_external_id"]


@dataclass(frozen=True)
class OrderOutcome:
    """The order created (or ``None``), the reply's interaction id and a refusal reason."""

    order_id: int | None
    reply_id: int | None
    reason: str | None = None


def reply_external_id(external_id: str) -> str:
    """The external id of the reply to a message: unique, and the same on every replay."""
    return f"{external_id[:240]}#reply"


def _confirmation_text(result: SalesOrderResult) -> str:
    lines = [f"Sales order {result.order_id}: net value {result.net_value} {result.currency}."]
    for item in result.items:
        dates = ", ".join(f"{line.confirmed_qty} on {line.delivery_date}"
                          for line in item.schedule_lines if line.confirmed_qty > 0)
        lines.append(f"Item {item.item_no} {item.material_id} {item.quantity}: "
                     f"{'confirmed ' + dates if dates else 'not confirmed yet'}")
    return "\n".join(lines)


def enter_order(unit: UnitOfWork, contact: Contact, identity: Identity, interaction_id: int,
                *, checker: AvailabilityChecker, today: date, now: datetime) -> OrderOutcome:
    """Create the order of ``contact`` (stored as ``interaction_id``) and record the reply."""
    order = contact.order
    assert order is not None
    if identity.customer_id is None:
        unit.update(interaction, {"interaction_id": interaction_id},
                    {"outcome": "needs_review"})
        return OrderOutcome(None, None, f"sender not identified ({identity.status}): the "
                            "order waits for an agent to confirm the account")
    request = SalesOrderInput(
        sold_to=identity.customer_id,
        requested_delivery_date=order.requested_delivery_date or today,
        items=tuple(OrderItemInput(line.material_id, line.quantity,
                                   requested_delivery_date=line.requested_date)
                    for line in order.lines),
        customer_reference=clip(order.reference or contact.external_id, 35),
        channel=contact.channel)
    conn = unit.conn
    savepoint = conn.begin_nested()
    try:
        result = create_sales_order(conn, request, today=today, checker=checker)
    except OltpError as error:
        savepoint.rollback()
        reason = f"{error.code}: {error.message}"
        unit.update(interaction, {"interaction_id": interaction_id},
                    {"outcome": "order_rejected"})
        reply = _reply(unit, contact, identity, parent_id=interaction_id, order_id=None,
                       now=now, topic="order_rejection",
                       text=f"Your order could not be accepted: {reason}")
        return OrderOutcome(None, reply, reason)
    savepoint.commit()
    unit.update(interaction, {"interaction_id": interaction_id},
                {"outcome": "order_created", "order_id": result.order_id})
    reply = _reply(unit, contact, identity, parent_id=interaction_id, order_id=result.order_id,
                   now=now, topic="order_confirmation", text=_confirmation_text(result))
    return OrderOutcome(result.order_id, reply)


def _reply(unit: UnitOfWork, contact: Contact, identity: Identity, *, parent_id: int,
           order_id: int | None, now: datetime, topic: str, text: str) -> int:
    subject = ("Order confirmation" if order_id else "Order not accepted") + (
        f" {order_id}" if order_id else f": {contact.subject}")
    (reply_id,) = insert_returning(unit, interaction, [{
        "channel": contact.channel, "direction": "out",
        "external_id": reply_external_id(contact.external_id),
        "customer_id": identity.customer_id, "prospect_id": None,
        "identification": "identified", "sender": "", "sender_key": "",
        "recipient": clip(contact.sender, 255),
        "thread_key": (contact.thread_key or contact.external_id)[:255],
        "parent_external_id": contact.external_id, "parent_id": parent_id, "topic": topic,
        "outcome": "sent", "queue": None, "agent": None, "started_at": now,
        "answered_at": None, "ended_at": now, "wait_seconds": None, "handling_seconds": None,
        "abandoned": False, "order_id": order_id, "subject": clip(subject, 255),
        "text_excerpt": clip(text, 1000), "pages": None, "document_type": None,
        "attachment_count": 0, "source_ref": "reply", "received_at": now}])
    return reply_id
