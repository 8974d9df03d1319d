"""Every table of one OLTP source system, as SQLAlchemy Core :class:`~sqlalchemy.MetaData`.

One database is one source system (``system_info`` names it), so no table carries a system or
client key. The tables follow SAP R/3 SD/MM/FI (``docs/oltp.md`` maps each to its SAP table):
master data, sales orders with items and schedule lines (VBAK/VBAP/VBEP), outbound deliveries
(LIKP/LIPS), goods movements (MKPF/MSEG), billing documents (VBRK/VBRP), accounting documents
with open items (BKPF/BSEG/BSID), incoming payments, purchase requisitions and orders
(EBAN/EKKO/EKPO/EKET), invoice receipts (RBKP/RSEG), the document flow (VBFA) and the change log.

Conventions: money is ``Numeric(15, 2)``, quantities ``Numeric(13, 3)``, percentages
``Numeric(6, 3)``; document numbers are ``BigInteger`` from :mod:`kubus.oltp.numbering`, item
numbers ``Integer`` (10, 20, ...). Statuses (not processed / partly / completely) are not
stored: :mod:`kubus.oltp.status` derives them from quantities. Documents are never deleted.

Why over 400 lines: it is the table list, read top to bottom like a data dictionary; splitting
it would only scatter the foreign keys (the interaction center lives in ``schema_interactions``).

Example: ``metadata.create_all(engine)`` in tests; production uses ``kubus oltp upgrade``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = ["MONEY", "PERCENT", "QUANTITY", "RATE", "metadata"]

MONEY = sa.Numeric(15, 2)
QUANTITY = sa.Numeric(13, 3)
PERCENT = sa.Numeric(6, 3)
RATE = sa.Numeric(15, 6)
DAYS = sa.Numeric(5, 2)
DOC = sa.BigInteger
ITEM = sa.Integer

# Named constraints, so Alembic batch migrations on SQLite can address them.
metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


def _col(name: str, type_: Any, *args: Any, nullable: bool = False,
         **kwargs: Any) -> sa.Column[Any]:
    """A NOT NULL column unless said otherwise (most of the model is mandatory)."""
    return sa.Column(name, type_, *args, nullable=nullable, **kwargs)


def _zero(name: str, type_: Any = QUANTITY) -> sa.Column[Any]:  # a NOT NULL 0 by default
    return sa.Column(name, type_, nullable=False, server_default="0")


# --- technical: system, number ranges, change log -------------------------------------------

system_info = sa.Table(
    "system_info", metadata,
    _col("id", sa.Integer, primary_key=True, autoincrement=False),
    _col("system_id", sa.String(10)),
    _col("name", sa.String(80)),
    _col("company_code", sa.String(4)),
    _col("company_currency", sa.String(3)),
    _col("country", sa.String(2)),
    sa.CheckConstraint("id = 1", name="single_row"),
)

number_range = sa.Table(
    "number_range", metadata,
    _col("object_type", sa.String(20), primary_key=True),
    _col("next_number", sa.BigInteger),
    _col("last_number", sa.BigInteger),
)

change_log_counter = sa.Table(
    "change_log_counter", metadata,
    _col("id", sa.Integer, primary_key=True, autoincrement=False),
    _col("last_seq", sa.BigInteger),
    sa.CheckConstraint("id = 1", name="single_row"),
)

change_log = sa.Table(
    "change_log", metadata,
    _col("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    _col("entity", sa.String(40)),
    _col("key", sa.String(100)),
    _col("operation", sa.String(10)),
    _col("changed_at", sa.DateTime),
)

# --- master data ----------------------------------------------------------------------------

currency = sa.Table(
    "currency", metadata,
    _col("currency", sa.String(3), primary_key=True),
    _col("name", sa.String(40)),
    _col("decimals", sa.SmallInteger, server_default="2"),
)

exchange_rate = sa.Table(
    "exchange_rate", metadata,
    _col("from_currency", sa.String(3), sa.ForeignKey("currency.currency"), primary_key=True),
    _col("to_currency", sa.String(3), sa.ForeignKey("currency.currency"), primary_key=True),
    _col("valid_from", sa.Date, primary_key=True),
    # Units of to_currency for one unit of from_currency.
    _col("rate", RATE),
    sa.CheckConstraint("rate > 0", name="positive"),
)

factory_calendar = sa.Table(
    "factory_calendar", metadata,
    _col("calendar_id", sa.String(4), primary_key=True),
    _col("name", sa.String(60)),
    # Seven flags Monday..Sunday, "1" = working day, e.g. "1111100".
    _col("workdays", sa.String(7), server_default="1111100"),
)

calendar_holiday = sa.Table(
    "calendar_holiday", metadata,
    _col("calendar_id", sa.String(4), sa.ForeignKey("factory_calendar.calendar_id"),
         primary_key=True),
    _col("holiday", sa.Date, primary_key=True),
    _col("name", sa.String(60), server_default=""),
)

payment_terms = sa.Table(
    "payment_terms", metadata,
    _col("terms", sa.String(4), primary_key=True),
    _col("description", sa.String(60)),
    _col("discount_days", sa.SmallInteger, server_default="0"),
    _col("discount_percent", PERCENT, server_default="0"),
    _col("net_days", sa.SmallInteger),
    sa.CheckConstraint("discount_days <= net_days", name="discount_before_net"),
)

tax_rate = sa.Table(
    "tax_rate", metadata,
    _col("country", sa.String(2), primary_key=True),
    _col("customer_tax_class", sa.String(1), primary_key=True),
    _col("material_tax_class", sa.String(1), primary_key=True),
    _col("tax_code", sa.String(2)),
    _col("rate", PERCENT),
)

sales_area = sa.Table(
    "sales_area", metadata,
    _col("sales_org", sa.String(4), primary_key=True),
    _col("distribution_channel", sa.String(2), primary_key=True),
    _col("division", sa.String(2), primary_key=True),
    _col("name", sa.String(60)),
)

plant = sa.Table(
    "plant", metadata,
    _col("plant", sa.String(4), primary_key=True),
    _col("name", sa.String(60)),
    _col("country", sa.String(2)),
    _col("calendar_id", sa.String(4), sa.ForeignKey("factory_calendar.calendar_id")),
)

storage_location = sa.Table(
    "storage_location", metadata,
    _col("plant", sa.String(4), sa.ForeignKey("plant.plant"), primary_key=True),
    _col("storage_location", sa.String(4), primary_key=True),
    _col("name", sa.String(60)),
)

shipping_point = sa.Table(
    "shipping_point", metadata,
    _col("shipping_point", sa.String(4), primary_key=True),
    _col("plant", sa.String(4), sa.ForeignKey("plant.plant")),
    _col("name", sa.String(60)),
    _col("calendar_id", sa.String(4), sa.ForeignKey("factory_calendar.calendar_id")),
    _col("departure_zone", sa.String(10)),
    _col("loading_days", DAYS, server_default="0"),
    _col("pick_pack_days", DAYS, server_default="0"),
)

route = sa.Table(
    "route", metadata,
    _col("route", sa.String(6), primary_key=True),
    _col("description", sa.String(60)),
    _col("transit_days", DAYS),
    _col("transport_lead_days", DAYS, server_default="0"),
    _col("calendar_id", sa.String(4), sa.ForeignKey("factory_calendar.calendar_id")),
)

route_determination = sa.Table(
    "route_determination", metadata,
    _col("departure_zone", sa.String(10), primary_key=True),
    _col("destination_country", sa.String(2), primary_key=True),
    _col("destination_zone", sa.String(10), primary_key=True),
    _col("shipping_conditions", sa.String(2), primary_key=True),
    _col("transportation_group", sa.String(4), primary_key=True),
    _col("route", sa.String(6), sa.ForeignKey("route.route")),
)

customer = sa.Table(
    "customer", metadata,
    _col("customer_id", sa.String(10), primary_key=True),
    _col("name", sa.String(80)),
    _col("street", sa.String(80), server_default=""),
    _col("city", sa.String(40), server_default=""),
    _col("postal_code", sa.String(10), server_default=""),
    _col("region", sa.String(3), server_default=""),
    _col("country", sa.String(2)),
    _col("transport_zone", sa.String(10), server_default=""),
    _col("tax_class", sa.String(1), server_default="1"),
    _col("vat_number", sa.String(20), nullable=True),
    _col("email", sa.String(120), nullable=True),
    _col("phone", sa.String(40), nullable=True),
    _col("created_on", sa.Date, nullable=True),
)

_SALES_AREA = ("sales_org", "distribution_channel", "division")

customer_sales_area = sa.Table(
    "customer_sales_area", metadata,
    _col("customer_id", sa.String(10), sa.ForeignKey("customer.customer_id"), primary_key=True),
    _col("sales_org", sa.String(4), primary_key=True),
    _col("distribution_channel", sa.String(2), primary_key=True),
    _col("division", sa.String(2), primary_key=True),
    _col("currency", sa.String(3), sa.ForeignKey("currency.currency")),
    _col("payment_terms", sa.String(4), sa.ForeignKey("payment_terms.terms")),
    _col("shipping_conditions", sa.String(2), server_default="01"),
    # LPRIO: lower number = higher priority (backorder rescheduling).
    _col("delivery_priority", sa.SmallInteger, server_default="2"),
    # AUTLF: the whole order in one delivery.
    _col("complete_delivery", sa.Boolean, server_default=sa.false()),
    # KZTLF: "" partial allowed, A, B, C complete only, D unlimited (domain.md §1.2).
    _col("partial_delivery", sa.String(1), server_default=""),
    _col("max_partial_deliveries", sa.SmallInteger, server_default="9"),
    _col("delivering_plant", sa.String(4), sa.ForeignKey("plant.plant"), nullable=True),
    _col("incoterms", sa.String(3), nullable=True),
    sa.ForeignKeyConstraint(list(_SALES_AREA), [f"sales_area.{c}" for c in _SALES_AREA]),
)

customer_partner = sa.Table(
    "customer_partner", metadata,
    _col("customer_id", sa.String(10), primary_key=True),
    _col("sales_org", sa.String(4), primary_key=True),
    _col("distribution_channel", sa.String(2), primary_key=True),
    _col("division", sa.String(2), primary_key=True),
    # AG sold-to, WE ship-to, RE bill-to, RG payer.
    _col("partner_function", sa.String(2), primary_key=True),
    _col("counter", sa.SmallInteger, primary_key=True, autoincrement=False),
    _col("partner_id", sa.String(10), sa.ForeignKey("customer.customer_id")),
    sa.ForeignKeyConstraint(["customer_id", *_SALES_AREA],
                            [f"customer_sales_area.{c}" for c in ("customer_id", *_SALES_AREA)]),
)

vendor = sa.Table(
    "vendor", metadata,
    _col("vendor_id", sa.String(10), primary_key=True),
    _col("name", sa.String(80)),
    _col("city", sa.String(40), server_default=""),
    _col("country", sa.String(2)),
    _col("purchasing_org", sa.String(4), server_default=""),
    _col("currency", sa.String(3), sa.ForeignKey("currency.currency")),
    _col("payment_terms", sa.String(4), sa.ForeignKey("payment_terms.terms")),
    _col("created_on", sa.Date, nullable=True),
)

material = sa.Table(
    "material", metadata,
    _col("material_id", sa.String(18), primary_key=True),
    _col("description", sa.String(80)),
    _col("base_unit", sa.String(3)),
    _col("material_type", sa.String(4), server_default="FERT"),
    _col("category", sa.String(40), server_default=""),
    _col("subcategory", sa.String(40), server_default=""),
    _col("transportation_group", sa.String(4), server_default="0001"),
    _col("tax_class", sa.String(1), server_default="1"),
    _col("gross_weight", QUANTITY, nullable=True),
    _col("weight_unit", sa.String(3), nullable=True),
)

material_plant = sa.Table(
    "material_plant", metadata,
    _col("material_id", sa.String(18), sa.ForeignKey("material.material_id"), primary_key=True),
    _col("plant", sa.String(4), sa.ForeignKey("plant.plant"), primary_key=True),
    _col("checking_group", sa.String(2), server_default="02"),
    _col("procurement_type", sa.String(1), server_default="F"),
    # Planned delivery time counts calendar days, GR processing time working days (§3.4).
    _col("planned_delivery_days", sa.SmallInteger, server_default="0"),
    _col("gr_processing_days", sa.SmallInteger, server_default="0"),
    _col("inhouse_production_days", sa.SmallInteger, server_default="0"),
    _col("replenishment_days", sa.SmallInteger, server_default="0"),
    _col("loading_group", sa.String(4), server_default="0001"),
    _col("price_control", sa.String(1), server_default="S"),
    _col("standard_price", MONEY),
    # Σ confirmed - Σ goods-issued quantity of open sales schedule lines (a VBBE total). Kept by
    # the services in the same transaction; this row is also the lock order entry takes.
    _zero("open_confirmed_qty"),
    sa.CheckConstraint("open_confirmed_qty >= 0", name="open_confirmed_not_negative"),
)

stock = sa.Table(
    "stock", metadata,
    _col("material_id", sa.String(18), primary_key=True),
    _col("plant", sa.String(4), primary_key=True),
    _col("storage_location", sa.String(4), primary_key=True),
    _zero("unrestricted"),
    _zero("quality"),
    _zero("blocked"),
    sa.ForeignKeyConstraint(["material_id", "plant"],
                            ["material_plant.material_id", "material_plant.plant"]),
    sa.ForeignKeyConstraint(["plant", "storage_location"],
                            ["storage_location.plant", "storage_location.storage_location"]),
    sa.CheckConstraint("unrestricted >= 0", name="unrestricted_not_negative"),
    sa.CheckConstraint("quality >= 0", name="quality_not_negative"),
    sa.CheckConstraint("blocked >= 0", name="blocked_not_negative"),
)

sales_price = sa.Table(
    "sales_price", metadata,
    _col("material_id", sa.String(18), sa.ForeignKey("material.material_id"), primary_key=True),
    _col("sales_org", sa.String(4), primary_key=True),
    _col("distribution_channel", sa.String(2), primary_key=True),
    _col("currency", sa.String(3), sa.ForeignKey("currency.currency"), primary_key=True),
    _col("valid_from", sa.Date, primary_key=True),
    _col("price", MONEY),
)

purchase_info = sa.Table(
    "purchase_info", metadata,
    _col("vendor_id", sa.String(10), sa.ForeignKey("vendor.vendor_id"), primary_key=True),
    _col("material_id", sa.String(18), sa.ForeignKey("material.material_id"), primary_key=True),
    _col("price", MONEY),
    _col("currency", sa.String(3), sa.ForeignKey("currency.currency")),
    _col("planned_delivery_days", sa.SmallInteger, server_default="0"),
)

# --- sales: order (VBAK/VBAP/VBEP), delivery (LIKP/LIPS) --------------------------------------

sales_order = sa.Table(
    "sales_order", metadata,
    _col("order_id", DOC, primary_key=True, autoincrement=False),
    _col("order_type", sa.String(4), server_default="OR"),
    _col("sales_org", sa.String(4)),
    _col("distribution_channel", sa.String(2)),
    _col("division", sa.String(2)),
    _col("sold_to", sa.String(10), sa.ForeignKey("customer.customer_id"), index=True),
    _col("ship_to", sa.String(10), sa.ForeignKey("customer.customer_id")),
    _col("bill_to", sa.String(10), sa.ForeignKey("customer.customer_id")),
    _col("payer", sa.String(10), sa.ForeignKey("customer.customer_id")),
    _col("order_date", sa.Date),
    _col("requested_delivery_date", sa.Date),
    _col("currency", sa.String(3), sa.ForeignKey("currency.currency")),
    _col("payment_terms", sa.String(4), sa.ForeignKey("payment_terms.terms")),
    _col("shipping_conditions", sa.String(2)),
    _col("delivery_priority", sa.SmallInteger),
    _col("complete_delivery", sa.Boolean),
    _col("partial_delivery", sa.String(1), server_default=""),
    _col("customer_reference", sa.String(35), server_default=""),
    # The channel the order came in through (web, phone, email, ...), for the CRM cubes.
    _col("channel", sa.String(10), server_default=""),
    # Σ item net values of items not rejected; kept in the same transaction as the items.
    _col("net_value", MONEY),
    # Optimistic version: every change service bumps it and may demand an expected value.
    _col("version", sa.Integer, server_default="1"),
    sa.ForeignKeyConstraint(list(_SALES_AREA), [f"sales_area.{c}" for c in _SALES_AREA]),
)

sales_order_item = sa.Table(
    "sales_order_item", metadata,
    _col("order_id", DOC, sa.ForeignKey("sales_order.order_id"), primary_key=True),
    _col("item_no", ITEM, primary_key=True, autoincrement=False),
    _col("material_id", sa.String(18), sa.ForeignKey("material.material_id")),
    _col("plant", sa.String(4)),
    _col("storage_location", sa.String(4), nullable=True),
    _col("shipping_point", sa.String(4), sa.ForeignKey("shipping_point.shipping_point"),
         nullable=True),
    _col("route", sa.String(6), sa.ForeignKey("route.route"), nullable=True),
    _col("item_category", sa.String(4), server_default="TAN"),
    _col("quantity", QUANTITY),
    _col("unit", sa.String(3)),
    _col("net_price", MONEY),
    _col("net_value", MONEY),
    _col("tax_code", sa.String(2)),
    _col("tax_rate", PERCENT),
    _col("requested_delivery_date", sa.Date),
    # A rejected item counts as completed and releases its requirement (domain.md §1.4).
    _col("rejection_reason", sa.String(2), nullable=True),
    sa.ForeignKeyConstraint(["material_id", "plant"],
                            ["material_plant.material_id", "material_plant.plant"]),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.Index("ix_sales_order_item_material_plant", "material_id", "plant"),
)

sales_order_schedule_line = sa.Table(
    "sales_order_schedule_line", metadata,
    _col("order_id", DOC, primary_key=True),
    _col("item_no", ITEM, primary_key=True, autoincrement=False),
    _col("line_no", sa.SmallInteger, primary_key=True, autoincrement=False),
    # EDATU: requested (line 1) or confirmed (later lines) delivery date.
    _col("delivery_date", sa.Date),
    _col("requested_qty", QUANTITY),
    _col("confirmed_qty", QUANTITY),
    _col("material_availability_date", sa.Date),
    _col("transportation_planning_date", sa.Date),
    _col("loading_date", sa.Date),
    _col("goods_issue_date", sa.Date),
    sa.ForeignKeyConstraint(["order_id", "item_no"],
                            ["sales_order_item.order_id", "sales_order_item.item_no"]),
    sa.CheckConstraint("requested_qty >= 0", name="requested_not_negative"),
    sa.CheckConstraint("confirmed_qty >= 0", name="confirmed_not_negative"),
)

delivery = sa.Table(
    "delivery", metadata,
    _col("delivery_id", DOC, primary_key=True, autoincrement=False),
    _col("delivery_type", sa.String(4), server_default="LF"),
    _col("shipping_point", sa.String(4), sa.ForeignKey("shipping_point.shipping_point"),
         nullable=True),
    _col("route", sa.String(6), sa.ForeignKey("route.route"), nullable=True),
    _col("sold_to", sa.String(10), sa.ForeignKey("customer.customer_id")),
    _col("ship_to", sa.String(10), sa.ForeignKey("customer.customer_id")),
    _col("created_on", sa.Date),
    _col("planned_gi_date", sa.Date),
    _col("delivery_date", sa.Date),
)

delivery_item = sa.Table(
    "delivery_item", metadata,
    _col("delivery_id", DOC, sa.ForeignKey("delivery.delivery_id"), primary_key=True),
    _col("item_no", ITEM, primary_key=True, autoincrement=False),
    _col("order_id", DOC),
    _col("order_item", ITEM),
    _col("material_id", sa.String(18), sa.ForeignKey("material.material_id")),
    _col("plant", sa.String(4)),
    _col("storage_location", sa.String(4)),
    _col("quantity", QUANTITY),
    _col("unit", sa.String(3)),
    sa.ForeignKeyConstraint(["order_id", "order_item"],
                            ["sales_order_item.order_id", "sales_order_item.item_no"]),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.Index("ix_delivery_item_order", "order_id", "order_item"),
)

# --- availability checks (ATP, issue #4): one row per check made by the ATP checker ----------

atp_check = sa.Table(
    "atp_check", metadata,
    # A surrogate key (a log row, not a document: no number range, gaps do not matter).
    _col("check_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
         autoincrement=True),
    # Database clock at the check; ``check_date`` is the business date ("today") it ran for.
    _col("checked_at", sa.DateTime),
    _col("check_date", sa.Date),
    _col("material_id", sa.String(18)),
    _col("plant", sa.String(4)),
    _col("customer_id", sa.String(10), sa.ForeignKey("customer.customer_id"), nullable=True),
    # The order item the check was made for (no foreign key: order entry writes the item after
    # checking it); empty for checks outside order entry.
    _col("order_id", DOC, nullable=True),
    _col("item_no", ITEM, nullable=True),
    _col("checking_group", sa.String(2)),
    # Confirmation rule after the customer's partial-delivery agreement: one_time, complete,
    # proposal.
    _col("rule", sa.String(10)),
    _col("requested_qty", QUANTITY),
    # Requested delivery date, and the material availability date availability was checked on.
    _col("requested_date", sa.Date),
    _col("availability_date", sa.Date),
    _col("confirmed_qty", QUANTITY),
    # Delivery date of the last confirmed schedule line (when everything confirmed is there),
    # and its delay after the requested date in calendar days; empty when nothing is confirmed.
    _col("confirmed_date", sa.Date, nullable=True),
    _col("delay_days", sa.Integer, nullable=True),
    # full (all confirmed), partial, none.
    _col("outcome", sa.String(8)),
    sa.ForeignKeyConstraint(["material_id", "plant"],
                            ["material_plant.material_id", "material_plant.plant"]),
    sa.CheckConstraint("outcome IN ('full', 'partial', 'none')", name="outcome"),
    sa.CheckConstraint("requested_qty > 0", name="requested_positive"),
    sa.CheckConstraint("confirmed_qty >= 0 AND confirmed_qty <= requested_qty",
                       name="confirmed_within_requested"),
    sa.Index("ix_atp_check_material_plant", "material_id", "plant", "check_date"),
    sa.Index("ix_atp_check_order", "order_id", "item_no"),
)

# --- goods movements (MKPF/MSEG) ------------------------------------------------------------

material_document = sa.Table(
    "material_document", metadata,
    _col("mat_doc_id", DOC, primary_key=True, autoincrement=False),
    _col("movement_type", sa.String(3)),
    _col("posting_date", sa.Date),
    _col("document_date", sa.Date),
    _col("delivery_id", DOC, sa.ForeignKey("delivery.delivery_id"), nullable=True, index=True),
    _col("po_id", DOC, sa.ForeignKey("purchase_order.po_id"), nullable=True, index=True),
    # The material document this one reverses (102 reverses 101, 602 reverses 601).
    _col("reversal_of", DOC, sa.ForeignKey("material_document.mat_doc_id"), nullable=True,
         unique=True),
)

material_document_item = sa.Table(
    "material_document_item", metadata,
    _col("mat_doc_id", DOC, sa.ForeignKey("material_document.mat_doc_id"), primary_key=True),
    _col("item_no", ITEM, primary_key=True, autoincrement=False),
    _col("movement_type", sa.String(3)),
    _col("material_id", sa.String(18)),
    _col("plant", sa.String(4)),
    _col("storage_location", sa.String(4)),
    # U unrestricted, Q quality inspection, B blocked.
    _col("stock_type", sa.String(1), server_default="U"),
    # Always positive; the sign is `debit_credit`: S = stock up (receipt), H = stock down.
    _col("quantity", QUANTITY),
    _col("debit_credit", sa.String(1)),
    _col("amount", MONEY),
    _col("currency", sa.String(3)),
    _col("delivery_id", DOC, nullable=True),
    _col("delivery_item", ITEM, nullable=True),
    _col("order_id", DOC, nullable=True),
    _col("order_item", ITEM, nullable=True),
    _col("po_id", DOC, nullable=True),
    _col("po_item", ITEM, nullable=True),
    sa.ForeignKeyConstraint(["material_id", "plant", "storage_location"],
                            ["stock.material_id", "stock.plant", "stock.storage_location"]),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.CheckConstraint("debit_credit IN ('S', 'H')", name="debit_credit"),
    sa.Index("ix_material_document_item_delivery", "delivery_id", "delivery_item"),
    sa.Index("ix_material_document_item_po", "po_id", "po_item"),
    sa.Index("ix_material_document_item_material_plant", "material_id", "plant"),
)

# --- accounting (BKPF/BSEG, open items BSID/BSAD, BSIK/BSAK) ---------------------------------

accounting_document = sa.Table(
    "accounting_document", metadata,
    _col("acc_doc_id", DOC, primary_key=True, autoincrement=False),
    # RV billing, WL goods issue, WE goods receipt, RE invoice receipt, DZ incoming payment.
    _col("doc_type", sa.String(2)),
    _col("posting_date", sa.Date),
    _col("document_date", sa.Date),
    _col("currency", sa.String(3), sa.ForeignKey("currency.currency")),
    # What the document posts: billing, material_document, invoice_receipt, payment.
    _col("reference_type", sa.String(20)),
    _col("reference_id", DOC),
    _col("reversal_of", DOC, sa.ForeignKey("accounting_document.acc_doc_id"), nullable=True),
    sa.Index("ix_accounting_document_reference", "reference_type", "reference_id"),
)

accounting_line = sa.Table(
    "accounting_line", metadata,
    _col("acc_doc_id", DOC, sa.ForeignKey("accounting_document.acc_doc_id"), primary_key=True),
    _col("line_no", sa.Integer, primary_key=True, autoincrement=False),
    # AR, REVENUE, OUTPUT_TAX, COGS, INVENTORY, GRIR, PRICE_DIFFERENCE, VENDOR, BANK, ...
    _col("account", sa.String(30)),
    _zero("debit", MONEY),
    _zero("credit", MONEY),
    _col("customer_id", sa.String(10), sa.ForeignKey("customer.customer_id"), nullable=True),
    _col("vendor_id", sa.String(10), sa.ForeignKey("vendor.vendor_id"), nullable=True),
    _col("material_id", sa.String(18), nullable=True),
    sa.CheckConstraint("debit >= 0 AND credit >= 0", name="amounts_not_negative"),
)

# --- billing (VBRK/VBRP) --------------------------------------------------------------------

billing_document = sa.Table(
    "billing_document", metadata,
    _col("billing_id", DOC, primary_key=True, autoincrement=False),
    # F2 invoice (M), S1 cancellation (N), G2 credit memo (O).
    _col("billing_type", sa.String(4)),
    _col("category", sa.String(1)),
    _col("billing_date", sa.Date),
    _col("sold_to", sa.String(10), sa.ForeignKey("customer.customer_id")),
    _col("bill_to", sa.String(10), sa.ForeignKey("customer.customer_id")),
    _col("payer", sa.String(10), sa.ForeignKey("customer.customer_id"), index=True),
    _col("currency", sa.String(3), sa.ForeignKey("currency.currency")),
    _col("payment_terms", sa.String(4), sa.ForeignKey("payment_terms.terms")),
    _col("net_value", MONEY),
    _col("tax_amount", MONEY),
    _col("gross_amount", MONEY),
    _col("baseline_date", sa.Date),
    _col("due_date", sa.Date),
    _col("discount_date", sa.Date, nullable=True),
    _col("discount_percent", PERCENT, server_default="0"),
    _col("cancels_billing_id", DOC, sa.ForeignKey("billing_document.billing_id"),
         nullable=True, unique=True),
    _col("reference_billing_id", DOC, sa.ForeignKey("billing_document.billing_id"),
         nullable=True),
    _col("acc_doc_id", DOC, sa.ForeignKey("accounting_document.acc_doc_id")),
)

billing_item = sa.Table(
    "billing_item", metadata,
    _col("billing_id", DOC, sa.ForeignKey("billing_document.billing_id"), primary_key=True),
    _col("item_no", ITEM, primary_key=True, autoincrement=False),
    _col("delivery_id", DOC, nullable=True),
    _col("delivery_item", ITEM, nullable=True),
    _col("order_id", DOC, nullable=True),
    _col("order_item", ITEM, nullable=True),
    _col("material_id", sa.String(18), sa.ForeignKey("material.material_id")),
    _col("quantity", QUANTITY),
    _col("unit", sa.String(3)),
    _col("net_price", MONEY),
    _col("net_value", MONEY),
    _col("tax_code", sa.String(2)),
    _col("tax_rate", PERCENT),
    _col("tax_amount", MONEY),
    # Standard cost of the billed quantity (for margins in the warehouse).
    _col("cost", MONEY, server_default="0"),
    sa.ForeignKeyConstraint(["delivery_id", "delivery_item"],
                            ["delivery_item.delivery_id", "delivery_item.item_no"]),
    sa.ForeignKeyConstraint(["order_id", "order_item"],
                            ["sales_order_item.order_id", "sales_order_item.item_no"]),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.Index("ix_billing_item_delivery", "delivery_id", "delivery_item"),
    sa.Index("ix_billing_item_order", "order_id", "order_item"),
)

# --- purchasing (EBAN, EKKO/EKPO/EKET), invoice receipt (RBKP/RSEG) ---------------------------

purchase_requisition = sa.Table(
    "purchase_requisition", metadata,
    _col("pr_id", DOC, primary_key=True, autoincrement=False),
    _col("item_no", ITEM, primary_key=True, autoincrement=False),
    _col("material_id", sa.String(18)),
    _col("plant", sa.String(4)),
    _col("storage_location", sa.String(4), nullable=True),
    _col("quantity", QUANTITY),
    _col("unit", sa.String(3)),
    _col("needed_by", sa.Date),
    _col("created_on", sa.Date),
    _col("desired_vendor", sa.String(10), sa.ForeignKey("vendor.vendor_id"), nullable=True),
    sa.ForeignKeyConstraint(["material_id", "plant"],
                            ["material_plant.material_id", "material_plant.plant"]),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
)

purchase_order = sa.Table(
    "purchase_order", metadata,
    _col("po_id", DOC, primary_key=True, autoincrement=False),
    _col("vendor_id", sa.String(10), sa.ForeignKey("vendor.vendor_id"), index=True),
    _col("purchasing_org", sa.String(4), server_default=""),
    _col("po_date", sa.Date),
    _col("currency", sa.String(3), sa.ForeignKey("currency.currency")),
    _col("payment_terms", sa.String(4), sa.ForeignKey("payment_terms.terms")),
    _col("net_value", MONEY),
)

purchase_order_item = sa.Table(
    "purchase_order_item", metadata,
    _col("po_id", DOC, sa.ForeignKey("purchase_order.po_id"), primary_key=True),
    _col("item_no", ITEM, primary_key=True, autoincrement=False),
    _col("material_id", sa.String(18)),
    _col("plant", sa.String(4)),
    _col("storage_location", sa.String(4)),
    _col("quantity", QUANTITY),
    _col("unit", sa.String(3)),
    _col("net_price", MONEY),
    _col("net_value", MONEY),
    _col("pr_id", DOC, nullable=True),
    _col("pr_item", ITEM, nullable=True),
    sa.ForeignKeyConstraint(["material_id", "plant"],
                            ["material_plant.material_id", "material_plant.plant"]),
    sa.ForeignKeyConstraint(["pr_id", "pr_item"],
                            ["purchase_requisition.pr_id", "purchase_requisition.item_no"]),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.Index("ix_purchase_order_item_material_plant", "material_id", "plant"),
    sa.Index("ix_purchase_order_item_pr", "pr_id", "pr_item"),
)

purchase_order_schedule_line = sa.Table(
    "purchase_order_schedule_line", metadata,
    _col("po_id", DOC, primary_key=True),
    _col("item_no", ITEM, primary_key=True, autoincrement=False),
    _col("line_no", sa.SmallInteger, primary_key=True, autoincrement=False),
    _col("delivery_date", sa.Date),
    _col("quantity", QUANTITY),
    sa.ForeignKeyConstraint(["po_id", "item_no"],
                            ["purchase_order_item.po_id", "purchase_order_item.item_no"]),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
)

invoice_receipt = sa.Table(
    "invoice_receipt", metadata,
    _col("invoice_id", DOC, primary_key=True, autoincrement=False),
    _col("vendor_id", sa.String(10), sa.ForeignKey("vendor.vendor_id")),
    _col("invoice_date", sa.Date),
    _col("posting_date", sa.Date),
    _col("currency", sa.String(3), sa.ForeignKey("currency.currency")),
    _col("net_amount", MONEY),
    _col("tax_amount", MONEY, server_default="0"),
    _col("gross_amount", MONEY),
    _col("due_date", sa.Date),
    _col("vendor_reference", sa.String(35), server_default=""),
    _col("acc_doc_id", DOC, sa.ForeignKey("accounting_document.acc_doc_id")),
)

invoice_receipt_item = sa.Table(
    "invoice_receipt_item", metadata,
    _col("invoice_id", DOC, sa.ForeignKey("invoice_receipt.invoice_id"), primary_key=True),
    _col("item_no", ITEM, primary_key=True, autoincrement=False),
    _col("po_id", DOC),
    _col("po_item", ITEM),
    _col("quantity", QUANTITY),
    _col("amount", MONEY),
    sa.ForeignKeyConstraint(["po_id", "po_item"],
                            ["purchase_order_item.po_id", "purchase_order_item.item_no"]),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.Index("ix_invoice_receipt_item_po", "po_id", "po_item"),
)

# --- open items and incoming payments -------------------------------------------------------

open_item = sa.Table(
    "open_item", metadata,
    _col("open_item_id", DOC, primary_key=True, autoincrement=False),
    # AR receivable of a customer (payer), AP payable to a vendor.
    _col("kind", sa.String(2)),
    _col("customer_id", sa.String(10), sa.ForeignKey("customer.customer_id"), nullable=True),
    _col("vendor_id", sa.String(10), sa.ForeignKey("vendor.vendor_id"), nullable=True),
    _col("acc_doc_id", DOC, sa.ForeignKey("accounting_document.acc_doc_id")),
    _col("billing_id", DOC, sa.ForeignKey("billing_document.billing_id"), nullable=True,
         index=True),
    _col("invoice_id", DOC, sa.ForeignKey("invoice_receipt.invoice_id"), nullable=True),
    # The item a partial payment cleared, leaving this one as its residual.
    _col("residual_of", DOC, sa.ForeignKey("open_item.open_item_id"), nullable=True),
    _col("posting_date", sa.Date),
    _col("currency", sa.String(3), sa.ForeignKey("currency.currency")),
    # Signed: a receivable is positive, a credit memo negative; a payable is positive.
    _col("amount", MONEY),
    _col("baseline_date", sa.Date),
    _col("due_date", sa.Date),
    _col("discount_date", sa.Date, nullable=True),
    _col("discount_percent", PERCENT, server_default="0"),
    # The accounting document (payment, cancellation) that cleared the item, and when.
    _col("cleared_by", DOC, sa.ForeignKey("accounting_document.acc_doc_id"), nullable=True),
    _col("cleared_on", sa.Date, nullable=True),
    sa.CheckConstraint("kind IN ('AR', 'AP')", name="kind"),
    sa.Index("ix_open_item_customer_open", "customer_id", "cleared_by"),
)

payment = sa.Table(
    "payment", metadata,
    _col("payment_id", DOC, primary_key=True, autoincrement=False),
    _col("payer", sa.String(10), sa.ForeignKey("customer.customer_id")),
    _col("payment_date", sa.Date),
    _col("amount", MONEY),
    _col("currency", sa.String(3), sa.ForeignKey("currency.currency")),
    _col("reference", sa.String(35), server_default=""),
    _col("acc_doc_id", DOC, sa.ForeignKey("accounting_document.acc_doc_id")),
    sa.CheckConstraint("amount > 0", name="amount_positive"),
)

payment_item = sa.Table(
    "payment_item", metadata,
    _col("payment_id", DOC, sa.ForeignKey("payment.payment_id"), primary_key=True),
    _col("open_item_id", DOC, sa.ForeignKey("open_item.open_item_id"), primary_key=True),
    # Cash applied to the item, cash discount granted, and the residual item left (if any).
    _col("amount", MONEY),
    _zero("discount", MONEY),
    _col("residual_item_id", DOC, sa.ForeignKey("open_item.open_item_id"), nullable=True),
)

# --- document flow (VBFA) -------------------------------------------------------------------

document_flow = sa.Table(
    "document_flow", metadata,
    # SD categories (VBTYP): C order, J delivery, R goods movement, M invoice, N cancellation,
    # O credit memo, V purchase order, + accounting document; MM: 0 purchase requisition,
    # Q invoice receipt (see kubus.oltp.docflow.Category).
    _col("preceding_category", sa.String(1), primary_key=True),
    _col("preceding_doc", DOC, primary_key=True, autoincrement=False),
    _col("preceding_item", ITEM, primary_key=True, autoincrement=False),
    _col("subsequent_category", sa.String(1), primary_key=True),
    _col("subsequent_doc", DOC, primary_key=True, autoincrement=False),
    _col("subsequent_item", ITEM, primary_key=True, autoincrement=False),
    _col("quantity", QUANTITY, nullable=True),
    _col("value", MONEY, nullable=True),
    _col("movement_type", sa.String(3), nullable=True),
    _col("created_on", sa.Date),
    sa.Index("ix_document_flow_subsequent", "subsequent_doc", "subsequent_category"),
)

# --- JSON API: idempotency keys (technical, like number ranges: not in the change log) --------

idempotency_key = sa.Table(
    "idempotency_key", metadata,
    # The client's Idempotency-Key header; keys are unique per database (source system).
    _col("idempotency_key", sa.String(255), primary_key=True),
    # SHA-256 (hex) of method, path and canonical JSON body: the same key with another
    # request is refused.
    _col("request_hash", sa.String(64)),
    _col("method", sa.String(10)),
    _col("path", sa.String(255)),
    # The response of the request that created it, replayed verbatim to every retry.
    _col("status", sa.SmallInteger),
    _col("location", sa.String(255), nullable=True),
    _col("body", sa.Text),
    _col("created_at", sa.DateTime, index=True),
)

# --- interaction center (issue #6): kubus.oltp.schema_interactions, on this metadata ---------
import kubus.oltp.schema_interactions  # noqa: E402, F401  (a plain import: no import cycle)
