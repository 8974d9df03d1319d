"""A small hand-made warehouse for the business-content suite, and a client for it.

The tables come from ``warehouse_schema.metadata.create_all`` on each backend of the matrix
(a fresh DuckDB/SQLite file, a fresh PostgreSQL database); the rows are the worked examples of
domain.md (CRM-4, O2C-1, P2P-1, DSO, BW-6, IC-1) plus a few neighbours that the KPIs must
leave out (rejected lines, payables, goods not yet issued, e-mails). Flags and day counts are
derived here from the example's dates, as the loader would; the tests compare the Slicer
API's answers with the worked examples' numbers or with a plain-Python recomputation of
these rows.

:class:`Slicer` is a Flask test client over ``create_app(Workspace)``; the ``bc`` fixture of
``business_support`` serves the shipped model ``kubus/config/models/business.json`` with it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from conftest import REPO_ROOT

from kubus.etl import warehouse_schema as ws
from kubus.server.app import create_app
from kubus.server.workspace import Workspace

MODEL = REPO_ROOT / "kubus" / "config" / "models" / "business.json"
FIRST_DAY, LAST_DAY = date(2023, 1, 1), date(2025, 1, 31)


def key(day: date | None) -> int:
    """The YYYYMMDD date key (0 = no date)."""
    return 0 if day is None else day.year * 10000 + day.month * 100 + day.day


# -- dimensions ----------------------------------------------------------------------------------

def date_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [{"date_key": 0, "date": None}]
    day = FIRST_DAY
    while day <= LAST_DAY:
        iso = day.isocalendar()
        rows.append({
            "date_key": key(day), "date": day, "year": day.year,
            "quarter": (day.month - 1) // 3 + 1, "month": day.month,
            "month_name": calendar.month_name[day.month], "day": day.day,
            "iso_year": iso.year, "iso_week": iso.week, "weekday": iso.weekday,
            "fiscal_year": day.year, "fiscal_period": day.year * 1000 + day.month,
        })
        day += timedelta(days=1)
    return rows


# Segment labels as the RFM job writes them (kubus.etl.crm.rfm.SEGMENT_GRID).
CUSTOMERS = [  # key, global id, name, country, country name, region, region name, segment
    (1, "G-000001", "Kunde Eins GmbH", "DE", "Germany", "EMEA", "Europe", "champions"),
    (2, "G-000002", "O2C Kunde AG", "AT", "Austria", "EMEA", "Europe", "loyal"),
    (3, "G-000003", "Acme Inc", "US", "United States", "AMER", "Americas", "champions"),
    (4, "G-000004", "Sleepy Corp", "US", "United States", "AMER", "Americas", "at_risk"),
    (5, "G-000005", "Gone Ltd", "CA", "Canada", "AMER", "Americas", "lost"),
    (6, "G-000006", "Nearly Gone Pty", "AU", "Australia", "APAC", "Asia Pacific", "at_risk"),
]
CHANNELS = {"web": 1, "phone": 2, "email": 3}


def dimension_rows() -> dict[sa.Table, list[dict[str, Any]]]:
    customers = [{"customer_key": 0, "global_id": ""}] + [
        {"customer_key": k, "global_id": g, "customer_name": n, "country": c,
         "country_name": cn, "region": r, "region_name": rn, "segment": s,
         "district": "NORTH" if k % 2 else "SOUTH", "city": "Town", "postal_code": f"{k}000",
         "email": f"buyer{k}@example.com", "phone": f"+4930123{k:04d}"}
        for k, g, n, c, cn, r, rn, s in CUSTOMERS]
    return {
        ws.dim_date: date_rows(),
        ws.dim_source_system: [
            {"source_key": 0, "source_system": ""},
            {"source_key": 1, "source_system": "CURRENT", "source_name": "Current ERP"},
            {"source_key": 2, "source_system": "LEGACY", "source_name": "Legacy ERP"}],
        ws.dim_customer: customers,
        ws.dim_product: [
            {"product_key": 0, "material_id": ""},
            {"product_key": 1, "material_id": "M1", "product_name": "Widget",
             "category": "Hardware", "subcategory": "Widgets", "base_unit": "PC"},
            {"product_key": 2, "material_id": "M2", "product_name": "Gadget",
             "category": "Hardware", "subcategory": "Gadgets", "base_unit": "PC"}],
        ws.dim_plant: [{"plant_key": 0}, {"plant_key": 1, "source_key": 1, "plant": "1000",
                                          "plant_name": "Hamburg", "country": "DE"}],
        ws.dim_route: [{"route_key": 0}, {"route_key": 1, "source_key": 1, "route": "R1",
                                          "route_name": "Truck North", "transit_days": 1}],
        ws.dim_vendor: [{"vendor_key": 0}, {"vendor_key": 1, "source_key": 1, "vendor_id": "V100",
                                            "vendor_name": "Supplier One", "country": "DE"}],
        ws.dim_channel: [{"channel_key": 0, "channel": ""}] + [
            {"channel_key": v, "channel": k, "channel_name": k.title()}
            for k, v in CHANNELS.items()],
    }


# -- sales orders (CRM-4, O2C-1, a rejected line, dates for the time hierarchies) ------------

@dataclass(frozen=True)
class Line:
    order_id: int
    item_no: int
    ordered: date
    customer: int
    channel: str
    quantity: int
    delivered: int
    net_value: Decimal
    rejected: bool = False


CRM4_ORDER = 1001
SALES_LINES = [
    # CRM-4: ordered 10/5/8/2, shipped 10/3/8/2 (customer 1 has no other order)
    *(Line(CRM4_ORDER, i + 1, date(2024, 3, 4), 1, "web", q, s, Decimal(q * 10))
      for i, (q, s) in enumerate([(10, 10), (5, 3), (8, 8), (2, 2)])),
    Line(4711, 10, date(2024, 3, 4), 2, "phone", 100, 100, Decimal("1250.00")),       # O2C-1
    Line(4712, 10, date(2024, 3, 5), 2, "phone", 4, 4, Decimal("400.00")),
    Line(4712, 20, date(2024, 3, 5), 2, "phone", 6, 0, Decimal("600.00"), rejected=True),
    Line(4713, 10, date(2024, 4, 2), 3, "web", 7, 0, Decimal("210.00")),
    Line(4714, 10, date(2023, 12, 31), 3, "web", 1, 1, Decimal("99.00")),   # ISO 2023-W52
    Line(4715, 10, date(2024, 12, 30), 4, "email", 2, 2, Decimal("40.00")),  # ISO 2025-W01
]


def order_rows() -> list[dict[str, Any]]:
    rows = []
    for line in SALES_LINES:
        same = [x for x in SALES_LINES if x.order_id == line.order_id]
        first = line.item_no == min(x.item_no for x in same)
        # A rejected line counts as completed (domain.md §1.4).
        complete = all(x.rejected or x.delivered >= x.quantity for x in same)
        rows.append({
            "source_key": 1, "order_id": line.order_id, "item_no": line.item_no,
            "order_date_key": key(line.ordered),
            "requested_date_key": key(line.ordered + timedelta(days=7)),
            "customer_key": line.customer, "product_key": 1, "plant_key": 1,
            "channel_key": CHANNELS[line.channel], "currency": "EUR",
            "quantity": line.quantity, "confirmed_qty": line.quantity,
            "delivered_qty": line.delivered, "net_value": line.net_value,
            "net_value_gc": line.net_value, "rejected": int(line.rejected),
            "line_count": int(not line.rejected), "order_first_line": int(first),
            "shipped_complete": int(not line.rejected and line.delivered >= line.quantity),
            "order_shipped_complete": int(first and complete),
        })
    return rows


# -- deliveries: O2C-1 (80017, 80018), the CRM-4 order, one line not yet issued -----------------

@dataclass(frozen=True)
class DeliveryLine:
    delivery_id: int
    item_no: int
    order_id: int
    order_item: int
    quantity: int
    planned_gi: date
    actual_gi: date | None
    requested: date


DELIVERY_LINES = [
    DeliveryLine(80017, 10, 4711, 10, 60, date(2024, 3, 12), date(2024, 3, 12), date(2024, 3, 15)),
    DeliveryLine(80018, 10, 4711, 10, 40, date(2024, 3, 15), date(2024, 3, 20), date(2024, 3, 15)),
    *(DeliveryLine(80100, i, CRM4_ORDER, i, q, date(2024, 3, 8), date(2024, 3, 8),
                   date(2024, 3, 11)) for i, q in ((1, 10), (2, 3), (3, 8), (4, 2))),
    DeliveryLine(80200, 10, 4712, 10, 4, date(2024, 3, 20), None, date(2024, 3, 12)),
]
TRANSIT_DAYS = 1


def order_date_of(order_id: int) -> date:
    return next(x.ordered for x in SALES_LINES if x.order_id == order_id)


def delivery_rows() -> list[dict[str, Any]]:
    rows = []
    for d in DELIVERY_LINES:
        ordered = order_date_of(d.order_id)
        issued = d.actual_gi is not None
        arrival = (d.actual_gi or d.planned_gi) + timedelta(days=TRANSIT_DAYS)
        rows.append({
            "source_key": 1, "delivery_id": d.delivery_id, "item_no": d.item_no,
            "order_id": d.order_id, "order_item": d.order_item,
            "created_date_key": key(d.planned_gi - timedelta(days=2)),
            "planned_gi_date_key": key(d.planned_gi), "actual_gi_date_key": key(d.actual_gi),
            "delivery_date_key": key(arrival), "requested_date_key": key(d.requested),
            "order_date_key": key(ordered), "customer_key": 2, "product_key": 1,
            "plant_key": 1, "route_key": 1, "quantity": d.quantity, "line_count": 1,
            "goods_issued": int(issued),
            "on_time_flag": int(d.actual_gi is not None and d.actual_gi <= d.planned_gi),
            "lead_time_days": (d.actual_gi - ordered).days if d.actual_gi else None,
        })
    return rows


# -- billing (O2C-1 invoices, an invoice and its cancellation) and open items ------------------

def billing_rows() -> list[dict[str, Any]]:
    def item(billing_id: int, day: date, kind: str, qty: int, net: str, tax: str,
             cost: str) -> dict[str, Any]:
        btype, cat = {"invoice": ("F2", "M"), "cancel": ("S1", "N")}[kind]
        return {"source_key": 1, "billing_id": billing_id, "item_no": 10,
                "billing_date_key": key(day), "customer_key": 2, "product_key": 1,
                "billing_type": btype, "category": cat, "currency": "EUR", "quantity": qty,
                "net_value": Decimal(net), "tax_amount": Decimal(tax), "cost": Decimal(cost),
                "net_value_gc": Decimal(net), "tax_amount_gc": Decimal(tax),
                "cost_gc": Decimal(cost)}
    return [item(90031, date(2024, 3, 12), "invoice", 60, "750.00", "142.50", "480.00"),
            item(90032, date(2024, 3, 20), "invoice", 40, "500.00", "95.00", "320.00"),
            item(90040, date(2024, 3, 21), "invoice", 4, "400.00", "76.00", "320.00"),
            item(90041, date(2024, 3, 22), "cancel", -4, "-400.00", "-76.00", "-320.00")]


@dataclass(frozen=True)
class OpenItem:
    open_item_id: int
    kind: str
    posted: date
    due: date
    cleared: date | None
    amount: Decimal
    ordered: date | None = None
    source_key: int = 1


O2C1_ITEMS = [
    OpenItem(90031, "AR", date(2024, 3, 12), date(2024, 4, 11), date(2024, 3, 20),
             Decimal("892.50"), date(2024, 3, 4)),
    OpenItem(90032, "AR", date(2024, 3, 20), date(2024, 4, 19), date(2024, 4, 25),
             Decimal("595.00"), date(2024, 3, 4)),
    # A payable paid slowly: none of the receivables KPIs may see it.
    OpenItem(5100001, "AP", date(2024, 3, 1), date(2024, 3, 31), date(2024, 6, 8),
             Decimal("820.00"), date(2024, 2, 20)),
]
# DSO (domain.md §5.5): credit sales 200,000 in 2023, of which 50,000 still open.
DSO_ITEMS = [
    *(OpenItem(7000 + i, "AR", date(2023, 3 * i + 1, 15), date(2023, 3 * i + 2, 14),
               date(2023, 3 * i + 2, 10), Decimal(50000), source_key=2) for i in range(3)),
    OpenItem(7003, "AR", date(2023, 11, 15), date(2023, 12, 15), None, Decimal(50000),
             source_key=2),
    OpenItem(7100, "AP", date(2023, 6, 1), date(2023, 7, 1), None, Decimal(10000),
             source_key=2),
]


def open_item_rows() -> list[dict[str, Any]]:
    rows = []
    for item in (*O2C1_ITEMS, *DSO_ITEMS):
        is_open = item.cleared is None
        rows.append({
            "source_key": item.source_key, "open_item_id": item.open_item_id,
            "kind": item.kind, "customer_key": 2 if item.kind == "AR" else 0,
            "vendor_key": 1 if item.kind == "AP" else 0, "posting_date_key": key(item.posted),
            "due_date_key": key(item.due), "cleared_date_key": key(item.cleared),
            "order_date_key": key(item.ordered), "currency": "EUR", "amount": item.amount,
            "amount_gc": item.amount, "open_amount_gc": item.amount if is_open else 0,
            "item_count": 1, "open_flag": int(is_open), "overdue_flag": 0,
            "days_to_pay": (item.cleared - item.posted).days if item.cleared else None,
            "o2c_days": (item.cleared - item.ordered).days if item.cleared and item.ordered
            else None,
        })
    return rows


# -- stock (BW-6): daily closing stock from the opening stock and the movements ----------------

BW6_OPENING = 1000
BW6_MOVEMENTS = {  # day: (inflow, outflow); Jan +300/-200, Feb 0/-150, Mar +400/-200
    date(2024, 1, 10): (300, 0), date(2024, 1, 20): (0, 200), date(2024, 2, 15): (0, 150),
    date(2024, 3, 5): (400, 0), date(2024, 3, 25): (0, 200),
}
BW6_PRICE = Decimal(2)


def stock_rows() -> list[dict[str, Any]]:
    rows, stock, day = [], BW6_OPENING, date(2024, 1, 1)
    while day <= date(2024, 3, 31):
        inflow, outflow = BW6_MOVEMENTS.get(day, (0, 0))
        stock += inflow - outflow
        rows.append({"source_key": 1, "date_key": key(day), "product_key": 1, "plant_key": 1,
                     "stock_qty": stock, "inflow_qty": inflow, "outflow_qty": outflow,
                     "stock_value_gc": stock * BW6_PRICE})
        day += timedelta(days=1)
    return rows


# -- ATP checks, purchasing (P2P-1) ------------------------------------------------------------

ATP_CHECKS = [  # requested qty, confirmed qty, requested date, confirmed date
    (100, 100, date(2024, 3, 8), date(2024, 3, 8)),
    (50, 30, date(2024, 3, 8), date(2024, 3, 10)),
    (20, 0, date(2024, 3, 9), None),
]


def atp_rows() -> list[dict[str, Any]]:
    return [{"source_key": 1, "check_id": i + 1, "check_date_key": key(date(2024, 3, 4)),
             "requested_date_key": key(req), "confirmed_date_key": key(conf),
             "customer_key": 1, "product_key": 1, "plant_key": 1, "rule": "A",
             "outcome": "full" if c == r else "partial" if c else "none",
             "requested_qty": r, "confirmed_qty": c,
             "delay_days": (conf - req).days if conf else None, "check_count": 1,
             "full_flag": int(c >= r), "on_time_flag": int(conf == req)}
            for i, (r, c, req, conf) in enumerate(ATP_CHECKS)]


P2P1_DUE = date(2024, 3, 15)
P2P1_RECEIPTS = [(date(2024, 3, 15), 150), (date(2024, 3, 18), 50)]  # GR day, quantity
P2P1_PRICE = Decimal("4.00")
SECOND_PO_DUE = date(2024, 4, 2)


def purchasing_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    last = max(day for day, _ in P2P1_RECEIPTS)
    received = sum(q for _, q in P2P1_RECEIPTS)
    po = [{"source_key": 1, "po_id": 4500000123, "item_no": 10,
           "po_date_key": key(date(2024, 3, 1)), "delivery_date_key": key(P2P1_DUE),
           "last_receipt_date_key": key(last),
           "vendor_key": 1, "product_key": 2, "plant_key": 1, "currency": "EUR",
           "quantity": 200, "received_qty": received, "net_value": 200 * P2P1_PRICE,
           "net_value_gc": 200 * P2P1_PRICE, "line_count": 1,
           "received_complete": int(received >= 200), "on_time_flag": int(last <= P2P1_DUE)},
          {"source_key": 1, "po_id": 4500000124, "item_no": 10,
           "po_date_key": key(date(2024, 3, 2)), "delivery_date_key": key(SECOND_PO_DUE),
           "vendor_key": 1, "product_key": 2,
           "plant_key": 1, "currency": "EUR", "quantity": 100, "received_qty": 0,
           "net_value": Decimal(300), "net_value_gc": Decimal(300), "line_count": 1}]
    receipts = [{"source_key": 1, "mat_doc_id": 5000 + i, "item_no": 1, "po_id": 4500000123,
                 "po_item": 10, "posting_date_key": key(day), "vendor_key": 1,
                 "product_key": 2, "plant_key": 1, "quantity": q, "amount_gc": q * P2P1_PRICE,
                 "receipt_count": 1, "on_time_flag": int(day <= P2P1_DUE),
                 "delay_days": (day - P2P1_DUE).days}
                for i, (day, q) in enumerate(P2P1_RECEIPTS)]
    # PO 4500000124: a receipt one day late, reversed the next day (signed row, as the loader
    # writes it: count -1, its own posting date's delay, never on time).
    for i, (day, sign) in enumerate([(date(2024, 4, 3), 1), (date(2024, 4, 4), -1)]):
        receipts.append({
            "source_key": 1, "mat_doc_id": 6000 + i, "item_no": 1, "po_id": 4500000124,
            "po_item": 10, "posting_date_key": key(day), "vendor_key": 1, "product_key": 2,
            "plant_key": 1, "quantity": 10 * sign, "amount_gc": 30 * sign, "receipt_count": sign,
            "on_time_flag": 0, "delay_days": (day - SECOND_PO_DUE).days})
    return po, receipts


# -- interactions (IC-1 plus e-mails) ----------------------------------------------------------

IC1_DAY = date(2024, 3, 4)
# IC-1: 200 offered calls, 10 short abandons, 152 answered within 20 s, 180 answered in total.
IC1 = {"offered": 200, "short_abandons": 10, "in_sla": 152, "answered": 180}
CALL_ORDERS = 30       # answered calls that led to an order of 100.00 each
EMAILS, EMAIL_ORDERS = 5, 2


def interaction_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(IC1["offered"]):
        answered = i < IC1["answered"]
        abandoned = not answered
        ordered = i < CALL_ORDERS
        rows.append({
            "interaction_id": i + 1, "channel": "phone", "direction": "in", "topic": "order",
            "outcome": "order" if ordered else "info" if answered else "abandoned",
            "offered_flag": 1, "answered_flag": int(answered),
            "abandoned_flag": int(abandoned),
            "short_abandon_flag": int(abandoned and i >= IC1["offered"] - IC1["short_abandons"]),
            "answered_in_sla_flag": int(i < IC1["in_sla"]),
            "resolved_first_contact_flag": int(answered and i % 2 == 0),
            "order_flag": int(ordered), "order_value_gc": Decimal(100) if ordered else 0,
            "handling_seconds": 240 + (i % 4) * 30 if answered else 0,
            "wait_seconds": 10 if i < IC1["in_sla"] else 45, "response_seconds": None})
    for j in range(EMAILS):
        ordered = j < EMAIL_ORDERS
        rows.append({
            "interaction_id": 1000 + j, "channel": "email", "direction": "in",
            "topic": "complaint" if j == 4 else "order", "outcome": "order" if ordered else "info",
            "offered_flag": 0, "answered_flag": 0, "abandoned_flag": 0, "short_abandon_flag": 0,
            "answered_in_sla_flag": 0, "resolved_first_contact_flag": 1,
            "order_flag": int(ordered), "order_value_gc": Decimal(250) if ordered else 0,
            "handling_seconds": 600, "wait_seconds": 0, "response_seconds": 3600 * (j + 1)})
    return [{"source_key": 1, "date_key": key(IC1_DAY),
             "customer_key": 1 + r["interaction_id"] % 6, "contact_count": 1,
             "channel_key": CHANNELS[r.pop("channel")], **r} for r in rows]


# -- customers (analytical CRM) -----------------------------------------------------------------

CUSTOMER_FACTS = {  # key: recency days, frequency, monetary, r, f, m, clv, churn
    1: (5, 12, 4800, 5, 5, 5, 9000, 0), 2: (12, 8, 2600, 5, 4, 4, 5000, 0),
    3: (40, 10, 3900, 4, 5, 5, 7000, 0), 4: (150, 2, 300, 2, 2, 2, 400, 1),
    5: (300, 1, 60, 1, 1, 1, 50, 1), 6: (200, 1, 90, 1, 1, 1, 80, 1),
}
RFM_KEY_DATE = date(2024, 3, 31)


def customer_fact_rows() -> list[dict[str, Any]]:
    segments = {k: s for k, *_, s in CUSTOMERS}
    return [{"customer_key": k, "key_date_key": key(RFM_KEY_DATE),
             "last_order_date_key": key(RFM_KEY_DATE - timedelta(days=rec)),
             "first_order_date_key": key(date(2022, 1, 3)) if k != 5 else 0,
             "recency_days": rec, "frequency": f, "monetary_gc": m, "r_score": r,
             "f_score": fs, "m_score": ms, "rfm": f"{r}{fs}{ms}", "segment": segments[k],
             "clv_gc": clv, "churn_score": 0.9 if churn else 0.1, "churn_flag": churn,
             "customer_count": 1}
            for k, (rec, f, m, r, fs, ms, clv, churn) in CUSTOMER_FACTS.items()]


def load_warehouse(engine: sa.Engine) -> None:
    """Create the warehouse tables and insert the worked examples."""
    ws.metadata.create_all(engine)
    po, receipts = purchasing_rows()
    tables = {**dimension_rows(), ws.fact_order_item: order_rows(),
              ws.fact_delivery_item: delivery_rows(), ws.fact_billing_item: billing_rows(),
              ws.fact_open_item: open_item_rows(), ws.fact_stock_daily: stock_rows(),
              ws.fact_atp_check: atp_rows(), ws.fact_po_item: po,
              ws.fact_goods_receipt: receipts, ws.fact_interaction: interaction_rows(),
              ws.fact_customer: customer_fact_rows()}
    with engine.begin() as conn:
        for table, rows in tables.items():
            # Every row gets every column, so executemany sends one statement shape.
            full = [{c.name: row.get(c.name, _default(c)) for c in table.columns} for row in rows]
            conn.execute(table.insert(), full)


def _default(column: sa.Column[Any]) -> Any:
    if column.server_default is None:
        return None
    text = str(column.server_default.arg)  # type: ignore[attr-defined]
    if isinstance(column.type, sa.String):
        return text
    if isinstance(column.type, sa.Float):
        return float(text)
    return Decimal(text) if isinstance(column.type, sa.Numeric) else int(text)


# -- the client -----------------------------------------------------------------------------------

class Slicer:
    """The Slicer API of a workspace over the warehouse, through Flask's test client."""

    def __init__(self, backend: str, workspace: Workspace) -> None:
        self.backend = backend
        self.workspace = workspace
        self.client = create_app(workspace).test_client()

    def get(self, path: str, status: int = 200, **params: Any) -> Any:
        response = self.client.get(path, query_string=params)
        if response.status_code != status:
            raise AssertionError(f"{path} {params}: {response.status_code} "
                                 f"{response.get_data(as_text=True)}")
        if response.mimetype == "application/json":
            return response.get_json()
        return response.get_data(as_text=True)

    def aggregate(self, cube: str, **params: Any) -> dict[str, Any]:
        body = self.get(f"/cube/{cube}/aggregate", **params)
        assert isinstance(body, dict)
        return body

    def summary(self, cube: str, **params: Any) -> dict[str, Any]:
        summary: dict[str, Any] = self.aggregate(cube, **params)["summary"]
        return summary
