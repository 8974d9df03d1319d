"""Table rows of the OLTP demo generator: billing, accounting, open items, payments, invoice
receipts.

Accounting lines follow ``kubus.oltp.accounting.post``: lines with a zero amount are dropped
and the rest numbered from 1, in the order the services build them (billing: AR, one REVENUE
line per item, OUTPUT_TAX per tax code; goods movements: per item; payments: BANK, cash
discount, then per cleared item AR and its residual). A cancellation posts the reversed lines
of the invoice it cancels, a credit memo the reversed lines of an invoice of its own items.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kubus.oltp.gen_billing import (
    CANCELLATION,
    CREDIT_MEMO,
    INVOICE,
    Billing,
    billing_item_numbers,
)
from kubus.oltp.gen_distributions import number_within, or_none, pick
from kubus.oltp.gen_master import CURRENCIES, PLANTS, TERMS
from kubus.oltp.gen_tables import COMPANY_CURRENCY, CURRENCY_CODES, Const, Context, money, rows
from kubus.oltp.gen_writer import Coded, Column, Events, Rows, take

__all__ = ["ledger_rows"]

_TAX_CODES = ("A0", "A1", "A2")
BIG = 10_000_000


def _terms(index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    code = np.asarray([t[0] for t in TERMS], dtype=object)[index]
    return (code, np.asarray([t[2] for t in TERMS])[index],
            np.round(np.asarray([t[3] for t in TERMS]) * 1000).astype(np.int64)[index],
            np.asarray([t[4] for t in TERMS])[index])


def ledger_rows(ctx: Context, b: Billing) -> tuple[list[Rows], list[Events]]:
    """Billing documents and items, accounting documents and lines, open items, payments."""
    billing, billing_items, item_no = _billing(ctx, b)
    open_items, events = _open_items(ctx, b)
    payments = _payments(ctx, b)
    receipts = _invoice_receipts(ctx)
    documents, lines = _accounting(ctx, b, item_no)
    return [*documents, *lines, billing, *billing_items, receipts[0], receipts[1], *open_items,
            *payments], events


def _doc_customers(ctx: Context, b: Billing) -> tuple[np.ndarray, np.ndarray]:
    """(sold-to, payer) customer indexes of each billing document."""
    sold_to = ctx.sales.order_customer[b.bd_order]
    return sold_to, ctx.master.customer_payer[sold_to]


def _billing(ctx: Context, b: Billing) -> tuple[Rows, list[Rows], np.ndarray]:
    m, s, n = ctx.master, ctx.sales, ctx.numbers
    sold_to, payer = _doc_customers(ctx, b)
    code, disc_days, disc_pct, net_days = _terms(m.customer_terms[sold_to])
    invoice = b.bd_kind == INVOICE
    has_discount = invoice & (disc_pct > 0)
    ref_id = pick(n.billing_id, b.bd_ref, -1)
    header = rows(
        "billing_document", b.bd_day, (n.billing_id,),
        ("billing_date", "baseline_date", "due_date", "discount_date"),
        billing_id=n.billing_id,
        billing_type=np.asarray(["F2", "S1", "G2"], dtype=object)[b.bd_kind],
        category=np.asarray(["M", "N", "O"], dtype=object)[b.bd_kind], billing_date=b.bd_day,
        sold_to=Coded(sold_to, m.customer_id), bill_to=Coded(sold_to, m.customer_id),
        payer=Coded(payer, m.customer_id),
        currency=Coded(s.order_currency[b.bd_order], CURRENCY_CODES),
        payment_terms=code, net_value=money(b.bd_net), tax_amount=money(b.bd_tax),
        gross_amount=money(b.bd_gross), baseline_date=b.bd_day,
        due_date=np.where(invoice, b.bd_day + net_days, b.bd_day),
        discount_date=np.where(has_discount, b.bd_day + disc_days, -1),
        discount_percent=np.where(has_discount, disc_pct, 0) / 1000.0,
        cancels_billing_id=or_none(b.bd_kind == CANCELLATION, ref_id),
        reference_billing_id=or_none(b.bd_kind == CREDIT_MEMO, ref_id),
        acc_doc_id=n.acc_billing)
    item_no = billing_item_numbers(b)
    ditem = b.bi_ditem
    order_item = s.ditem_item[ditem]
    cost = b.bi_qty * m.material_cost_cents[s.item_material[order_item]]
    parts = []
    for invoices in (True, False):  # invoice items (a contiguous block), then the others
        mine = np.flatnonzero((b.bd_kind[b.bi_doc] == INVOICE) == invoices)
        part = rows(
            "billing_item", b.bd_day[b.bi_doc[mine]], (n.billing_id[b.bi_doc[mine]], item_no[mine]),
            billing_id=n.billing_id[b.bi_doc[mine]], item_no=item_no[mine],
            delivery_id=n.delivery_id[s.ditem_delivery[ditem[mine]]],
            delivery_item=s.ditem_no[ditem[mine]],
            order_id=n.order_id[s.item_order[order_item[mine]]],
            order_item=s.item_no[order_item[mine]],
            material_id=Coded(s.item_material[order_item[mine]], m.material_id),
            quantity=b.bi_qty[mine], unit=Const("PC"),
            net_price=money(s.item_price[order_item[mine]]), net_value=money(b.bi_net[mine]),
            tax_code=ctx.tax_code[order_item[mine]],
            tax_rate=ctx.tax_milli[order_item[mine]] / 1000.0,
            tax_amount=money(b.bi_tax[mine]), cost=money(cost[mine]))
        parts.append(part)
    return header, parts, item_no


def _open_items(ctx: Context, b: Billing) -> tuple[list[Rows], list[Events]]:
    m, s, n, p = ctx.master, ctx.sales, ctx.numbers, ctx.purchasing
    doc = b.oi_doc
    sold_to, payer = _doc_customers(ctx, b)
    _, disc_days, disc_pct, net_days = _terms(m.customer_terms[sold_to[doc]])
    residual = b.oi_residual_of >= 0
    # A residual keeps the dates of the item it is left from (the invoice's).
    base_day = b.bd_day[doc]
    invoice = b.bd_kind[doc] == INVOICE
    has_discount = invoice & (disc_pct > 0)
    acc = np.where(residual, pick(n.acc_payment, b.oi_pay, -1), n.acc_billing[doc])
    cleared_by = np.where(b.oi_cleared_pay >= 0, pick(n.acc_payment, b.oi_cleared_pay, -1),
                          pick(n.acc_billing, b.oi_cleared_cancel, -1))
    currency = np.asarray([c[0] for c in CURRENCIES], dtype=object)[
        s.order_currency[b.bd_order[doc]]]
    receivables = rows(
        "open_item", b.oi_day, (n.oi_ar,),
        ("posting_date", "baseline_date", "due_date", "discount_date", "cleared_on"),
        open_item_id=n.oi_ar, kind=Const("AR"), customer_id=Coded(payer[doc], m.customer_id),
        vendor_id=Const(None), acc_doc_id=acc, billing_id=n.billing_id[doc],
        invoice_id=Const(None), residual_of=pick(n.oi_ar, b.oi_residual_of, None),
        posting_date=b.oi_day, currency=currency, amount=money(b.oi_amount),
        baseline_date=base_day, due_date=np.where(invoice, base_day + net_days, base_day),
        discount_date=np.where(has_discount, base_day + disc_days, -1),
        discount_percent=np.where(has_discount, disc_pct, 0) / 1000.0,
        cleared_by=or_none(cleared_by >= 0, cleared_by), cleared_on=b.oi_cleared_day)
    # Accounts payable: one open item per invoice receipt (never paid: no outgoing payments).
    ap_vendor = p.po_vendor[p.ir_po]
    _, ap_disc_days, ap_disc_pct, ap_net_days = _terms(m.vendor_terms[ap_vendor])
    ap_net = np.bincount(p.iri_doc, weights=p.iri_amount, minlength=len(p.ir_po))
    payables = rows(
        "open_item", p.ir_day, (n.oi_ap,),
        ("posting_date", "baseline_date", "due_date", "discount_date"),
        open_item_id=n.oi_ap, kind=Const("AP"), customer_id=Const(None),
        vendor_id=m.vendor_id[ap_vendor], acc_doc_id=n.acc_ir, billing_id=Const(None),
        invoice_id=n.ir_id, residual_of=Const(None), posting_date=p.ir_day,
        currency=Const(COMPANY_CURRENCY), amount=money(ap_net.astype(np.int64) + p.ir_tax),
        baseline_date=p.ir_day, due_date=p.ir_day + ap_net_days,
        discount_date=np.where(ap_disc_pct > 0, p.ir_day + ap_disc_days, -1),
        discount_percent=ap_disc_pct / 1000.0, cleared_by=Const(None), cleared_on=Const(None))
    events = []
    for operation, mask in (("update", b.oi_cleared_pay >= 0),
                            ("cancel", b.oi_cleared_cancel >= 0)):
        idx = np.flatnonzero(mask)
        idx = idx[np.lexsort((n.oi_ar[idx], b.oi_cleared_day[idx]))]
        events.append(Events("open_item", operation, n.oi_ar[idx].astype(str).astype(object),
                             b.oi_cleared_day[idx]))
    return [receivables, payables], events


def _payments(ctx: Context, b: Billing) -> list[Rows]:
    m, s, n = ctx.master, ctx.sales, ctx.numbers
    _, payer = _doc_customers(ctx, b)
    n_pay = len(b.pay_day)
    header = rows(
        "payment", b.pay_day, (n.payment_id,), ("payment_date",), payment_id=n.payment_id,
        payer=Coded(payer[b.pay_doc], m.customer_id), payment_date=b.pay_day,
        amount=money(b.pay_amount),
        currency=np.asarray([c[0] for c in CURRENCIES], dtype=object)[
            s.order_currency[b.bd_order[b.pay_doc]]],
        reference=n.billing_id[b.pay_doc].astype(str).astype(object),
        acc_doc_id=n.acc_payment)
    del n_pay
    items = rows(
        "payment_item", b.pay_day[b.pi_pay], (n.payment_id[b.pi_pay], n.oi_ar[b.pi_item]),
        payment_id=n.payment_id[b.pi_pay], open_item_id=n.oi_ar[b.pi_item],
        amount=money(b.pi_paid), discount=money(b.pi_discount),
        residual_item_id=pick(n.oi_ar, b.pi_residual, None))
    return [header, items]


def _invoice_receipts(ctx: Context) -> tuple[Rows, Rows]:
    m, p, n = ctx.master, ctx.purchasing, ctx.numbers
    vendor = p.po_vendor[p.ir_po]
    _, _, _, net_days = _terms(m.vendor_terms[vendor])
    net = np.bincount(p.iri_doc, weights=p.iri_amount, minlength=len(p.ir_po)).astype(np.int64)
    header = rows(
        "invoice_receipt", p.ir_day, (n.ir_id,), ("invoice_date", "posting_date", "due_date"),
        invoice_id=n.ir_id, vendor_id=m.vendor_id[vendor], invoice_date=p.ir_day,
        posting_date=p.ir_day, currency=Const(COMPANY_CURRENCY), net_amount=money(net),
        tax_amount=money(p.ir_tax), gross_amount=money(net + p.ir_tax),
        due_date=p.ir_day + net_days,
        vendor_reference=("RE-" + (n.ir_id % 1_000_000).astype(str).astype(object)),
        acc_doc_id=n.acc_ir)
    items = rows(
        "invoice_receipt_item", p.ir_day[p.iri_doc], (n.ir_id[p.iri_doc], p.iri_no),
        invoice_id=n.ir_id[p.iri_doc], item_no=p.iri_no, po_id=n.po_id[p.item_po[p.iri_item]],
        po_item=p.item_no[p.iri_item], quantity=p.item_qty[p.iri_item],
        amount=money(p.iri_amount))
    return header, items


# --- accounting -----------------------------------------------------------------------------


# SQLite derives the big line groups from the documents written before (gen_writer.Rows.derive);
# each SELECT yields the rows of its numpy twin, in the same order and column order.
_GOODS_ISSUE_LINE = """SELECT a.acc_doc_id, 2 * m.item_no - {offset}, '{account}', {debit},
    {credit}, NULL, NULL, m.material_id
  FROM material_document_item m JOIN accounting_document a
    ON a.reference_type = 'material_document' AND a.reference_id = m.mat_doc_id
  WHERE m.movement_type = '601' ORDER BY m.rowid"""
_BILLING_AR_LINE = """SELECT acc_doc_id, 1, 'AR',
    CASE WHEN category = 'M' THEN gross_amount ELSE 0 END,
    CASE WHEN category = 'M' THEN 0 ELSE gross_amount END, payer, NULL, NULL
  FROM billing_document ORDER BY rowid"""
# Invoice items are numbered 10, 20, ...: revenue line n + 1 (the AR line is line 1).
_INVOICE_REVENUE_LINE = """SELECT b.acc_doc_id, 1 + bi.item_no / 10, 'REVENUE', 0,
    bi.net_value, NULL, NULL, bi.material_id
  FROM billing_item bi JOIN billing_document b ON b.billing_id = bi.billing_id
  WHERE b.category = 'M' ORDER BY bi.rowid"""



def _ints(column: Column) -> np.ndarray:
    assert isinstance(column, np.ndarray)
    return column


class _Lines:
    """Accumulates candidate lines in parts (one account and kind of document each).

    :meth:`sources` drops zero lines, numbers the rest per document in posting order and
    returns one writer source per part, so a part's constant columns are written as literals.
    """

    def __init__(self) -> None:
        self.parts: list[tuple[dict[str, Column], dict[str, Any]]] = []

    def add(self, doc: np.ndarray, day: np.ndarray, key: np.ndarray | int, account: str, *,
            debit: np.ndarray | int = 0, credit: np.ndarray | int = 0,
            customer: Column | None = None, vendor: Column | None = None,
            material: Column | None = None, derive: str | None = None) -> None:
        size = len(doc)
        arrays: dict[str, Column] = {
            "doc": np.asarray(doc, dtype=np.int64), "day": np.asarray(day, dtype=np.int64),
            "key": np.broadcast_to(np.asarray(key, dtype=np.int64), (size,)),
            "debit": np.broadcast_to(np.asarray(debit, dtype=np.int64), (size,)),
            "credit": np.broadcast_to(np.asarray(credit, dtype=np.int64), (size,))}
        fixed: dict[str, Any] = {"account": account, "derive": derive}
        for name, values in (("customer_id", customer), ("vendor_id", vendor),
                             ("material_id", material)):
            if values is None:
                fixed[name] = None
            else:
                arrays[name] = values
        for side in ("debit", "credit"):
            if np.isscalar(debit if side == "debit" else credit):
                fixed[side] = 0.0
        self.parts.append((arrays, fixed))

    def sources(self) -> list[Rows]:
        kept = []
        for arrays, fixed in self.parts:
            mask = np.flatnonzero((_ints(arrays["debit"]) != 0) | (_ints(arrays["credit"]) != 0))
            kept.append(({k: take(v, mask) for k, v in arrays.items()}, fixed))
        part = np.concatenate([np.full(len(_ints(a["doc"])), i) for i, (a, _) in enumerate(kept)])
        doc = np.concatenate([_ints(a["doc"]) for a, _ in kept])
        day = np.concatenate([_ints(a["day"]) for a, _ in kept])
        key = np.concatenate([_ints(a["key"]) for a, _ in kept])
        order = np.lexsort((key, doc, day))
        line_no = np.empty(len(order), dtype=np.int64)
        line_no[order] = number_within(doc[order])
        bounds = np.cumsum([0, *(len(_ints(a["doc"])) for a, _ in kept)])
        # Each part's rows in posting order, in one pass: a stable sort of the posting order
        # by part (radix sort on small integers) instead of one scan of every row per part.
        grouped = order[np.argsort(part[order].astype(np.uint16), kind="stable")]
        out = []
        for i, (arrays, fixed) in enumerate(kept):
            if not len(_ints(arrays["doc"])):
                continue
            mine = grouped[bounds[i]:bounds[i + 1]] - bounds[i]  # this part's rows, in order
            columns: dict[str, Column] = {
                "acc_doc_id": _ints(arrays["doc"])[mine], "line_no": line_no[bounds[i] + mine]}
            for name in ("account", "debit", "credit", "customer_id", "vendor_id",
                         "material_id"):
                if name in fixed:
                    columns[name] = Const(fixed[name])
                else:
                    values = take(arrays[name], mine)
                    columns[name] = (money(_ints(values)) if name in ("debit", "credit")
                                     else values)
            out.append(Rows("accounting_line", columns, _ints(arrays["day"])[mine],
                            derive=fixed["derive"]))
        return out


def _accounting(ctx: Context, b: Billing, item_no: np.ndarray) -> tuple[list[Rows], list[Rows]]:
    m, s, n, p = ctx.master, ctx.sales, ctx.numbers, ctx.purchasing
    lines = _Lines()
    n_plants = len(PLANTS)
    # Goods issues: COGS / INVENTORY per item at standard cost.
    gi_items = np.flatnonzero(s.delivery_gi_day[s.ditem_delivery] >= 0)
    d = s.ditem_delivery[gi_items]
    material = s.item_material[s.ditem_item[gi_items]]
    amount = s.ditem_qty[gi_items] * m.material_cost_cents[material]
    no = s.ditem_no[gi_items] // 10
    day = s.delivery_gi_day[d]
    for offset, account, side in ((0, "COGS", "debit"), (1, "INVENTORY", "credit")):
        lines.add(n.acc_gi[d], day, 2 * no + offset, account,
                  material=Coded(material, m.material_id),
                  derive=_GOODS_ISSUE_LINE.format(
                      offset=1 - offset, account=account,
                      debit="m.amount" if side == "debit" else "0",
                      credit="m.amount" if side == "credit" else "0"),
                  **{side: amount})
    # Goods receipts: INVENTORY at standard / GRIR at the PO price / the difference.
    gr_mp = p.item_mp[p.gr_item]
    gr_material = Coded(gr_mp // n_plants, m.material_id)
    at_standard = p.gr_qty * m.material_cost_cents[gr_mp // n_plants]
    at_po = p.gr_qty * p.item_price[p.gr_item]
    diff = at_po - at_standard
    doc, gday = n.acc_gr[p.gr_doc], p.grd_day[p.gr_doc]
    lines.add(doc, gday, 3 * p.gr_no, "INVENTORY", debit=at_standard, material=gr_material)
    lines.add(doc, gday, 3 * p.gr_no + 1, "GRIR", credit=at_po, material=gr_material)
    lines.add(doc, gday, 3 * p.gr_no + 2, "PRICE_DIFFERENCE", debit=np.maximum(diff, 0),
              credit=np.maximum(-diff, 0), material=gr_material)
    _billing_lines(ctx, b, lines, item_no)
    _payment_lines(ctx, b, lines)
    _receipt_lines(ctx, lines)
    documents = _accounting_documents(ctx, b)
    return documents, lines.sources()


def _billing_lines(ctx: Context, b: Billing, lines: _Lines, item_no: np.ndarray) -> None:
    """AR / REVENUE per item / OUTPUT_TAX per code; reversed for cancellations and credits."""
    m, s, n = ctx.master, ctx.sales, ctx.numbers
    _, payer = _doc_customers(ctx, b)
    normal = b.bd_kind == INVOICE  # invoices post as is, the others reversed
    doc_day = b.bd_day
    ar = b.bd_gross
    lines.add(n.acc_billing, doc_day, 0, "AR", debit=np.where(normal, ar, 0),
              credit=np.where(normal, 0, ar), customer=Coded(payer, m.customer_id),
              derive=_BILLING_AR_LINE)
    order_item = s.ditem_item[b.bi_ditem]
    item_doc = b.bi_doc
    invoice = np.flatnonzero(normal[item_doc])  # derived on SQLite from the invoice items
    lines.add(n.acc_billing[item_doc[invoice]], doc_day[item_doc[invoice]],
              1 + item_no[invoice], "REVENUE", credit=b.bi_net[invoice],
              material=Coded(s.item_material[order_item[invoice]], m.material_id),
              derive=_INVOICE_REVENUE_LINE)
    other = np.flatnonzero(~normal[item_doc])  # cancellations and credit memos: reversed
    lines.add(n.acc_billing[item_doc[other]], doc_day[item_doc[other]], 1 + item_no[other],
              "REVENUE", debit=b.bi_net[other],
              material=Coded(s.item_material[order_item[other]], m.material_id))
    code = np.searchsorted(np.asarray(_TAX_CODES, dtype=object), ctx.tax_code[order_item])
    per_code = np.zeros((len(doc_day), len(_TAX_CODES)), dtype=np.int64)
    np.add.at(per_code, (item_doc, code), b.bi_tax)
    for c in range(len(_TAX_CODES)):
        tax = per_code[:, c]
        lines.add(n.acc_billing, doc_day, BIG + c, "OUTPUT_TAX",
                  debit=np.where(normal, 0, tax), credit=np.where(normal, tax, 0))


def _payment_lines(ctx: Context, b: Billing, lines: _Lines) -> None:
    m, n = ctx.master, ctx.numbers
    _, payer = _doc_customers(ctx, b)
    discount = np.bincount(b.pi_pay, weights=b.pi_discount, minlength=len(b.pay_day))
    lines.add(n.acc_payment, b.pay_day, 0, "BANK", debit=b.pay_amount)
    lines.add(n.acc_payment, b.pay_day, 1, "CASH_DISCOUNT_EXPENSE",
              debit=discount.astype(np.int64))
    rank = number_within(b.pi_pay) - 1
    doc, day = n.acc_payment[b.pi_pay], b.pay_day[b.pi_pay]
    amount = b.oi_amount[b.pi_item]
    customer = Coded(payer[b.oi_doc[b.pi_item]], m.customer_id)
    lines.add(doc, day, 2 + 2 * rank, "AR", debit=np.maximum(-amount, 0),
              credit=np.maximum(amount, 0), customer=customer)
    residual = pick(b.oi_amount, b.pi_residual, 0)
    lines.add(doc, day, 3 + 2 * rank, "AR", debit=residual, customer=customer)


def _receipt_lines(ctx: Context, lines: _Lines) -> None:
    m, p, n = ctx.master, ctx.purchasing, ctx.numbers
    item = p.iri_item
    doc, day = n.acc_ir[p.iri_doc], p.ir_day[p.iri_doc]
    grir = p.item_qty[item] * p.item_price[item]
    diff = p.iri_amount - grir
    lines.add(doc, day, 2 * p.iri_no, "GRIR", debit=grir)
    lines.add(doc, day, 2 * p.iri_no + 1, "PRICE_DIFFERENCE", debit=np.maximum(diff, 0),
              credit=np.maximum(-diff, 0))
    net = np.bincount(p.iri_doc, weights=p.iri_amount, minlength=len(p.ir_po)).astype(np.int64)
    lines.add(n.acc_ir, p.ir_day, BIG, "INPUT_TAX", debit=p.ir_tax)
    lines.add(n.acc_ir, p.ir_day, BIG + 1, "VENDOR", credit=net + p.ir_tax,
              vendor=m.vendor_id[p.po_vendor[p.ir_po]])


def _accounting_documents(ctx: Context, b: Billing) -> list[Rows]:
    """One source per kind of document: goods issue, goods receipt, billing, payment, invoice
    receipt (WL, WE, RV, DZ, RE)."""
    s, n, p = ctx.sales, ctx.numbers, ctx.purchasing
    issued = np.flatnonzero(s.delivery_gi_day >= 0)
    currency = np.asarray([c[0] for c in CURRENCIES], dtype=object)
    reversal = pick(n.acc_billing, np.where(b.bd_kind == CANCELLATION, b.bd_ref, -1), None)
    kinds: list[tuple[np.ndarray, np.ndarray, str, np.ndarray | Const, str, np.ndarray,
                      np.ndarray | Const]] = [
        (n.acc_gi[issued], s.delivery_gi_day[issued], "WL", Const(COMPANY_CURRENCY),
         "material_document", n.gi_doc[issued], Const(None)),
        (n.acc_gr, p.grd_day, "WE", Const(COMPANY_CURRENCY), "material_document", n.gr_doc,
         Const(None)),
        (n.acc_billing, b.bd_day, "RV", currency[s.order_currency[b.bd_order]],
         "billing_document", n.billing_id, reversal),
        (n.acc_payment, b.pay_day, "DZ", currency[s.order_currency[b.bd_order[b.pay_doc]]],
         "payment", n.payment_id, Const(None)),
        (n.acc_ir, p.ir_day, "RE", Const(COMPANY_CURRENCY), "invoice_receipt", n.ir_id,
         Const(None)),
    ]
    return [rows("accounting_document", day, (doc,), ("posting_date", "document_date"),
                 acc_doc_id=doc, doc_type=Const(doc_type), posting_date=day, document_date=day,
                 currency=cur, reference_type=Const(ref_type), reference_id=ref_id,
                 reversal_of=reversal_of)
            for doc, day, doc_type, cur, ref_type, ref_id, reversal_of in kinds]
