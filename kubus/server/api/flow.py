"""The document flow (VBFA) of any document, and the change log the warehouse loads from.

``GET /document-flow/{category}/{number}`` takes the SAP category letter (``C``, ``J``, ``R``,
``h``, ``M``, ``N``, ``O``, ``S``, ``+``, ``V``, ``0``, ``Q``) or a name (``sales-order``,
``delivery``, ``billing-document``, ``material-document``, ...). ``scope=direct`` (default)
shows the links from and to the document; ``scope=all`` follows them transitively (order ->
deliveries -> goods movements and invoices -> accounting documents ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

import sqlalchemy as sa

from kubus.oltp import schema as s
from kubus.oltp.changelog import changes_after, last_seq
from kubus.oltp.docflow import FlowRow, flow_of
from kubus.server.api.errors import ApiError
from kubus.server.api.operations import Call, Operation, Param
from kubus.server.api.rows import money_of, qty

__all__ = ["CATEGORY_NAMES", "OPERATIONS"]

TAG = "Document flow and changes"
MAX_NODES = 1000

#: URL names of the document categories.
CATEGORY_NAMES = {
    "sales-order": "C", "delivery": "J", "goods-movement": "R", "goods-issue-reversal": "h",
    "invoice": "M", "invoice-cancellation": "N", "credit-memo": "O",
    "credit-memo-cancellation": "S", "accounting-document": "+", "purchase-order": "V",
    "purchase-requisition": "0", "invoice-receipt": "Q",
}
#: Category -> (table, number column) of the documents of that category.
_DOCUMENTS: dict[str, tuple[sa.Table, str]] = {
    "C": (s.sales_order, "order_id"), "J": (s.delivery, "delivery_id"),
    "R": (s.material_document, "mat_doc_id"), "h": (s.material_document, "mat_doc_id"),
    "M": (s.billing_document, "billing_id"), "N": (s.billing_document, "billing_id"),
    "O": (s.billing_document, "billing_id"), "S": (s.billing_document, "billing_id"),
    "+": (s.accounting_document, "acc_doc_id"), "V": (s.purchase_order, "po_id"),
    "0": (s.purchase_requisition, "pr_id"), "Q": (s.invoice_receipt, "invoice_id"),
}


@dataclass(frozen=True)
class FlowLink:
    """A link of the document flow: the subsequent document was created from the preceding
    one (item 0 = header level), with quantity and value where they apply."""

    preceding_category: str
    preceding_doc: int
    preceding_item: int
    subsequent_category: str
    subsequent_doc: int
    subsequent_item: int
    quantity: Decimal | None
    value: Decimal | None
    movement_type: str | None


@dataclass(frozen=True)
class DocumentFlow:
    category: str
    document: int
    scope: Literal["direct", "all"]
    links: tuple[FlowLink, ...]


@dataclass(frozen=True)
class ChangeRecord:
    seq: int
    entity: str
    key: str
    operation: str
    changed_at: datetime


@dataclass(frozen=True)
class ChangeLog:
    """Committed changes after ``after``, oldest first: poll again with ``after=next_after``.
    ``last_seq`` is the newest committed sequence number."""

    changes: tuple[ChangeRecord, ...]
    next_after: int
    last_seq: int


def _category(conn: sa.Connection, given: str, number: int) -> str:
    """The category letter the URL means; 404 for an unknown category or document."""
    category = CATEGORY_NAMES.get(given, given)
    if given == "billing-document":
        category = conn.execute(sa.select(s.billing_document.c.category).where(
            s.billing_document.c.billing_id == number)).scalar() or "M"
    elif given == "material-document":
        movement = conn.execute(sa.select(s.material_document.c.movement_type).where(
            s.material_document.c.mat_doc_id == number)).scalar()
        category = "h" if movement == "602" else "R"
    if category not in _DOCUMENTS:
        raise ApiError(404, "unknown_category", f"no document category {given!r}; use one of "
                       f"{', '.join(_DOCUMENTS)} or {', '.join(CATEGORY_NAMES)}",
                       [{"category": given}])
    table, column = _DOCUMENTS[category]
    condition = table.c[column] == number
    if "category" in table.c:
        condition = sa.and_(condition, table.c.category == category)
    if conn.execute(sa.select(sa.literal(1)).where(condition)).first() is None:
        raise ApiError(404, "unknown_document", f"no document {number} of category "
                       f"{category}", [{"category": category, "document": number}])
    return category


def _link(row: FlowRow) -> FlowLink:
    return FlowLink(row.preceding_category, row.preceding_doc, row.preceding_item,
                    row.subsequent_category, row.subsequent_doc, row.subsequent_item,
                    None if row.quantity is None else qty(row.quantity),
                    None if row.value is None else money_of(row.value), row.movement_type)


def _document_flow(call: Call) -> DocumentFlow:
    number: int = call.path["number"]
    category = _category(call.conn, call.path["category"], number)
    scope = call.query.get("scope") or "direct"
    seen = {(category, number)}
    queue = [(category, number)]
    links: dict[tuple[object, ...], FlowLink] = {}
    while queue:
        node = queue.pop(0)
        for row in flow_of(call.conn, node[0], node[1]):
            link = _link(row)
            key = (link.preceding_category, link.preceding_doc, link.preceding_item,
                   link.subsequent_category, link.subsequent_doc, link.subsequent_item)
            links[key] = link
            if scope != "all":
                continue
            for other in ((link.preceding_category, link.preceding_doc),
                          (link.subsequent_category, link.subsequent_doc)):
                if other not in seen and len(seen) < MAX_NODES:
                    seen.add(other)
                    queue.append(other)
    ordered = sorted(links.values(), key=lambda f: (
        f.preceding_doc, f.preceding_item, f.subsequent_category, f.subsequent_doc,
        f.subsequent_item))
    return DocumentFlow(category, number, "all" if scope == "all" else "direct",
                        tuple(ordered))


def _changes(call: Call) -> ChangeLog:
    after: int = call.query["after"]
    records = tuple(ChangeRecord(r.seq, r.entity, r.key, r.operation, r.changed_at)
                    for r in changes_after(call.conn, after, call.query["limit"]))
    return ChangeLog(records, records[-1].seq if records else after, last_seq(call.conn))


OPERATIONS = (
    Operation("GET", "/document-flow/{category}/{number}", "getDocumentFlow",
              "The document flow of a document", TAG, _document_flow, DocumentFlow,
              params=(Param("category", str, "Category letter (C, J, R, h, M, N, O, S, +, V, "
                            "0, Q) or name (sales-order, delivery, material-document, "
                            "billing-document, purchase-order, ...).", where="path"),
                      Param("number", int, "Document number", where="path"),
                      Param("scope", str, "direct: the links from and to the document; all: "
                            "the whole flow it belongs to.", enum=("direct", "all"),
                            default="direct")),
              errors=(404,)),
    Operation("GET", "/changes", "listChanges", "The change log, after a sequence number",
              TAG, _changes, ChangeLog, params=(
                  Param("after", int, "Return changes with a higher sequence number.",
                        default=0, minimum=0),
                  Param("limit", int, "At most this many changes (1 to 10000).",
                        default=1000, minimum=1, maximum=10_000))),
)
