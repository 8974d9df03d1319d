"""Master data: one frozen record type per table, created or changed in one transaction.

Each record's fields are the columns of its table (:data:`RECORD_TABLES`). :func:`create`
checks every primary key and foreign key of a batch first (batched ``IN`` queries, the batch
itself counts), raises :class:`~kubus.oltp.errors.Conflict` for a duplicate and
:class:`~kubus.oltp.errors.NotFound` for a dangling reference, then inserts the records in the
order given and logs one change per row. Example::

    create(engine, [
        Currency("EUR", "Euro"),
        PaymentTerms("ZB10", "2% 10 days, net 30", 10, Decimal(2), 30),
        Customer("C1", "Acme", country="DE"),
        CustomerSalesArea("C1", "1000", "10", "00", currency="EUR", payment_terms="ZB10"),
        *partners("C1", ("1000", "10", "00")),
    ])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kubus.oltp import schema as s
from kubus.oltp.errors import Conflict, Invalid, NotFound
from kubus.oltp.store import Bind, transaction
from kubus.oltp.unit_of_work import UnitOfWork

__all__ = [
    "RECORD_TABLES", "Currency", "Customer", "CustomerPartner", "CustomerSalesArea",
    "ExchangeRate", "FactoryCalendar", "Holiday", "Material", "MaterialPlant", "PaymentTerms",
    "Plant", "PurchaseInfo", "Route", "RouteDetermination", "SalesArea", "SalesPrice",
    "ShippingPoint", "StorageLocation", "SystemInfo", "TaxRate", "Vendor", "create", "partners",
    "update",
]

D0 = Decimal(0)


@dataclass(frozen=True)
class SystemInfo:
    system_id: str
    name: str
    company_code: str = "1000"
    company_currency: str = "EUR"
    country: str = "DE"
    id: int = 1


@dataclass(frozen=True)
class Currency:
    currency: str
    name: str
    decimals: int = 2


@dataclass(frozen=True)
class ExchangeRate:
    from_currency: str
    to_currency: str
    valid_from: date
    rate: Decimal


@dataclass(frozen=True)
class FactoryCalendar:
    calendar_id: str
    name: str
    workdays: str = "1111100"


@dataclass(frozen=True)
class Holiday:
    calendar_id: str
    holiday: date
    name: str = ""


@dataclass(frozen=True)
class PaymentTerms:
    terms: str
    description: str
    discount_days: int
    discount_percent: Decimal
    net_days: int


@dataclass(frozen=True)
class TaxRate:
    country: str
    customer_tax_class: str
    material_tax_class: str
    tax_code: str
    rate: Decimal


@dataclass(frozen=True)
class SalesArea:
    sales_org: str
    distribution_channel: str
    division: str
    name: str = ""


@dataclass(frozen=True)
class Plant:
    plant: str
    name: str
    country: str
    calendar_id: str


@dataclass(frozen=True)
class StorageLocation:
    plant: str
    storage_location: str
    name: str = ""


@dataclass(frozen=True)
class ShippingPoint:
    shipping_point: str
    plant: str
    name: str
    calendar_id: str
    departure_zone: str = ""
    loading_days: Decimal = D0
    pick_pack_days: Decimal = D0


@dataclass(frozen=True)
class Route:
    route: str
    description: str
    transit_days: Decimal
    calendar_id: str
    transport_lead_days: Decimal = D0


@dataclass(frozen=True)
class RouteDetermination:
    departure_zone: str
    destination_country: str
    destination_zone: str
    shipping_conditions: str
    transportation_group: str
    route: str


@dataclass(frozen=True)
class Customer:
    customer_id: str
    name: str
    country: str
    street: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""
    transport_zone: str = ""
    tax_class: str = "1"
    vat_number: str | None = None
    email: str | None = None
    phone: str | None = None
    created_on: date | None = None


@dataclass(frozen=True)
class CustomerSalesArea:
    customer_id: str
    sales_org: str
    distribution_channel: str
    division: str
    currency: str
    payment_terms: str
    shipping_conditions: str = "01"
    delivery_priority: int = 2
    complete_delivery: bool = False
    partial_delivery: str = ""
    max_partial_deliveries: int = 9
    delivering_plant: str | None = None
    incoterms: str | None = None


@dataclass(frozen=True)
class CustomerPartner:
    customer_id: str
    sales_org: str
    distribution_channel: str
    division: str
    partner_function: str
    partner_id: str
    counter: int = 1


@dataclass(frozen=True)
class Vendor:
    vendor_id: str
    name: str
    country: str
    currency: str
    payment_terms: str
    city: str = ""
    purchasing_org: str = ""
    created_on: date | None = None


@dataclass(frozen=True)
class Material:
    material_id: str
    description: str
    base_unit: str = "PC"
    material_type: str = "FERT"
    category: str = ""
    subcategory: str = ""
    transportation_group: str = "0001"
    tax_class: str = "1"
    gross_weight: Decimal | None = None
    weight_unit: str | None = None


@dataclass(frozen=True)
class MaterialPlant:
    material_id: str
    plant: str
    standard_price: Decimal
    checking_group: str = "02"
    procurement_type: str = "F"
    planned_delivery_days: int = 0
    gr_processing_days: int = 0
    inhouse_production_days: int = 0
    replenishment_days: int = 0
    loading_group: str = "0001"
    price_control: str = "S"


@dataclass(frozen=True)
class SalesPrice:
    material_id: str
    sales_org: str
    distribution_channel: str
    currency: str
    valid_from: date
    price: Decimal


@dataclass(frozen=True)
class PurchaseInfo:
    vendor_id: str
    material_id: str
    price: Decimal
    currency: str
    planned_delivery_days: int = 0


Record = Any  # any of the record classes above

RECORD_TABLES: dict[type, sa.Table] = {
    SystemInfo: s.system_info, Currency: s.currency, ExchangeRate: s.exchange_rate,
    FactoryCalendar: s.factory_calendar, Holiday: s.calendar_holiday,
    PaymentTerms: s.payment_terms, TaxRate: s.tax_rate, SalesArea: s.sales_area,
    Plant: s.plant, StorageLocation: s.storage_location, ShippingPoint: s.shipping_point,
    Route: s.route, RouteDetermination: s.route_determination, Customer: s.customer,
    CustomerSalesArea: s.customer_sales_area, CustomerPartner: s.customer_partner,
    Vendor: s.vendor, Material: s.material, MaterialPlant: s.material_plant,
    SalesPrice: s.sales_price, PurchaseInfo: s.purchase_info,
}

PARTNER_FUNCTIONS = ("AG", "WE", "RE", "RG")  # sold-to, ship-to, bill-to, payer


def partners(customer_id: str, area: tuple[str, str, str], *, ship_to: str | None = None,
             bill_to: str | None = None, payer: str | None = None) -> list[CustomerPartner]:
    """The four partner functions of a customer in a sales area (itself unless given)."""
    chosen = {"AG": customer_id, "WE": ship_to or customer_id, "RE": bill_to or customer_id,
              "RG": payer or customer_id}
    return [CustomerPartner(customer_id, *area, function, chosen[function])
            for function in PARTNER_FUNCTIONS]


def _table_and_row(record: Record) -> tuple[sa.Table, dict[str, Any]]:
    table = RECORD_TABLES.get(type(record))
    if table is None:
        raise TypeError(f"not a master-data record: {record!r}")
    return table, dataclasses.asdict(record)


def _pk(table: sa.Table, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c.name] for c in table.primary_key.columns)


def _existing(conn: sa.Connection, table: sa.Table, columns: Sequence[sa.Column[Any]],
              keys: set[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
    found: set[tuple[Any, ...]] = set()
    ordered = sorted(keys, key=repr)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        query = sa.select(*columns).where(sa.tuple_(*columns).in_(chunk))
        found.update(tuple(r) for r in conn.execute(query))
    return found


def _check_batch(conn: sa.Connection, rows: list[tuple[sa.Table, dict[str, Any]]]) -> None:
    """Duplicates -> Conflict, dangling foreign keys -> NotFound; reads only."""
    batch: dict[str, set[tuple[Any, ...]]] = {}
    for table, row in rows:
        key = _pk(table, row)
        if key in batch.setdefault(table.name, set()):
            raise Conflict("duplicate", f"{table.name} {key} appears twice in the batch",
                           entity=table.name)
        batch[table.name].add(key)
    for name, keys in batch.items():
        table = s.metadata.tables[name]
        clash = _existing(conn, table, list(table.primary_key.columns), keys)
        if clash:
            key = min(clash, key=repr)
            raise Conflict("duplicate", f"{name} {'/'.join(map(str, key))} already exists",
                           entity=name)
    for table in {t for t, _ in rows}:
        for fk in table.foreign_key_constraints:
            local = [c.name for c in fk.columns]
            target = fk.referred_table
            remote = [e.column for e in fk.elements]
            wanted = {tuple(row[c] for c in local) for t, row in rows if t is table}
            wanted = {k for k in wanted if None not in k}
            if target.name in batch and [c.name for c in remote] == [
                    c.name for c in target.primary_key.columns]:
                wanted -= batch[target.name]
            missing = wanted - _existing(conn, target, remote, wanted) if wanted else set()
            if missing:
                key = min(missing, key=repr)
                raise NotFound(f"unknown_{target.name}",
                               f"{table.name}.{', '.join(local)} refers to {target.name} "
                               f"{'/'.join(map(str, key))}, which does not exist",
                               entity=target.name)


def create(bind: Bind, records: Iterable[Record]) -> int:
    """Insert ``records`` (in the order given) in one transaction; the number inserted."""
    rows = [_table_and_row(r) for r in records]
    with transaction(bind) as conn:
        _check_batch(conn, rows)
        unit = UnitOfWork(conn)
        try:
            # Consecutive records of one table go in one executemany.
            start = 0
            while start < len(rows):
                end = start
                while end < len(rows) and rows[end][0] is rows[start][0]:
                    end += 1
                unit.insert(rows[start][0], [row for _, row in rows[start:end]])
                start = end
        except sa.exc.IntegrityError as exc:
            raise Invalid("constraint_violated", f"master data rejected: {exc.orig}") from None
        unit.finish()
    return len(rows)


def update(bind: Bind, records: Iterable[Record]) -> int:
    """Replace existing records by primary key in one transaction; the number updated."""
    rows = [_table_and_row(r) for r in records]
    with transaction(bind) as conn:
        unit = UnitOfWork(conn)
        for table, row in rows:
            key_names = [c.name for c in table.primary_key.columns]
            key = {k: row[k] for k in key_names}
            values = {k: v for k, v in row.items() if k not in key_names}
            try:
                changed = unit.update(table, key, values)
            except sa.exc.IntegrityError as exc:
                raise Invalid("constraint_violated",
                              f"master data rejected: {exc.orig}") from None
            if not changed:
                raise NotFound(f"unknown_{table.name}",
                               f"{table.name} {'/'.join(map(str, key.values()))} does not exist",
                               entity=table.name)
        unit.finish()
    return len(rows)
