"""The OLTP reads of a load: one SQL statement per document kind, filtered by document ids.

Each statement reads the *current* state of whole documents (every item), so a load can
delete a document's fact rows and insert them again (DSO overwrite by semantic key). The
``{where}`` slot takes a filter on the document id: ``1=1`` for a full load, chunked ``IN``
lists of integer literals for a delta (integers only, so inlining them is safe, and one
statement per chunk instead of one per document). Amounts come as ``DOUBLE PRECISION``
(SQLite keeps NUMERIC values as integers or reals; one Arrow type per column needs a cast).
The SQL runs unchanged on SQLite and PostgreSQL.

Example::

    read_docs(reader, ORDER_ITEMS, "i.order_id", [4711])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kubus.etl.sources import Reader

__all__ = ["nullable_text", "read_docs"]

CHUNK = 20_000


def _f(column: str, alias: str | None = None) -> str:
    return f"CAST({column} AS DOUBLE PRECISION) AS {alias or column.rsplit('.', maxsplit=1)[-1]}"


def nullable_text(column: str, alias: str | None = None, *, width: int = 20) -> str:
    """A nullable text or date column as text, ``''`` for NULL: ADBC infers a column's Arrow
    type from its first values, and a NULL there would make it an integer column."""
    name = alias or column.rsplit(".", maxsplit=1)[-1]
    return f"COALESCE(CAST({column} AS VARCHAR({width})), '') AS {name}"


_t = nullable_text


def _signed(good: str, reverse: str) -> str:
    return (f"SUM(CASE m.movement_type WHEN '{good}' THEN CAST(m.quantity AS DOUBLE PRECISION) "
            f"WHEN '{reverse}' THEN -CAST(m.quantity AS DOUBLE PRECISION) ELSE 0 END)")


ORDER_ITEMS = f"""
SELECT i.order_id, i.item_no, h.order_date, i.requested_delivery_date AS requested_date,
       h.sold_to, i.material_id, i.plant, h.channel, h.currency, {_f('i.quantity')},
       {_f('i.net_value')},
       CASE WHEN COALESCE(i.rejection_reason, '') = '' THEN 0 ELSE 1 END AS rejected
FROM sales_order_item i JOIN sales_order h ON h.order_id = i.order_id WHERE {{where}}"""

ORDER_CONFIRMED = """
SELECT s.order_id, s.item_no, SUM(CAST(s.confirmed_qty AS DOUBLE PRECISION)) AS confirmed_qty
FROM sales_order_schedule_line s WHERE {where} GROUP BY s.order_id, s.item_no"""

# Goods issued per order item, through the delivery (delivery_item and material_document_item
# are both indexed that way): 601 issues, 602 reverses.
ORDER_ISSUED = f"""
SELECT d.order_id, d.order_item AS item_no, {_signed('601', '602')} AS issued_qty
FROM delivery_item d JOIN material_document_item m
  ON m.delivery_id = d.delivery_id AND m.delivery_item = d.item_no
WHERE {{where}} AND m.movement_type IN ('601', '602') GROUP BY d.order_id, d.order_item"""

DELIVERY_ITEMS = f"""
SELECT d.delivery_id, d.item_no, d.order_id, d.order_item, h.created_on, h.planned_gi_date,
       h.delivery_date, h.sold_to, {_t('h.route')}, d.material_id, d.plant,
       {_f('d.quantity')}
FROM delivery_item d JOIN delivery h ON h.delivery_id = d.delivery_id WHERE {{where}}"""

# The order and requested dates of delivered order items (read by order id and merged: a
# per-row join from delivery items to orders is several times slower in SQLite).
ORDER_DATES = """
SELECT i.order_id, i.item_no AS order_item, h.order_date,
       i.requested_delivery_date AS requested_date
FROM sales_order_item i JOIN sales_order h ON h.order_id = i.order_id WHERE {where}"""

DELIVERY_ISSUED = f"""
SELECT m.delivery_id, m.delivery_item AS item_no, {_signed('601', '602')} AS issued_qty,
       {_t("MAX(CASE WHEN m.movement_type = '601' THEN md.posting_date END)", 'gi_date')}
FROM material_document_item m JOIN material_document md ON md.mat_doc_id = m.mat_doc_id
WHERE {{where}} AND m.movement_type IN ('601', '602') GROUP BY m.delivery_id, m.delivery_item"""

BILLING_ITEMS = f"""
SELECT b.billing_id, b.item_no, h.billing_date, h.sold_to, b.material_id, h.billing_type,
       h.category, h.currency, {_f('b.quantity')}, {_f('b.net_value')}, {_f('b.tax_amount')},
       {_f('b.cost')}
FROM billing_item b JOIN billing_document h ON h.billing_id = b.billing_id WHERE {{where}}"""

OPEN_ITEMS = f"""
SELECT o.open_item_id, o.kind, {_t('o.customer_id')}, {_t('o.vendor_id')}, o.posting_date,
       o.due_date, {_t('o.cleared_on')}, o.currency, {_f('o.amount')}, {_t('b.billing_date')},
       {_t('(SELECT MIN(so.order_date) FROM billing_item bi JOIN sales_order so '
           'ON so.order_id = bi.order_id WHERE bi.billing_id = o.billing_id)', 'order_date')}
FROM open_item o LEFT JOIN billing_document b ON b.billing_id = o.billing_id WHERE {{where}}"""

PAYMENTS = f"""
SELECT pi.payment_id, pi.open_item_id, p.payment_date, p.payer, p.currency,
       {_f('pi.amount')}, {_f('pi.discount')}
FROM payment_item pi JOIN payment p ON p.payment_id = pi.payment_id WHERE {{where}}"""

MOVEMENTS = f"""
SELECT m.mat_doc_id, m.item_no, md.posting_date, m.material_id, m.plant, m.movement_type,
       m.debit_credit, {_f('m.quantity')}, {_f('m.amount')}, m.currency, m.po_id,
       m.po_item, {_t('po.vendor_id')},
       {_t('(SELECT MAX(s.delivery_date) FROM purchase_order_schedule_line s '
           'WHERE s.po_id = m.po_id AND s.item_no = m.po_item)', 'po_delivery_date')}
FROM material_document_item m JOIN material_document md ON md.mat_doc_id = m.mat_doc_id
LEFT JOIN purchase_order po ON po.po_id = m.po_id WHERE {{where}}"""

PO_ITEMS = f"""
SELECT i.po_id, i.item_no, h.po_date, h.vendor_id, i.material_id, i.plant, h.currency,
       {_f('i.quantity')}, {_f('i.net_value')},
       {_t('(SELECT MAX(s.delivery_date) FROM purchase_order_schedule_line s '
           'WHERE s.po_id = i.po_id AND s.item_no = i.item_no)', 'delivery_date')}
FROM purchase_order_item i JOIN purchase_order h ON h.po_id = i.po_id WHERE {{where}}"""

PO_RECEIVED = f"""
SELECT m.po_id, m.po_item AS item_no, {_signed('101', '102')} AS received_qty,
       {_t("MAX(CASE WHEN m.movement_type = '101' THEN md.posting_date END)",
           'last_receipt_date')}
FROM material_document_item m JOIN material_document md ON md.mat_doc_id = m.mat_doc_id
WHERE {{where}} AND m.movement_type IN ('101', '102') GROUP BY m.po_id, m.po_item"""

ATP_CHECKS = f"""
SELECT check_id, check_date, requested_date, {_t('confirmed_date')}, {_t('customer_id')},
       material_id, plant,
       rule, outcome, {_f('requested_qty')}, {_f('confirmed_qty')}, delay_days
FROM atp_check WHERE {{where}}"""

CUSTOMERS = f"""
SELECT customer_id, name, city, postal_code, region, country, {_t('vat_number')},
       {_t('email', 'email')}, {_t('phone')}, {_t('created_on')} FROM customer WHERE {{where}}"""
MATERIALS = """
SELECT material_id, description, category, subcategory, base_unit FROM material
WHERE {where}"""
PLANTS = "SELECT plant, name, country FROM plant WHERE {where}"
ROUTES = f"SELECT route, description, {_f('transit_days')} FROM route WHERE {{where}}"
VENDORS = "SELECT vendor_id, name, country FROM vendor WHERE {where}"
RATES = f"SELECT from_currency, to_currency, valid_from, {_f('rate')} FROM exchange_rate"

# Which documents a changed material document / delivery touches.
MOVEMENT_LINKS = """
SELECT DISTINCT m.mat_doc_id, m.delivery_id, m.order_id, m.po_id
FROM material_document_item m WHERE {where}"""
DELIVERY_ORDERS = """
SELECT DISTINCT d.delivery_id, d.order_id FROM delivery_item d WHERE {where}"""


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def read_docs(reader: Reader, sql: str, column: str,
              ids: Sequence[object] | np.ndarray | None) -> pd.DataFrame:
    """Rows of ``sql`` whose ``column`` is in ``ids`` (every row when ``ids`` is ``None``)."""
    if ids is None:
        return reader.frame(sql.format(where="1=1"))
    values = pd.unique(pd.Series(list(ids))).tolist() if len(ids) else []
    if not values:
        return reader.frame(sql.format(where="1=0"))
    parts = []
    for start in range(0, len(values), CHUNK):
        chunk = values[start:start + CHUNK]
        if isinstance(chunk[0], str):
            listed = ", ".join(_literal(v) for v in chunk)
        else:
            listed = ", ".join(str(int(v)) for v in chunk)
        parts.append(reader.frame(sql.format(where=f"{column} IN ({listed})")))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
