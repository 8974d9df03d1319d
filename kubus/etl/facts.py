"""Fact transformations: OLTP document frames -> warehouse fact rows (vectorised pandas).

Each ``*_rows`` function takes the frames read by :mod:`kubus.etl.queries` for a set of
documents and returns the rows of one fact table, with surrogate keys looked up (inferred
members created on the way), amounts translated to the group currency on the document date,
and the 0/1 counters the cube models sum. Signs: cancellation (``N``) and credit memo (``O``)
billing items are negative; a goods-receipt reversal (102) is a negative receipt.

Example::

    rows = order_item_rows(ctx, items, confirmed, issued)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from kubus.etl import dimensions as dims
from kubus.etl.customers import customer_keys, version_keys
from kubus.etl.transform import date_key, days_between, to_date, translate

__all__ = ["Context", "atp_rows", "billing_rows", "delivery_rows", "goods_receipt_rows",
           "movement_rows", "open_item_rows", "order_item_rows", "payment_rows", "po_rows"]


@dataclass(frozen=True)
class Context:
    """What every fact transformation needs: the connection, source, rates, load."""

    conn: sa.Connection
    source_key: int
    system: str
    group_currency: str
    rates: pd.DataFrame
    today: date
    load_id: int
    #: Frames one step reads for the next (the same documents, one load): not re-read.
    memo: dict[str, pd.DataFrame] = field(default_factory=dict)

    def key(self, spec: dims.DimSpec, values: pd.Series) -> pd.Series:
        return dims.member_keys(self.conn, spec, values, self.source_key)

    def customer(self, ids: pd.Series) -> pd.Series:
        return customer_keys(self.conn, self.system, ids)

    def gc(self, amounts: pd.Series, currencies: pd.Series, dates: pd.Series) -> pd.Series:
        return translate(amounts, currencies, dates, self.rates, self.group_currency)

    def head(self, frame: pd.DataFrame, **columns: Any) -> pd.DataFrame:
        """A fact frame: source key, ``columns``, load id (same index as ``frame``)."""
        out = pd.DataFrame({"source_key": self.source_key}, index=frame.index)
        for name, value in columns.items():
            out[name] = value
        out["load_id"] = self.load_id
        return out


def _flag(mask: pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(mask, dtype=bool).astype("int16")


def _by_item(frame: pd.DataFrame, extra: pd.DataFrame, doc: str, column: str,
             missing: float | None = 0.0) -> pd.Series:
    """``extra[column]`` aligned to ``frame``'s (doc, item_no) rows, ``missing`` where none
    (``None``: left empty, e.g. a date)."""
    if extra.empty:
        return pd.Series(missing, index=frame.index,
                         dtype=object if missing is None else "float64")
    merged = frame[[doc, "item_no"]].merge(extra[[doc, "item_no", column]],
                                           on=[doc, "item_no"], how="left")
    values = merged[column] if missing is None else merged[column].fillna(missing)
    return pd.Series(values.to_numpy(), index=frame.index)


def order_item_rows(ctx: Context, items: pd.DataFrame, confirmed: pd.DataFrame,
                    issued: pd.DataFrame) -> pd.DataFrame:
    items = items.sort_values(["order_id", "item_no"], ignore_index=True)
    customer = ctx.customer(items["sold_to"])
    rejected = items["rejected"].astype(bool)
    delivered = _by_item(items, issued, "order_id", "issued_qty")
    complete = ~rejected & (delivered >= items["quantity"] - 1e-9)
    first = ~items["order_id"].duplicated()
    # An order is shipped complete when every line that is not rejected is.
    every = (complete | rejected).groupby(items["order_id"]).transform("all") & \
        (~rejected).groupby(items["order_id"]).transform("any")
    return ctx.head(
        items, order_id=items["order_id"], item_no=items["item_no"],
        order_date_key=date_key(items["order_date"]),
        requested_date_key=date_key(items["requested_date"]),
        customer_key=customer, customer_version_key=version_keys(ctx.conn, customer,
                                                                 items["order_date"]),
        product_key=ctx.key(dims.PRODUCT, items["material_id"]),
        plant_key=ctx.key(dims.PLANT, items["plant"]),
        channel_key=ctx.key(dims.CHANNEL, items["channel"]),
        currency=items["currency"], quantity=items["quantity"],
        confirmed_qty=_by_item(items, confirmed, "order_id", "confirmed_qty"),
        delivered_qty=delivered, net_value=items["net_value"],
        net_value_gc=ctx.gc(items["net_value"], items["currency"], items["order_date"]),
        rejected=_flag(rejected), line_count=_flag(~rejected),
        order_first_line=_flag(first), shipped_complete=_flag(complete),
        order_shipped_complete=_flag(first & every))


def delivery_rows(ctx: Context, items: pd.DataFrame, issued: pd.DataFrame) -> pd.DataFrame:
    gi_qty = _by_item(items, issued, "delivery_id", "issued_qty")
    gi_date = _by_item(items, issued, "delivery_id", "gi_date", missing=None)
    issued_flag = gi_qty > 0
    gi_date = gi_date.where(issued_flag, None)
    on_time = issued_flag & (to_date(gi_date) <= to_date(items["planned_gi_date"]))
    return ctx.head(
        items, delivery_id=items["delivery_id"], item_no=items["item_no"],
        order_id=items["order_id"], order_item=items["order_item"],
        created_date_key=date_key(items["created_on"]),
        planned_gi_date_key=date_key(items["planned_gi_date"]),
        actual_gi_date_key=date_key(gi_date),
        delivery_date_key=date_key(items["delivery_date"]),
        requested_date_key=date_key(items["requested_date"]),
        order_date_key=date_key(items["order_date"]),
        customer_key=ctx.customer(items["sold_to"]),
        product_key=ctx.key(dims.PRODUCT, items["material_id"]),
        plant_key=ctx.key(dims.PLANT, items["plant"]),
        route_key=ctx.key(dims.ROUTE, items["route"]),
        quantity=items["quantity"], line_count=1, goods_issued=_flag(issued_flag),
        on_time_flag=_flag(on_time),
        lead_time_days=days_between(items["order_date"], gi_date))


def billing_rows(ctx: Context, items: pd.DataFrame) -> pd.DataFrame:
    sign = np.where(items["category"].isin(["N", "O"]), -1.0, 1.0)
    signed = {c: items[c] * sign for c in ("quantity", "net_value", "tax_amount", "cost")}
    day = items["billing_date"]
    return ctx.head(
        items, billing_id=items["billing_id"], item_no=items["item_no"],
        billing_date_key=date_key(day), customer_key=ctx.customer(items["sold_to"]),
        product_key=ctx.key(dims.PRODUCT, items["material_id"]),
        billing_type=items["billing_type"], category=items["category"],
        currency=items["currency"], **signed,
        net_value_gc=ctx.gc(signed["net_value"], items["currency"], day),
        tax_amount_gc=ctx.gc(signed["tax_amount"], items["currency"], day),
        cost_gc=ctx.gc(signed["cost"], items["currency"], day))


def open_item_rows(ctx: Context, items: pd.DataFrame) -> pd.DataFrame:
    amount_gc = ctx.gc(items["amount"], items["currency"], items["posting_date"])
    is_open = to_date(items["cleared_on"]).isna()
    due = to_date(items["due_date"])
    start = items["billing_date"].where(to_date(items["billing_date"]).notna(),
                                        items["posting_date"])
    ar = items["kind"] == "AR"
    return ctx.head(
        items, open_item_id=items["open_item_id"], kind=items["kind"],
        customer_key=ctx.customer(items["customer_id"].where(ar, None)),
        vendor_key=ctx.key(dims.VENDOR, items["vendor_id"].where(~ar, None)),
        posting_date_key=date_key(items["posting_date"]),
        due_date_key=date_key(items["due_date"]),
        cleared_date_key=date_key(items["cleared_on"]),
        order_date_key=date_key(items["order_date"]),
        currency=items["currency"], amount=items["amount"], amount_gc=amount_gc,
        open_amount_gc=amount_gc.where(is_open, 0.0), item_count=1,
        open_flag=_flag(is_open), overdue_flag=_flag(is_open & (due < pd.Timestamp(ctx.today))),
        days_to_pay=days_between(start, items["cleared_on"]),
        o2c_days=days_between(items["order_date"], items["cleared_on"]))


def payment_rows(ctx: Context, items: pd.DataFrame) -> pd.DataFrame:
    day = items["payment_date"]
    return ctx.head(
        items, payment_id=items["payment_id"], open_item_id=items["open_item_id"],
        payment_date_key=date_key(day), customer_key=ctx.customer(items["payer"]),
        currency=items["currency"], amount=items["amount"], discount=items["discount"],
        amount_gc=ctx.gc(items["amount"], items["currency"], day),
        discount_gc=ctx.gc(items["discount"], items["currency"], day))


def movement_rows(ctx: Context, items: pd.DataFrame) -> pd.DataFrame:
    inflow = items["debit_credit"] == "S"
    value = ctx.gc(items["amount"], items["currency"], items["posting_date"])
    return ctx.head(
        items, mat_doc_id=items["mat_doc_id"], item_no=items["item_no"],
        posting_date_key=date_key(items["posting_date"]),
        product_key=ctx.key(dims.PRODUCT, items["material_id"]),
        plant_key=ctx.key(dims.PLANT, items["plant"]),
        movement_type=items["movement_type"],
        inflow_qty=items["quantity"].where(inflow, 0.0),
        outflow_qty=items["quantity"].where(~inflow, 0.0),
        value_gc=value.where(inflow, -value))


def goods_receipt_rows(ctx: Context, items: pd.DataFrame) -> pd.DataFrame:
    items = items[items["movement_type"].isin(["101", "102"])]
    sign = np.where(items["movement_type"] == "102", -1, 1)
    late = days_between(items["po_delivery_date"], items["posting_date"])
    return ctx.head(
        items, mat_doc_id=items["mat_doc_id"], item_no=items["item_no"],
        po_id=items["po_id"], po_item=items["po_item"],
        posting_date_key=date_key(items["posting_date"]),
        vendor_key=ctx.key(dims.VENDOR, items["vendor_id"]),
        product_key=ctx.key(dims.PRODUCT, items["material_id"]),
        plant_key=ctx.key(dims.PLANT, items["plant"]),
        quantity=items["quantity"] * sign,
        amount_gc=ctx.gc(items["amount"], items["currency"], items["posting_date"]) * sign,
        receipt_count=sign.astype("int16"),
        on_time_flag=_flag((sign > 0) & (late.fillna(0) <= 0)), delay_days=late)


def po_rows(ctx: Context, items: pd.DataFrame, received: pd.DataFrame) -> pd.DataFrame:
    got = _by_item(items, received, "po_id", "received_qty")
    last = _by_item(items, received, "po_id", "last_receipt_date", missing=None)
    complete = got >= items["quantity"] - 1e-9
    on_time = complete & (to_date(last) <= to_date(items["delivery_date"]))
    return ctx.head(
        items, po_id=items["po_id"], item_no=items["item_no"],
        po_date_key=date_key(items["po_date"]),
        delivery_date_key=date_key(items["delivery_date"]),
        last_receipt_date_key=date_key(last.where(got > 0, None)),
        vendor_key=ctx.key(dims.VENDOR, items["vendor_id"]),
        product_key=ctx.key(dims.PRODUCT, items["material_id"]),
        plant_key=ctx.key(dims.PLANT, items["plant"]),
        currency=items["currency"], quantity=items["quantity"], received_qty=got,
        net_value=items["net_value"],
        net_value_gc=ctx.gc(items["net_value"], items["currency"], items["po_date"]),
        line_count=1, received_complete=_flag(complete), on_time_flag=_flag(on_time))


def atp_rows(ctx: Context, checks: pd.DataFrame) -> pd.DataFrame:
    return ctx.head(
        checks, check_id=checks["check_id"],
        check_date_key=date_key(checks["check_date"]),
        requested_date_key=date_key(checks["requested_date"]),
        confirmed_date_key=date_key(checks["confirmed_date"]),
        customer_key=ctx.customer(checks["customer_id"]),
        product_key=ctx.key(dims.PRODUCT, checks["material_id"]),
        plant_key=ctx.key(dims.PLANT, checks["plant"]),
        rule=checks["rule"], outcome=checks["outcome"],
        requested_qty=checks["requested_qty"], confirmed_qty=checks["confirmed_qty"],
        delay_days=checks["delay_days"].astype("Int64"), check_count=1,
        full_flag=_flag(checks["outcome"] == "full"),
        on_time_flag=_flag(checks["delay_days"].fillna(1) <= 0))
