"""Master data of the worked examples O2C-1 and P2P-1 (domain.md §1.6/§1.7)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from decimal import Decimal as D

import sqlalchemy as sa

from kubus.oltp import masterdata as md
from kubus.oltp.accounting import lines_of
from kubus.oltp.docflow import flow_of
from kubus.oltp.numbering import set_number_range
from kubus.oltp.schema import metadata
from kubus.oltp.services.inventory import InitialStockInput, StockEntry, post_initial_stock
from kubus.oltp.store import transaction

AREA = ("1000", "10", "00")
EXAMPLE_NUMBERS = {"sales_order": 4711, "delivery": 80017, "billing_document": 90031,
                   "purchase_order": 4_500_000_123, "purchase_requisition": 10001}


def master_records() -> list[object]:
    return [
        md.Currency("EUR", "Euro"), md.Currency("USD", "US Dollar"),
        md.ExchangeRate("USD", "EUR", date(2024, 1, 1), Decimal("0.92")),
        md.PaymentTerms("ZB10", "2% within 10 days, net 30", 10, Decimal(2), 30),
        md.PaymentTerms("NT30", "net 30", 0, Decimal(0), 30),
        md.TaxRate("DE", "1", "1", "A1", Decimal(19)),
        md.SalesArea(*AREA, "Germany domestic"),
        md.FactoryCalendar("DE", "Germany, Monday to Friday"),
        md.Holiday("DE", date(2024, 3, 29), "Good Friday"),
        md.Plant("1000", "Hamburg", "DE", "DE"),
        md.StorageLocation("1000", "0001", "Main store"),
        md.StorageLocation("1000", "0002", "Overflow"),
        md.ShippingPoint("1000", "1000", "Hamburg dock", "DE", departure_zone="DE-N",
                         loading_days=Decimal(1), pick_pack_days=Decimal(2)),
        md.Route("R1", "Hamburg - Berlin", Decimal(2), "DE", transport_lead_days=Decimal(1)),
        md.RouteDetermination("DE-N", "DE", "Z-BER", "01", "0001", "R1"),
        md.Customer("C1", "Acme GmbH", "DE", city="Berlin", transport_zone="Z-BER"),
        md.Customer("C2", "Beta AG", "DE", city="Berlin", transport_zone="Z-BER"),
        md.CustomerSalesArea("C1", *AREA, currency="EUR", payment_terms="ZB10",
                             delivering_plant="1000"),
        md.CustomerSalesArea("C2", *AREA, currency="EUR", payment_terms="ZB10",
                             delivering_plant="1000"),
        *md.partners("C1", AREA), *md.partners("C2", AREA),
        md.Vendor("V100", "Vendor One", "DE", "EUR", "NT30"),
        md.Material("M1", "Widget", "PC"), md.Material("M2", "Gadget", "PC"),
        md.Material("M3", "Scarce part", "PC"),
        md.MaterialPlant("M1", "1000", Decimal("8.00")),
        md.MaterialPlant("M2", "1000", Decimal("4.00")),
        md.MaterialPlant("M3", "1000", Decimal("2.00")),
        md.SalesPrice("M1", "1000", "10", "EUR", date(2024, 1, 1), Decimal("12.50")),
        md.SalesPrice("M2", "1000", "10", "EUR", date(2024, 1, 1), Decimal("6.00")),
        md.SalesPrice("M3", "1000", "10", "EUR", date(2024, 1, 1), Decimal("3.00")),
    ]


def load_worked_example_master_data(engine: sa.Engine, *, stock_m1: int = 100) -> None:
    """Master data, the example number ranges and ``stock_m1`` PC of M1 in 1000/0001."""
    md.create(engine, master_records())
    with transaction(engine) as conn:
        for object_type, first in EXAMPLE_NUMBERS.items():
            set_number_range(conn, object_type, first)
    if stock_m1:
        post_initial_stock(engine, InitialStockInput(
            (StockEntry("M1", "1000", "0001", Decimal(stock_m1)),)),
            posting_date=date(2024, 3, 1))


def snapshot(engine: sa.Engine) -> dict[str, object]:
    """Row count of every table plus the whole change log: equal before and after = no write."""
    with engine.connect() as conn:
        counts = {name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                  for name, table in metadata.tables.items()}
        log = conn.execute(sa.text("SELECT seq, entity, key, operation FROM change_log "
                                   "ORDER BY seq")).all()
        stock = conn.execute(sa.text("SELECT * FROM stock ORDER BY 1, 2, 3")).all()
        open_qty = conn.execute(sa.text(
            "SELECT material_id, plant, open_confirmed_qty FROM material_plant ORDER BY 1, 2"
        )).all()
    return {"counts": counts, "log": [tuple(r) for r in log],
            "stock": [tuple(r) for r in stock], "open": [tuple(r) for r in open_qty]}


def totals(engine: sa.Engine, acc_doc_id: int) -> dict[str, tuple[D, D]]:
    result: dict[str, tuple[D, D]] = {}
    for line in lines_of(engine, acc_doc_id):
        debit, credit = result.get(line.account, (D(0), D(0)))
        result[line.account] = (debit + line.debit, credit + line.credit)
    return result


def flows(engine: sa.Engine, category: str, doc: int) -> set[tuple[object, ...]]:
    return {(f.preceding_category, f.preceding_doc, f.preceding_item, f.subsequent_category,
             f.subsequent_doc, f.subsequent_item, f.quantity, f.value, f.movement_type)
            for f in flow_of(engine, category, doc, direction="subsequent")}
