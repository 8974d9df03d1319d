"""Master data: customers (with sales-area data and partner functions), vendors, and a batch
endpoint for the configuration tables (currencies, payment terms, tax rates, plants, ...).

All of it is written by :func:`kubus.oltp.masterdata.create`: every key and reference of a
batch is checked before anything is inserted (a duplicate is a 409 ``duplicate``, a reference
to a missing object a 422 ``unknown_<table>``), in one transaction, with change-log rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, ClassVar

import sqlalchemy as sa

from kubus.oltp import masterdata as md
from kubus.oltp.schema import customer, customer_partner, customer_sales_area, vendor
from kubus.server.api.operations import Body, Call, Created, Lookup, Operation, Page, Param, url
from kubus.server.api.paging import PAGING, page
from kubus.server.api.rows import from_row
from kubus.server.api.typeschema import Describe, Tagged

__all__ = ["OPERATIONS", "read_customer"]

TAG = "Master data"


@dataclass(frozen=True)
class CustomerSalesAreaBody:
    """The customer's data in one sales area (KNVV); its ship-to, bill-to and payer are the
    customer itself unless named."""

    COLUMNS_FROM: ClassVar[tuple[sa.Table, ...]] = (customer_sales_area,)

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
    ship_to: str | None = None
    bill_to: str | None = None
    payer: str | None = None


@dataclass(frozen=True)
class CustomerSalesAreas:
    sales_areas: tuple[CustomerSalesAreaBody, ...] = ()


@dataclass(frozen=True)
class CustomerPartner:
    partner_function: str
    counter: int
    partner_id: str


@dataclass(frozen=True)
class CustomerSalesArea:
    sales_org: str
    distribution_channel: str
    division: str
    currency: str
    payment_terms: str
    shipping_conditions: str
    delivery_priority: int
    complete_delivery: bool
    partial_delivery: str
    max_partial_deliveries: int
    delivering_plant: str | None
    incoterms: str | None
    partners: tuple[CustomerPartner, ...]


@dataclass(frozen=True)
class CustomerSummary:
    customer_id: str
    name: str
    street: str
    city: str
    postal_code: str
    region: str
    country: str
    transport_zone: str
    tax_class: str
    vat_number: str | None
    email: str | None
    phone: str | None
    created_on: date | None


@dataclass(frozen=True)
class Customer(CustomerSummary):
    """A customer (KNA1) with its sales-area data (KNVV) and partner functions (KNVP: AG
    sold-to, WE ship-to, RE bill-to, RG payer)."""

    sales_areas: tuple[CustomerSalesArea, ...]


@dataclass(frozen=True)
class Vendor:
    vendor_id: str
    name: str
    city: str
    country: str
    purchasing_org: str
    currency: str
    payment_terms: str
    created_on: date | None


#: The batch's record types, by table name (the system row is seeded by the migration).
RECORD_TYPES = tuple((table.name, cls) for cls, table in md.RECORD_TABLES.items()
                     if cls is not md.SystemInfo)


@dataclass(frozen=True)
class MasterDataBatch:
    """Master-data records of any type, created together in the order given."""

    records: tuple[Annotated[Any, Tagged("type", RECORD_TYPES), Describe(
        "A record; `type` is its table, the other members its columns.")], ...]


@dataclass(frozen=True)
class RecordKey:
    type: str
    key: str


@dataclass(frozen=True)
class MasterDataCreated:
    created: int
    records: tuple[RecordKey, ...]


def read_customer(conn: sa.Connection, customer_id: str) -> Customer:
    head = conn.execute(sa.select(customer).where(customer.c.customer_id == customer_id)).one()
    csa, cp = customer_sales_area, customer_partner
    partners: dict[tuple[str, str, str], list[CustomerPartner]] = {}
    for r in conn.execute(sa.select(cp).where(cp.c.customer_id == customer_id).order_by(
            cp.c.sales_org, cp.c.distribution_channel, cp.c.division, cp.c.partner_function,
            cp.c.counter)):
        partners.setdefault((r.sales_org, r.distribution_channel, r.division), []).append(
            from_row(CustomerPartner, r))
    areas = tuple(
        from_row(CustomerSalesArea, r, partners=tuple(partners.get(
            (r.sales_org, r.distribution_channel, r.division), ())))
        for r in conn.execute(sa.select(csa).where(csa.c.customer_id == customer_id).order_by(
            csa.c.sales_org, csa.c.distribution_channel, csa.c.division)))
    return from_row(Customer, head, sales_areas=areas)


def _create_customer(call: Call) -> Created[Customer]:
    new: md.Customer = call.body
    records: list[Any] = [new]
    for area in call.extras.sales_areas:
        fields = {f.name: getattr(area, f.name) for f in dataclasses.fields(md.CustomerSalesArea)
                  if f.name != "customer_id"}
        key = (area.sales_org, area.distribution_channel, area.division)
        records += [md.CustomerSalesArea(customer_id=new.customer_id, **fields),
                    *md.partners(new.customer_id, key, ship_to=area.ship_to,
                                 bill_to=area.bill_to, payer=area.payer)]
    md.create(call.conn, records)
    return Created(read_customer(call.conn, new.customer_id), url("customers", new.customer_id))


def _list_customers(call: Call) -> Page[CustomerSummary]:
    args = call.query
    query = sa.select(customer)
    if args.get("country"):
        query = query.where(customer.c.country == args["country"])
    if args.get("name"):
        pattern = "%" + args["name"].lower().replace("%", "").replace("_", "") + "%"
        query = query.where(sa.func.lower(customer.c.name).like(pattern))
    return page(call.conn, query, [customer.c.customer_id], args,
                lambda r: from_row(CustomerSummary, r))


def _create_vendor(call: Call) -> Created[Vendor]:
    new: md.Vendor = call.body
    md.create(call.conn, [new])
    return Created(_read_vendor(call.conn, new.vendor_id), url("vendors", new.vendor_id))


def _read_vendor(conn: sa.Connection, vendor_id: str) -> Vendor:
    return from_row(Vendor, conn.execute(sa.select(vendor).where(
        vendor.c.vendor_id == vendor_id)).one())


def _list_vendors(call: Call) -> Page[Vendor]:
    query = sa.select(vendor)
    if call.query.get("country"):
        query = query.where(vendor.c.country == call.query["country"])
    return page(call.conn, query, [vendor.c.vendor_id], call.query,
                lambda r: from_row(Vendor, r))


def _create_batch(call: Call) -> MasterDataCreated:
    records = call.body.records
    created = md.create(call.conn, records)
    keys = []
    for record in records:
        table = md.RECORD_TABLES[type(record)]
        keys.append(RecordKey(table.name, "/".join(
            str(getattr(record, c.name)) for c in table.primary_key.columns)))
    return MasterDataCreated(created, tuple(keys))


CUSTOMER_ID = Param("customer_id", str, "Customer number", where="path")
VENDOR_ID = Param("vendor_id", str, "Vendor number", where="path")

OPERATIONS = (
    Operation("GET", "/customers", "listCustomers", "List customers", TAG, _list_customers,
              CustomerSummary, paged=True, params=(
                  Param("country", str, "Only customers in this country (ISO code)."),
                  Param("name", str, "Only customers whose name contains this text "
                        "(case-insensitive)."), *PAGING)),
    Operation("POST", "/customers", "createCustomer",
              "Create a customer with sales-area data and partners", TAG, _create_customer,
              Customer, status=201, body=Body(md.Customer, CustomerSalesAreas)),
    Operation("GET", "/customers/{customer_id}", "getCustomer", "A customer", TAG,
              lambda call: read_customer(call.conn, call.path["customer_id"]), Customer,
              params=(CUSTOMER_ID,),
              lookups=(Lookup(customer, ("customer_id",), "unknown_customer", "customer"),)),
    Operation("GET", "/vendors", "listVendors", "List vendors", TAG, _list_vendors, Vendor,
              paged=True, params=(Param("country", str, "Only vendors in this country."),
                                  *PAGING)),
    Operation("POST", "/vendors", "createVendor", "Create a vendor", TAG, _create_vendor,
              Vendor, status=201, body=Body(md.Vendor)),
    Operation("GET", "/vendors/{vendor_id}", "getVendor", "A vendor", TAG,
              lambda call: _read_vendor(call.conn, call.path["vendor_id"]), Vendor,
              params=(VENDOR_ID,),
              lookups=(Lookup(vendor, ("vendor_id",), "unknown_vendor", "vendor"),)),
    Operation("POST", "/master-data", "createMasterData",
              "Create master-data records of any type in one transaction", TAG,
              _create_batch, MasterDataCreated, status=201, body=Body(MasterDataBatch),
              description="The configuration an order needs (currencies, payment terms, tax "
                          "rates, sales areas, calendars, plants, storage locations, shipping "
                          "points, routes, prices, ...), in dependency order; all or "
                          "nothing."),
)
