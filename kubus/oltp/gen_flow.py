"""Document flow (VBFA) rows of the OLTP demo generator: one row for every link the services
write, with the same categories, item numbers, quantities and values.

Purchase requisition -> purchase order -> goods receipt / invoice receipt; sales order ->
delivery -> goods issue; delivery and order -> invoice; invoice -> cancellation / credit memo;
every billing document -> its accounting document (item 0); every billing document a payment
clears -> the payment's accounting document (item 0, value = paid + discount).
"""

from __future__ import annotations

import numpy as np

from kubus.oltp.gen_billing import CANCELLATION, CREDIT_MEMO, INVOICE, Billing
from kubus.oltp.gen_tables import Context, money
from kubus.oltp.gen_writer import Const, Rows

__all__ = ["flow_rows"]


# SQLite derives the big links from the tables written before (see gen_writer.Rows.derive);
# each SELECT yields the rows of its numpy twin below, in the same order.
_CENTS = "CAST(ROUND({} * 100) AS INTEGER)"
_ORDER_TO_DELIVERY = f"""SELECT 'C', di.order_id, di.order_item, 'J', di.delivery_id,
    di.item_no, di.quantity, di.quantity * {_CENTS.format("i.net_price")} / 100.0, NULL,
    d.created_on
  FROM delivery_item di JOIN delivery d ON d.delivery_id = di.delivery_id
  JOIN sales_order_item i ON i.order_id = di.order_id AND i.item_no = di.order_item
  ORDER BY di.rowid"""
_DELIVERY_TO_ISSUE = """SELECT 'J', m.delivery_id, m.delivery_item, 'R', m.mat_doc_id,
    m.item_no, m.quantity, m.amount, '601', h.posting_date
  FROM material_document_item m JOIN material_document h ON h.mat_doc_id = m.mat_doc_id
  WHERE m.movement_type = '601' ORDER BY m.rowid"""
_TO_INVOICE = """SELECT '{pre}', bi.{doc}, bi.{item}, 'M', bi.billing_id, bi.item_no,
    bi.quantity, bi.net_value, NULL, b.billing_date
  FROM billing_item bi JOIN billing_document b ON b.billing_id = bi.billing_id
  WHERE b.category = 'M' ORDER BY bi.rowid"""
_TO_ACCOUNTING = """SELECT '{cat}', billing_id, 0, '+', acc_doc_id, 0, NULL, gross_amount, NULL,
    billing_date FROM billing_document WHERE category = '{cat}' ORDER BY rowid"""


Ref = tuple[np.ndarray, np.ndarray | int]  # (document numbers, item numbers or 0)


def _link(categories: str, pre: Ref, sub: Ref, *, quantity: np.ndarray | None,
          value: np.ndarray, day: np.ndarray, movement: str | None = None,
          derive: str | None = None) -> Rows:
    """One kind of link (``categories`` like ``"C>J"``) as a writer source, sorted by day.

    Scalars become constant columns.
    """
    order = np.argsort(day, kind="stable")

    def column(values: np.ndarray | int | str | None) -> np.ndarray | Const:
        if values is None or np.isscalar(values):
            return Const(values)
        return np.asarray(values)[order]

    pre_category, sub_category = categories.split(">")
    day = np.asarray(day, np.int64)[order]
    return Rows("document_flow", {
        "preceding_category": Const(pre_category), "preceding_doc": column(pre[0]),
        "preceding_item": column(pre[1]), "subsequent_category": Const(sub_category),
        "subsequent_doc": column(sub[0]), "subsequent_item": column(sub[1]),
        "quantity": column(quantity), "value": money(np.asarray(value))[order],
        "movement_type": Const(movement), "created_on": day}, day, frozenset({"created_on"}),
        derive)


def flow_rows(ctx: Context, b: Billing, item_no: np.ndarray) -> list[Rows]:
    """Every document-flow link, one source per kind of link, each sorted by day."""
    m, s, n, p = ctx.master, ctx.sales, ctx.numbers, ctx.purchasing
    # Purchasing: requisition -> order -> goods receipt / invoice receipt.
    with_pr = np.flatnonzero(p.pr_item >= 0)
    item = p.pr_item[with_pr]
    gr, ir = p.gr_item, p.iri_item
    parts = [
        _link("0>V", (n.pr_id[with_pr], 10), (n.po_id[p.item_po[item]], p.item_no[item]),
              quantity=p.item_qty[item], value=p.item_qty[item] * p.item_price[item],
              day=p.po_day[p.item_po[item]]),
        _link("V>R", (n.po_id[p.item_po[gr]], p.item_no[gr]), (n.gr_doc[p.gr_doc], p.gr_no),
              quantity=p.gr_qty, value=p.gr_qty * p.item_price[gr], day=p.grd_day[p.gr_doc],
              movement="101"),
        _link("V>Q", (n.po_id[p.item_po[ir]], p.item_no[ir]), (n.ir_id[p.iri_doc], p.iri_no),
              quantity=p.item_qty[ir], value=p.iri_amount, day=p.ir_day[p.iri_doc]),
    ]
    # Sales order -> delivery -> goods issue.
    oi = s.ditem_item
    parts.append(_link("C>J", (n.order_id[s.item_order[oi]], s.item_no[oi]),
                       (n.delivery_id[s.ditem_delivery], s.ditem_no), quantity=s.ditem_qty,
                       value=s.ditem_qty * s.item_price[oi],
                       day=s.delivery_created[s.ditem_delivery], derive=_ORDER_TO_DELIVERY))
    issued = np.flatnonzero(s.delivery_gi_day[s.ditem_delivery] >= 0)
    d = s.ditem_delivery[issued]
    cost = s.ditem_qty[issued] * m.material_cost_cents[s.item_material[s.ditem_item[issued]]]
    parts.append(_link("J>R", (n.delivery_id[d], s.ditem_no[issued]),
                       (n.gi_doc[d], s.ditem_no[issued] // 10), quantity=s.ditem_qty[issued],
                       value=cost, day=s.delivery_gi_day[d], movement="601",
                       derive=_DELIVERY_TO_ISSUE))
    parts += _billing_links(ctx, b, item_no)
    return [part for part in parts if len(part)]


def _billing_links(ctx: Context, b: Billing, item_no: np.ndarray) -> list[Rows]:
    s, n = ctx.sales, ctx.numbers
    parts = []
    doc = b.bi_doc
    day = b.bd_day[doc]
    inv = np.flatnonzero(b.bd_kind[doc] == INVOICE)
    ditem = b.bi_ditem[inv]
    order_item = s.ditem_item[ditem]
    billing = (n.billing_id[doc[inv]], item_no[inv])
    for pre, ref, columns in (
            ("J", (n.delivery_id[s.ditem_delivery[ditem]], s.ditem_no[ditem]),
             ("delivery_id", "delivery_item")),
            ("C", (n.order_id[s.item_order[order_item]], s.item_no[order_item]),
             ("order_id", "order_item"))):
        parts.append(_link(f"{pre}>M", ref, billing, quantity=b.bi_qty[inv],
                           value=b.bi_net[inv], day=day[inv],
                           derive=_TO_INVOICE.format(pre=pre, doc=columns[0], item=columns[1])))
    for kind, sub in ((CANCELLATION, "N"), (CREDIT_MEMO, "O")):
        idx = np.flatnonzero(b.bd_kind[doc] == kind)
        parts.append(_link(f"M>{sub}", (n.billing_id[b.bd_ref[doc[idx]]], item_no[idx]),
                           (n.billing_id[doc[idx]], item_no[idx]), quantity=b.bi_qty[idx],
                           value=b.bi_net[idx], day=day[idx]))
    for kind, pre in ((INVOICE, "M"), (CANCELLATION, "N"), (CREDIT_MEMO, "O")):
        own = np.flatnonzero(b.bd_kind == kind)
        parts.append(_link(f"{pre}>+", (n.billing_id[own], 0), (n.acc_billing[own], 0),
                           quantity=None, value=b.bd_gross[own], day=b.bd_day[own],
                           derive=_TO_ACCOUNTING.format(cat=pre)))
        # Payments clear invoices and credit memos (a cancelled invoice by its cancellation).
        paid = np.flatnonzero(b.bd_kind[b.oi_doc[b.pi_item]] == kind)
        if kind != CANCELLATION:
            parts.append(_link(f"{pre}>+", (n.billing_id[b.oi_doc[b.pi_item[paid]]], 0),
                               (n.acc_payment[b.pi_pay[paid]], 0), quantity=None,
                               value=(b.pi_paid + b.pi_discount)[paid],
                               day=b.pay_day[b.pi_pay[paid]]))
    return parts
