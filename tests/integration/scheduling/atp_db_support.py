"""The worked examples of domain.md §2.3/§3.5 as an OLTP database, built with the services.

Material M1 in plant 1000 (Mon-Fri calendar), today 2024-03-04, elements:

    03-04 stock +100 | 03-06 SO-A -50 | 03-08 PO +80 | 03-11 DL-B -30 | 03-13 PR +60
    03-15 SO-C -120 | 03-18 PO +40                      -> CumATP 40 ... 40, 80 from 03-18

The production and planned orders of the book example are a purchase requisition and a
purchase order here (the OLTP has no production planning). Sales orders are entered with the
ATP checker before 03-04 (SO-A on 02-20, SO-B on 02-22, SO-C on 02-25), so their schedule lines
sit at the example's material availability dates; SO-B is delivered on 03-11 (the delivery is
the requirement DL-B). ``lead_times`` gives the shipping point and route times: zero (the ATP
examples: delivery date = MAD) or the SCH examples' (pick/pack 2, loading 1, transit 2,
transportation lead 1 days). Receipts get ``gr_days`` of GR processing time: their delivery
dates are moved back by it, so they become available on the example's dates.

Importing this module puts ``tests/integration/oltp`` on ``sys.path`` so that its database
fixtures (``oltp_support``: a fresh migrated database per test, SQLite and PostgreSQL) and
helpers (``oltp_data.snapshot``) are shared, not copied.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "oltp"))
pytest.register_assert_rewrite("oltp_support", "oltp_data")

import oltp_data  # noqa: E402
import oltp_support  # noqa: E402

from kubus.oltp import masterdata as md  # noqa: E402
from kubus.oltp.services.deliveries import DeliveryInput, create_delivery  # noqa: E402
from kubus.oltp.services.inventory import (  # noqa: E402
    InitialStockInput,
    StockEntry,
    post_initial_stock,
)
from kubus.oltp.services.purchasing import (  # noqa: E402
    PurchaseOrderInput,
    PurchaseOrderItemInput,
    RequisitionInput,
    RequisitionItemInput,
    create_purchase_order,
    create_purchase_requisition,
)
from kubus.oltp.services.sales import (  # noqa: E402
    OrderItemInput,
    SalesOrderInput,
    SalesOrderResult,
    create_sales_order,
)
from kubus.scheduling.calendar import FactoryCalendar  # noqa: E402
from kubus.scheduling.oltp_checker import AtpChecker  # noqa: E402

__all__ = ["AREA", "SCH_TIMES", "TODAY", "ZERO_TIMES", "Fixture", "LeadTimes", "Oltp",
           "build_example", "master_records", "oltp_data", "oltp_support", "order",
           "schedule_lines"]

Oltp = oltp_support.Oltp
AREA = ("1000", "10", "00")
TODAY = date(2024, 3, 4)
MON_FRI = FactoryCalendar.monday_to_friday()


@dataclass(frozen=True)
class LeadTimes:
    pick_pack: int
    loading: int
    transit: int
    transport_lead: int

    @property
    def to_delivery(self) -> int:
        """Working days from the MAD to the delivery date (pick/pack >= transportation lead)."""
        return self.pick_pack + self.loading + self.transit


ZERO_TIMES = LeadTimes(0, 0, 0, 0)
SCH_TIMES = LeadTimes(2, 1, 2, 1)


def rdd_for(mad: date, times: LeadTimes) -> date:
    """The requested delivery date whose backward-scheduled MAD is ``mad`` (Mon-Fri)."""
    return MON_FRI.add_workdays(mad, times.to_delivery)


def master_records(times: LeadTimes, *, gr_days: int = 0) -> list[object]:
    """Customers: C1 (priority 2, partial deliveries allowed), C2 (priority 1), CC (complete
    delivery per order), CB (one delivery only, KZTLF B), CK (complete only, KZTLF C)."""
    customers = [("C1", 2, False, ""), ("C2", 1, False, ""), ("CC", 2, True, ""),
                 ("CB", 2, False, "B"), ("CK", 2, False, "C")]
    return [
        md.Currency("EUR", "Euro"), md.SalesArea(*AREA, "Germany"),
        md.PaymentTerms("NT30", "net 30", 0, D(0), 30),
        md.TaxRate("DE", "1", "1", "A1", D(19)),
        md.FactoryCalendar("DE", "Germany, Monday to Friday"),
        md.Plant("1000", "Hamburg", "DE", "DE"),
        md.StorageLocation("1000", "0001", "Main store"),
        md.ShippingPoint("1000", "1000", "Hamburg dock", "DE", departure_zone="DE-N",
                         loading_days=D(times.loading), pick_pack_days=D(times.pick_pack)),
        md.Route("R1", "Hamburg - Berlin", D(times.transit), "DE",
                 transport_lead_days=D(times.transport_lead)),
        md.RouteDetermination("DE-N", "DE", "Z-BER", "01", "0001", "R1"),
        *(record for customer_id, priority, complete, partial in customers for record in (
            md.Customer(customer_id, f"Customer {customer_id}", "DE", transport_zone="Z-BER"),
            md.CustomerSalesArea(customer_id, *AREA, currency="EUR", payment_terms="NT30",
                                 delivery_priority=priority, complete_delivery=complete,
                                 partial_delivery=partial, delivering_plant="1000"),
            *md.partners(customer_id, AREA))),
        md.Vendor("V100", "Vendor One", "DE", "EUR", "NT30"),
        md.Material("M1", "Widget"), md.Material("M2", "Other widget"),
        md.Material("M3", "Scarce part"),
        md.MaterialPlant("M1", "1000", D("8.00"), gr_processing_days=gr_days),
        md.MaterialPlant("M2", "1000", D("4.00")),
        md.MaterialPlant("M3", "1000", D("2.00")),
        *(md.SalesPrice(m, "1000", "10", "EUR", date(2024, 1, 1), D("10.00"))
          for m in ("M1", "M2", "M3")),
    ]


def order(bind: sa.Engine | sa.Connection, customer: str, qty: int | D, rdd: date, *,
          today: date = TODAY, material: str = "M1",
          checker: AtpChecker | None = None) -> SalesOrderResult:
    """Enter a one-item order with the ATP checker (a fresh one unless given)."""
    return create_sales_order(bind, SalesOrderInput(
        customer, rdd, (OrderItemInput(material, D(qty)),)), today=today,
        checker=checker or AtpChecker())


@dataclass(frozen=True)
class Fixture:
    db: oltp_support.Oltp
    times: LeadTimes
    so_a: int
    so_b: int
    so_c: int
    delivery_b: int

    @property
    def engine(self) -> sa.Engine:
        return self.db.engine

    def rdd(self, mad: date) -> date:
        return rdd_for(mad, self.times)


def _minus_workdays(day: date, days: int) -> date:
    return MON_FRI.subtract_workdays(day, days) if days else day


def build_example(db: oltp_support.Oltp, times: LeadTimes = ZERO_TIMES, *,
                  gr_days: int = 0) -> Fixture:
    """The §2.3 element table for M1 in ``db`` (module docstring)."""
    engine = db.engine
    md.create(engine, master_records(times, gr_days=gr_days))
    post_initial_stock(engine, InitialStockInput((StockEntry("M1", "1000", "0001", D(100)),)),
                       posting_date=date(2024, 2, 1))
    pr = create_purchase_requisition(engine, RequisitionInput((RequisitionItemInput(
        "M1", "1000", D(60), _minus_workdays(date(2024, 3, 13), gr_days)),)),
        today=date(2024, 2, 1))
    create_purchase_order(engine, PurchaseOrderInput("V100", (
        PurchaseOrderItemInput("M1", "1000", D(80), _minus_workdays(date(2024, 3, 8), gr_days),
                               net_price=D("5.00")),
        PurchaseOrderItemInput("M1", "1000", D(40), _minus_workdays(date(2024, 3, 18),
                                                                    gr_days),
                               net_price=D("5.00")))), today=date(2024, 2, 1))
    assert pr.pr_id
    so_a = order(engine, "C1", 50, rdd_for(date(2024, 3, 6), times), today=date(2024, 2, 20))
    so_b = order(engine, "C1", 30, rdd_for(date(2024, 3, 11), times), today=date(2024, 2, 22))
    so_c = order(engine, "C1", 120, rdd_for(date(2024, 3, 15), times), today=date(2024, 2, 25))
    for result in (so_a, so_b, so_c):
        assert result.items[0].confirmed_qty == result.items[0].quantity
    delivery = create_delivery(engine, DeliveryInput(so_b.order_id), today=date(2024, 3, 11))
    return Fixture(db, times, so_a.order_id, so_b.order_id, so_c.order_id,
                   delivery.delivery_id)


def schedule_lines(engine: sa.Engine, order_id: int, item_no: int = 10
                   ) -> list[tuple[object, ...]]:
    """(line, delivery date, requested, confirmed, MAD, TPD, loading, GI) of an item."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT line_no, delivery_date, requested_qty, confirmed_qty, "
            "material_availability_date, transportation_planning_date, loading_date, "
            "goods_issue_date FROM sales_order_schedule_line WHERE order_id = :o AND "
            "item_no = :i ORDER BY line_no"), {"o": order_id, "i": item_no}).all()
    return [(r[0], _date(r[1]), D(str(r[2])), D(str(r[3])), _date(r[4]), _date(r[5]),
             _date(r[6]), _date(r[7])) for r in rows]


def _date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def days(start: date, n: int) -> date:
    return start + timedelta(days=n)
