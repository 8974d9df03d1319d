"""``fact_interaction`` from the OLTP ``interaction`` table: IC flags (service level, short
abandons, first-contact resolution, orders) and their correction when a repeat contact arrives.
Rows are written as the channel ingest writes them: the row and its change-log entry in one
OLTP transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from etl_support import rows

from kubus.etl.pipeline import run_load
from kubus.etl.sources import Source
from kubus.oltp.changelog import Change, append
from kubus.oltp.schema_interactions import interaction
from kubus.oltp.services.sales import OrderItemInput, SalesOrderInput, create_sales_order
from kubus.oltp.store import transaction

if TYPE_CHECKING:
    from oltp_support import Oltp

pytest_plugins = ["etl_support"]

T0 = datetime(2024, 3, 4, 9, 0)


def _record(oltp: Oltp, n: int, *, channel: str = "phone", customer: str | None = "C1",
            topic: str = "delivery", wait: int = 0, answered: bool = True,
            abandoned: bool = False, order_id: int | None = None,
            at: datetime = T0) -> None:
    with transaction(oltp.engine) as conn:
        conn.execute(interaction.insert().values(
            interaction_id=n, channel=channel, direction="in", external_id=f"x{n}",
            customer_id=customer, identification="identified" if customer else "prospect",
            thread_key=f"x{n}", topic=topic, outcome="abandoned" if abandoned else "answered",
            started_at=at, answered_at=at + timedelta(seconds=wait) if answered else None,
            wait_seconds=wait, handling_seconds=120 if answered else 0, abandoned=abandoned,
            order_id=order_id, received_at=at))
        append(conn, [Change("interaction", str(n), "insert")])


@pytest.mark.parametrize("oltp", ["sqlite"], indirect=True)
def test_interaction_flags_and_fcr_correction(o2c: Oltp, duck: sa.Engine) -> None:
    order = create_sales_order(o2c.engine, SalesOrderInput("C2", date(2024, 3, 12), (
        OrderItemInput("M1", D(8)),)), today=date(2024, 3, 4))          # 100.00 EUR
    _record(o2c, 1, wait=10)                                            # answered in SLA
    _record(o2c, 2, wait=30, customer="C2", topic="billing")            # answered late
    _record(o2c, 3, wait=3, answered=False, abandoned=True, customer=None)  # short abandon
    _record(o2c, 4, wait=40, answered=False, abandoned=True, customer=None)
    _record(o2c, 5, channel="email", customer="C2", topic="order", order_id=order.order_id,
            wait=600)
    run_load(duck, [Source("erp", o2c.url)], today=date(2024, 3, 4))
    totals = rows(duck, """
        SELECT SUM(contact_count), SUM(offered_flag), SUM(answered_flag),
               SUM(answered_in_sla_flag), SUM(short_abandon_flag), SUM(abandoned_flag),
               SUM(order_flag), CAST(SUM(order_value_gc) AS FLOAT),
               SUM(resolved_first_contact_flag)
        FROM fact_interaction""")
    # offered = 4 phone calls; SLA 20 s: only #1; #3 abandoned within 5 s.
    assert totals == [(5, 4, 3, 1, 1, 2, 1, 100.0, 3)]
    assert rows(duck, "SELECT response_seconds FROM fact_interaction WHERE "
                "interaction_id = 5") == [(600,)]

    # C1 calls again on the same topic 3 days later: #1 was not resolved at first contact.
    _record(o2c, 6, wait=5, at=T0 + timedelta(days=3))
    run_load(duck, [Source("erp", o2c.url)], today=date(2024, 3, 7))
    assert rows(duck, "SELECT interaction_id, resolved_first_contact_flag FROM "
                "fact_interaction WHERE interaction_id IN (1, 6) ORDER BY 1") == [(1, 0), (6, 1)]
    assert rows(duck, "SELECT COUNT(*) FROM fact_interaction") == [(6,)]


@pytest.mark.parametrize("oltp", ["sqlite"], indirect=True)
def test_a_confirmed_channel_order_counts_once_and_the_reply_times_the_response(
        o2c: Oltp, duck: sa.Engine) -> None:
    # The channel ingest links the outbound confirmation to the same order (docs/channels.md):
    # only the inbound contact counts the order; the reply's send time ends the response.
    order = create_sales_order(o2c.engine, SalesOrderInput("C2", date(2024, 3, 12), (
        OrderItemInput("M1", D(8)),)), today=date(2024, 3, 4))          # 100.00 EUR
    _record(o2c, 1, channel="email", customer="C2", topic="order", order_id=order.order_id,
            answered=False)
    reply_at = T0 + timedelta(minutes=45)
    with transaction(o2c.engine) as conn:
        conn.execute(interaction.insert().values(
            interaction_id=2, channel="email", direction="out", external_id="x1#reply",
            customer_id="C2", identification="identified", thread_key="x1", parent_id=1,
            topic="order", outcome="sent", started_at=reply_at, wait_seconds=0,
            handling_seconds=0, abandoned=False, order_id=order.order_id,
            received_at=reply_at))
        append(conn, [Change("interaction", "2", "insert")])
    run_load(duck, [Source("erp", o2c.url)], today=date(2024, 3, 4))
    assert rows(duck, "SELECT SUM(contact_count), SUM(order_flag), "
                "CAST(SUM(order_value_gc) AS FLOAT) FROM fact_interaction") == [(2, 1, 100.0)]
    assert rows(duck, "SELECT interaction_id, response_seconds FROM fact_interaction "
                "ORDER BY 1") == [(1, 45 * 60), (2, None)]
