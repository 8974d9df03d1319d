"""The warehouse star schema: conformed dimensions, fact tables, load bookkeeping.

One SQLAlchemy ``MetaData`` that creates the same tables on DuckDB (the embedded default),
SQLite and PostgreSQL. The shipped cube models (``kubus/config/models/*.json``) map onto these
names; the loaders in :mod:`kubus.etl` fill them. Conventions, after BW's extended star schema
(domain.md §4.2):

* Dimension rows have integer surrogate keys (``*_key``); ``0`` is the "not assigned" member
  every dimension has, so facts never hold NULL keys and inner joins lose nothing.
* ``date_key`` columns are ``YYYYMMDD`` integers into ``dim_date`` (``0`` = no date yet).
* Transaction keys stay compounded with the source system (``source_key`` + document number),
  so equal document numbers from two OLTP systems never collide (domain.md §4.5).
* Amounts are kept in document currency (``currency``) and translated to the group currency
  (``*_gc`` columns) with the rate valid on the document date (domain.md §4.8).
* Counters (``line_count``, ``order_first_line``, ``*_flag`` 0/1 columns) make ratios such as
  fill rates and on-time shares plain ``sum(x) / sum(y)`` aggregates in the cube models.
* Fact tables are the active data of a standard DSO (domain.md §4.5): one row per semantic
  key, overwritten when the OLTP document changes; a cancellation or reversal in OLTP
  corrects the row (or adds a signed row, e.g. cancellation billing documents).

Example::

    metadata.create_all(sa.create_engine("duckdb:///var/warehouse.duckdb"))
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = ["DIMENSIONS", "FACTS", "metadata"]

metadata = sa.MetaData()

MONEY = sa.Numeric(18, 2)
QUANTITY = sa.Numeric(18, 3)
KEY = sa.Integer
DOC = sa.BigInteger


def _key(name: str, **kw: Any) -> sa.Column[Any]:
    """A NOT NULL integer key column defaulting to the "not assigned" member 0."""
    return sa.Column(name, KEY, nullable=False, server_default="0", **kw)


def _num(name: str, type_: Any = QUANTITY) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=False, server_default="0")


def _flag(name: str) -> sa.Column[Any]:
    """A 0/1 counter: summing it counts the rows for which something holds."""
    return sa.Column(name, sa.SmallInteger, nullable=False, server_default="0")


def _text(name: str, length: int = 80, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=False, server_default="", **kw)


# --- load bookkeeping -------------------------------------------------------------------------

etl_source = sa.Table(
    "etl_source", metadata,
    # The source system's id as configured (e.g. CURRENT, LEGACY).
    sa.Column("source_system", sa.String(20), primary_key=True),
    # Where it was loaded from, password hidden (for the operator, not used to connect).
    _text("url", 255),
    # The watermark: the last change-log sequence whose changes are in the warehouse. Written
    # in the same transaction as the data it covers (exactly once).
    sa.Column("last_seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("loaded_at", sa.DateTime, nullable=True),
)

etl_load = sa.Table(
    "etl_load", metadata,
    # One row per load request (BW's request id); facts remember the load that wrote them.
    sa.Column("load_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("source_system", sa.String(20), nullable=False),
    _text("mode", 10),                       # delta | full
    sa.Column("from_seq", sa.BigInteger, nullable=False),
    sa.Column("to_seq", sa.BigInteger, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=True),
    _text("status", 10),                     # ok | failed
    sa.Column("changes", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rows", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("error", sa.Text, nullable=True),
)

etl_reconciliation = sa.Table(
    "etl_reconciliation", metadata,
    # After every load: OLTP vs warehouse totals per source system, day and measure.
    sa.Column("load_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("source_system", sa.String(20), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("measure", sa.String(40), primary_key=True),
    sa.Column("oltp_value", MONEY, nullable=False),
    sa.Column("warehouse_value", MONEY, nullable=False),
    _flag("ok"),
)

# --- dimensions ---------------------------------------------------------------------------------

dim_date = sa.Table(
    "dim_date", metadata,
    sa.Column("date_key", KEY, primary_key=True, autoincrement=False),   # YYYYMMDD; 0 = none
    sa.Column("date", sa.Date, nullable=True),
    _num("year", KEY), _num("quarter", KEY), _num("month", KEY), _text("month_name", 10),
    _num("day", KEY),
    # ISO 8601 weeks (domain.md §7.8): weeks start Monday, week 1 holds 4 January.
    _num("iso_year", KEY), _num("iso_week", KEY), _num("weekday", KEY),  # 1 = Monday
    # Fiscal year variant K4 (calendar year, 12 periods): fiscal_period is 0FISCPER YYYYPPP.
    _num("fiscal_year", KEY), _num("fiscal_period", KEY),
)

dim_source_system = sa.Table(
    "dim_source_system", metadata,
    sa.Column("source_key", KEY, primary_key=True, autoincrement=False),
    _text("source_system", 20, unique=True),
    _text("source_name"),
)

dim_customer = sa.Table(
    "dim_customer", metadata,
    # One row per GLOBAL customer (merged across source systems, domain.md §4.5), current
    # attributes (time-independent navigation attributes; survivorship: see the loader).
    sa.Column("customer_key", KEY, primary_key=True, autoincrement=False),
    _text("global_id", 12, unique=True),     # G-000001
    _text("customer_name"), _text("city", 40), _text("postal_code", 10),
    _text("country", 2), _text("country_name", 40),
    _text("region", 10), _text("region_name", 40),   # world region: EMEA, AMER, APAC
    _text("district", 10),                   # sales district (OLTP customer.region)
    _text("segment", 20),                    # RFM segment label, from the CRM job
    _text("vat_number", 20), _text("email", 120), _text("phone", 40),   # cleansed; E.164
    sa.Column("customer_since", sa.Date, nullable=True),
)

dim_customer_version = sa.Table(
    "dim_customer_version", metadata,
    # Time-dependent attributes (SCD type 2): the version valid on a key date, and the version
    # a fact was posted with ("as posted" truth, domain.md §4.2, BW-1).
    sa.Column("customer_version_key", KEY, primary_key=True, autoincrement=False),
    _key("customer_key"),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date, nullable=False),  # inclusive; 9999-12-31 when current
    _text("country", 2), _text("region", 10), _text("district", 10), _text("segment", 20),
)

customer_xref = sa.Table(
    "customer_xref", metadata,
    # (source system, local customer number) → global customer, with the rule that matched.
    sa.Column("source_system", sa.String(20), primary_key=True),
    sa.Column("customer_id", sa.String(10), primary_key=True),
    _key("customer_key"),
    _text("match_rule", 20),                 # vat | new | manual
    _text("local_name"),
)

customer_match_candidate = sa.Table(
    "customer_match_candidate", metadata,
    # Pairs that look alike (normalised name + postal code) but were NOT merged: for review.
    sa.Column("source_system", sa.String(20), primary_key=True),
    sa.Column("customer_id", sa.String(10), primary_key=True),
    sa.Column("other_source_system", sa.String(20), primary_key=True),
    sa.Column("other_customer_id", sa.String(10), primary_key=True),
    _text("rule", 20),
    _text("status", 10),                     # review | merged | rejected
)

dim_product = sa.Table(
    "dim_product", metadata,
    sa.Column("product_key", KEY, primary_key=True, autoincrement=False),
    _text("material_id", 18, unique=True),
    _text("product_name"), _text("category", 40), _text("subcategory", 40),
    _text("base_unit", 3),
)

dim_plant = sa.Table(
    "dim_plant", metadata,
    sa.Column("plant_key", KEY, primary_key=True, autoincrement=False),
    _key("source_key"), _text("plant", 4), _text("plant_name"), _text("country", 2),
    sa.UniqueConstraint("source_key", "plant"),
)

dim_route = sa.Table(
    "dim_route", metadata,
    sa.Column("route_key", KEY, primary_key=True, autoincrement=False),
    _key("source_key"), _text("route", 6), _text("route_name"),
    _num("transit_days", KEY),
    sa.UniqueConstraint("source_key", "route"),
)

dim_vendor = sa.Table(
    "dim_vendor", metadata,
    sa.Column("vendor_key", KEY, primary_key=True, autoincrement=False),
    _key("source_key"), _text("vendor_id", 10), _text("vendor_name"), _text("country", 2),
    sa.UniqueConstraint("source_key", "vendor_id"),
)

dim_channel = sa.Table(
    "dim_channel", metadata,
    # web, phone, email, fax, letter, chat, direct (orders keyed in by sales staff), ...
    sa.Column("channel_key", KEY, primary_key=True, autoincrement=False),
    _text("channel", 10, unique=True), _text("channel_name", 40),
)

# --- facts --------------------------------------------------------------------------------------

fact_order_item = sa.Table(
    "fact_order_item", metadata,
    _key("source_key", primary_key=True),
    sa.Column("order_id", DOC, primary_key=True, autoincrement=False),
    sa.Column("item_no", sa.Integer, primary_key=True, autoincrement=False),
    _key("order_date_key"), _key("requested_date_key"),
    _key("customer_key"), _key("customer_version_key"), _key("product_key"),
    _key("plant_key"), _key("channel_key"),
    _text("currency", 3),
    _num("quantity"), _num("confirmed_qty"), _num("delivered_qty"),
    _num("net_value", MONEY), _num("net_value_gc", MONEY),
    _flag("rejected"),
    _flag("line_count"),             # 1 per (not rejected) line
    _flag("order_first_line"),       # 1 on the first line of each order: Σ = number of orders
    _flag("shipped_complete"),       # the line's full quantity was goods-issued
    _flag("order_shipped_complete"),  # on the first line only: every line of the order was
    sa.Column("load_id", sa.Integer, nullable=False, server_default="0"),
)

fact_atp_check = sa.Table(
    "fact_atp_check", metadata,
    _key("source_key", primary_key=True),
    sa.Column("check_id", DOC, primary_key=True, autoincrement=False),
    _key("check_date_key"), _key("requested_date_key"), _key("confirmed_date_key"),
    _key("customer_key"), _key("product_key"), _key("plant_key"),
    _text("rule", 10), _text("outcome", 8),
    _num("requested_qty"), _num("confirmed_qty"),
    sa.Column("delay_days", sa.Integer, nullable=True),
    _flag("check_count"), _flag("full_flag"), _flag("on_time_flag"),
    sa.Column("load_id", sa.Integer, nullable=False, server_default="0"),
)

fact_delivery_item = sa.Table(
    "fact_delivery_item", metadata,
    _key("source_key", primary_key=True),
    sa.Column("delivery_id", DOC, primary_key=True, autoincrement=False),
    sa.Column("item_no", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("order_id", DOC, nullable=True), sa.Column("order_item", sa.Integer, nullable=True),
    _key("created_date_key"), _key("planned_gi_date_key"), _key("actual_gi_date_key"),
    _key("delivery_date_key"), _key("requested_date_key"), _key("order_date_key"),
    _key("customer_key"), _key("product_key"), _key("plant_key"), _key("route_key"),
    _num("quantity"),
    _flag("line_count"), _flag("goods_issued"),
    # Goods issue on or before the confirmed goods-issue date (the date pair: docs/warehouse.md).
    _flag("on_time_flag"),
    sa.Column("lead_time_days", sa.Integer, nullable=True),   # order date → goods issue
    sa.Column("load_id", sa.Integer, nullable=False, server_default="0"),
)

fact_billing_item = sa.Table(
    "fact_billing_item", metadata,
    _key("source_key", primary_key=True),
    sa.Column("billing_id", DOC, primary_key=True, autoincrement=False),
    sa.Column("item_no", sa.Integer, primary_key=True, autoincrement=False),
    _key("billing_date_key"), _key("customer_key"), _key("product_key"),
    _text("billing_type", 4), _text("category", 1),
    _text("currency", 3),
    # Signed: an invoice positive, its cancellation and credit memos negative.
    _num("quantity"), _num("net_value", MONEY), _num("tax_amount", MONEY), _num("cost", MONEY),
    _num("net_value_gc", MONEY), _num("tax_amount_gc", MONEY), _num("cost_gc", MONEY),
    sa.Column("load_id", sa.Integer, nullable=False, server_default="0"),
)

fact_open_item = sa.Table(
    "fact_open_item", metadata,
    # Receivables and payables, open or cleared: the billing cube's DSO, days to pay, O2C.
    _key("source_key", primary_key=True),
    sa.Column("open_item_id", DOC, primary_key=True, autoincrement=False),
    _text("kind", 2),
    _key("customer_key"), _key("vendor_key"),
    _key("posting_date_key"), _key("due_date_key"), _key("cleared_date_key"),
    _key("order_date_key"),
    _text("currency", 3), _num("amount", MONEY), _num("amount_gc", MONEY),
    _num("open_amount_gc", MONEY),           # amount_gc while open, else 0
    _flag("item_count"), _flag("open_flag"), _flag("overdue_flag"),
    sa.Column("days_to_pay", sa.Integer, nullable=True),     # billing → clearing
    sa.Column("o2c_days", sa.Integer, nullable=True),        # order → clearing
    sa.Column("load_id", sa.Integer, nullable=False, server_default="0"),
)

fact_payment = sa.Table(
    "fact_payment", metadata,
    _key("source_key", primary_key=True),
    sa.Column("payment_id", DOC, primary_key=True, autoincrement=False),
    sa.Column("open_item_id", DOC, primary_key=True, autoincrement=False),
    _key("payment_date_key"), _key("customer_key"),
    _text("currency", 3), _num("amount", MONEY), _num("discount", MONEY),
    _num("amount_gc", MONEY), _num("discount_gc", MONEY),
    sa.Column("load_id", sa.Integer, nullable=False, server_default="0"),
)

fact_stock_movement = sa.Table(
    "fact_stock_movement", metadata,
    # Non-cumulative stock (domain.md §4.7): movements (inflow/outflow) ...
    _key("source_key", primary_key=True),
    sa.Column("mat_doc_id", DOC, primary_key=True, autoincrement=False),
    sa.Column("item_no", sa.Integer, primary_key=True, autoincrement=False),
    _key("posting_date_key"), _key("product_key"), _key("plant_key"),
    _text("movement_type", 3),
    _num("inflow_qty"), _num("outflow_qty"), _num("value_gc", MONEY),
    sa.Column("load_id", sa.Integer, nullable=False, server_default="0"),
)

stock_marker = sa.Table(
    "stock_marker", metadata,
    # ... plus a marker: the absolute stock after every loaded movement. stock(t) = marker -
    # Σ movements after t.
    _key("source_key", primary_key=True), _key("product_key", primary_key=True),
    _key("plant_key", primary_key=True),
    _num("marker_qty"),
)

fact_stock_daily = sa.Table(
    "fact_stock_daily", metadata,
    # The daily snapshot the `stock` cube reads (closing stock per day), rebuilt from movements
    # and markers by the stock-snapshot job.
    _key("source_key", primary_key=True), _key("date_key", primary_key=True),
    _key("product_key", primary_key=True), _key("plant_key", primary_key=True),
    _num("stock_qty"), _num("inflow_qty"), _num("outflow_qty"), _num("stock_value_gc", MONEY),
)

fact_po_item = sa.Table(
    "fact_po_item", metadata,
    _key("source_key", primary_key=True),
    sa.Column("po_id", DOC, primary_key=True, autoincrement=False),
    sa.Column("item_no", sa.Integer, primary_key=True, autoincrement=False),
    _key("po_date_key"), _key("delivery_date_key"), _key("last_receipt_date_key"),
    _key("vendor_key"), _key("product_key"), _key("plant_key"),
    _text("currency", 3),
    _num("quantity"), _num("received_qty"), _num("net_value", MONEY), _num("net_value_gc", MONEY),
    _flag("line_count"), _flag("received_complete"), _flag("on_time_flag"),
    sa.Column("load_id", sa.Integer, nullable=False, server_default="0"),
)

fact_goods_receipt = sa.Table(
    "fact_goods_receipt", metadata,
    _key("source_key", primary_key=True),
    sa.Column("mat_doc_id", DOC, primary_key=True, autoincrement=False),
    sa.Column("item_no", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("po_id", DOC, nullable=True), sa.Column("po_item", sa.Integer, nullable=True),
    _key("posting_date_key"), _key("vendor_key"), _key("product_key"), _key("plant_key"),
    _num("quantity"), _num("amount_gc", MONEY),    # signed: a reversal is negative
    _flag("receipt_count"), _flag("on_time_flag"),
    sa.Column("delay_days", sa.Integer, nullable=True),
    sa.Column("load_id", sa.Integer, nullable=False, server_default="0"),
)

fact_interaction = sa.Table(
    "fact_interaction", metadata,
    _key("source_key", primary_key=True),
    sa.Column("interaction_id", DOC, primary_key=True, autoincrement=False),
    _key("date_key"), _key("channel_key"), _key("customer_key"),
    _text("direction", 3), _text("topic", 40), _text("outcome", 20),
    _flag("contact_count"), _flag("offered_flag"), _flag("answered_flag"),
    _flag("abandoned_flag"), _flag("short_abandon_flag"), _flag("answered_in_sla_flag"),
    _flag("resolved_first_contact_flag"), _flag("order_flag"),
    sa.Column("handling_seconds", sa.Integer, nullable=False, server_default="0"),
    sa.Column("wait_seconds", sa.Integer, nullable=False, server_default="0"),
    sa.Column("response_seconds", sa.Integer, nullable=True),
    _num("order_value_gc", MONEY),
    sa.Column("load_id", sa.Integer, nullable=False, server_default="0"),
)

fact_customer = sa.Table(
    "fact_customer", metadata,
    # The `customers` cube (analytical CRM, domain.md §5): one row per global customer at the
    # key date of the last RFM run.
    _key("customer_key", primary_key=True),
    _key("key_date_key"), _key("first_order_date_key"), _key("last_order_date_key"),
    sa.Column("recency_days", sa.Integer, nullable=True),
    sa.Column("frequency", sa.Integer, nullable=False, server_default="0"),
    _num("monetary_gc", MONEY),
    sa.Column("r_score", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("f_score", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("m_score", sa.SmallInteger, nullable=False, server_default="0"),
    _text("rfm", 3), _text("segment", 20),
    _num("clv_gc", MONEY), sa.Column("churn_score", sa.Float, nullable=False, server_default="0"),
    _flag("churn_flag"), _flag("customer_count"),
)

DIMENSIONS = (dim_date, dim_source_system, dim_customer, dim_customer_version, dim_product,
              dim_plant, dim_route, dim_vendor, dim_channel)
FACTS = (fact_order_item, fact_atp_check, fact_delivery_item, fact_billing_item, fact_open_item,
         fact_payment, fact_stock_movement, fact_stock_daily, fact_po_item, fact_goods_receipt,
         fact_interaction, fact_customer)
