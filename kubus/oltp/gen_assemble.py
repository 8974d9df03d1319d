"""Run the OLTP demo simulation end to end and assemble every table for the writer.

Order of the random draws (fixed, so one seed gives one database): master data, sales orders
to goods issues, billing and payments, replenishment, purchasing documents, customer creation
dates. :func:`build_sources` returns the writer's sources in foreign-key order (referenced
tables first), then the later changes (:class:`~kubus.oltp.gen_writer.Events`).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kubus.oltp.gen_billing import billing_item_numbers, simulate_billing
from kubus.oltp.gen_companies import SpellingStyle
from kubus.oltp.gen_distributions import to_days
from kubus.oltp.gen_flow import flow_rows
from kubus.oltp.gen_ledger import ledger_rows
from kubus.oltp.gen_master import PLANTS, Master, build_master, customer_days
from kubus.oltp.gen_numbers import assign_numbers
from kubus.oltp.gen_purchasing import purchasing_documents
from kubus.oltp.gen_sales import SalesFlow, SalesParams, simulate_sales
from kubus.oltp.gen_supply import ReplenishmentInput, plan_replenishment
from kubus.oltp.gen_tables import Context, logistics_rows, tax_of_items
from kubus.oltp.gen_writer import Events, Rows, Source, sorted_table_names

__all__ = ["Assembly", "SystemShape", "build_sources"]

SETUP_DAYS_BEFORE = 60  # master data and the first purchase orders predate the first order
_MASTER_DATES = {"exchange_rate": ("valid_from",), "calendar_holiday": ("holiday",),
                 "sales_price": ("valid_from",), "customer": ("created_on",),
                 "vendor": ("created_on",)}


@dataclass(frozen=True)
class SystemShape:
    """What :func:`build_sources` needs to know about the source system."""

    name: str
    style: SpellingStyle
    overlap: float
    customer_format: str
    customer_start: int
    vendor_format: str
    vendor_start: int
    first_day: np.datetime64
    as_of: np.datetime64


@dataclass(frozen=True)
class Assembly:
    """The writer's sources, the next free number per range, and the customer ground truth."""

    sources: list[Source]
    next_numbers: dict[str, int]
    truth: pd.DataFrame
    setup_day: int


def build_sources(shape: SystemShape, lines: int, seed: int,
                  starts: Mapping[str, int]) -> Assembly:
    """Simulate one source system's history and return it as writer sources."""
    rng = np.random.Generator(np.random.PCG64([seed, zlib.crc32(shape.name.encode())]))
    first, as_of = int(to_days(shape.first_day)), int(to_days(shape.as_of))
    setup_day = first - SETUP_DAYS_BEFORE
    master = build_master(rng, seed=seed, system=shape.name, style=shape.style,
                          overlap=shape.overlap,
                          customer_ids=(shape.customer_format, shape.customer_start),
                          vendor_ids=(shape.vendor_format, shape.vendor_start), lines=lines,
                          first_day=shape.first_day, last_day=shape.as_of)
    sales = simulate_sales(rng, master, SalesParams(lines, shape.first_day, shape.as_of))
    tax_milli, tax_code = tax_of_items(master, sales)
    billing = simulate_billing(rng, master, sales, as_of=as_of, tax_milli=tax_milli)
    plan = plan_replenishment(rng, _demand(master, sales, as_of))
    purchasing = purchasing_documents(rng, master, plan, as_of=as_of)
    numbers = assign_numbers(starts, sales, billing, purchasing)
    ctx = Context(master, sales, purchasing, numbers, tax_milli, tax_code)
    _finish_master(rng, master, sales, shape.first_day)
    logistics, logistics_events = logistics_rows(ctx)
    ledger, ledger_events = ledger_rows(ctx, billing)
    flows = flow_rows(ctx, billing, billing_item_numbers(billing))
    tables: dict[str, list[Rows]] = {}
    for part in (*_master_rows(master, setup_day), *logistics, *ledger, *flows):
        tables.setdefault(part.table, []).append(part)
    ordered: list[Source] = [part for name in sorted_table_names() for part in tables.get(name, [])]
    system_event = Events("system_info", "update", np.asarray(["1"], dtype=object),
                          np.asarray([setup_day]))
    return Assembly(sources=[*ordered, system_event, *logistics_events, *ledger_events],
                    next_numbers=numbers.next_numbers, truth=master.truth, setup_day=setup_day)


def _demand(master: Master, sales: SalesFlow, as_of: int) -> ReplenishmentInput:
    """Every confirmed quantity of items not rejected, on its goods-issue day.

    Goods already issued count on their actual day; open confirmations count as due on the
    as-of date at the latest, so they are in stock by then (order entry's availability check
    confirms from stock on hand, ``availability.StockOnlyChecker``).
    """
    n_plants = len(PLANTS)
    line_done = np.full(len(sales.line_item), -1)
    line_done[sales.ditem_line] = sales.delivery_gi_day[sales.ditem_delivery]
    keep = (sales.line_confirmed > 0) & (sales.item_reject_day[sales.line_item] < 0)
    item = sales.line_item[keep]
    day = np.where(line_done[keep] >= 0, line_done[keep], np.minimum(sales.line_gi[keep], as_of))
    mp = sales.item_material[item] * n_plants + sales.order_plant[sales.item_order[item]]
    return ReplenishmentInput(issue_mp=mp, issue_day=day, issue_qty=sales.line_confirmed[keep],
                              planned_delivery_days=np.repeat(master.planned_delivery_days,
                                                              n_plants),
                              as_of=as_of)


def _finish_master(rng: np.random.Generator, master: Master, sales: SalesFlow,
                   first_day: np.datetime64) -> None:
    """Customer creation dates (before the first order) and the open confirmed quantities."""
    n_cust = len(master.customer_id)
    first_order = np.full(n_cust, np.iinfo(np.int64).max)
    np.minimum.at(first_order, sales.order_customer, sales.order_day)
    first_order = np.where(first_order == np.iinfo(np.int64).max, -1, first_order)
    created = customer_days(first_order, rng, first_day)
    # A head office (payer) exists before its branches.
    np.minimum.at(created, master.customer_payer, created.copy())
    master.tables["customer"]["created_on"] = created
    n_plants = len(PLANTS)
    open_qty = np.zeros(len(master.material_id) * n_plants, dtype=np.int64)
    live = sales.item_reject_day[sales.line_item] < 0
    mp_line = (sales.item_material[sales.line_item] * n_plants
               + sales.order_plant[sales.item_order[sales.line_item]])
    np.add.at(open_qty, mp_line[live], sales.line_confirmed[live])
    issued = sales.delivery_gi_day[sales.ditem_delivery] >= 0
    ditem = sales.ditem_item[issued]
    mp_issue = (sales.item_material[ditem] * n_plants
                + sales.order_plant[sales.item_order[ditem]])
    np.subtract.at(open_qty, mp_issue, sales.ditem_qty[issued])
    master.tables["material_plant"]["open_confirmed_qty"] = open_qty


def _master_rows(master: Master, setup_day: int) -> list[Rows]:
    out = []
    for name, columns in master.tables.items():
        dates = _MASTER_DATES.get(name, ())
        cols = {k: (to_days(v) if k in dates and v.dtype.kind == "M" else v)
                for k, v in columns.items()}
        size = len(next(iter(cols.values())))
        day = np.full(size, setup_day, dtype=np.int64)
        if name in ("customer", "customer_sales_area", "customer_partner"):
            created = master.tables["customer"]["created_on"]
            per_customer = np.maximum(np.asarray(created, dtype=np.int64), setup_day)
            day = per_customer if name != "customer_partner" else np.repeat(per_customer, 4)
        order = np.argsort(day, kind="stable")
        out.append(Rows(name, {k: v[order] for k, v in cols.items()}, day[order],
                        frozenset(dates)))
    return out
