"""The document flow (SAP VBFA): which document was created from which, with quantity and value.

A row links (preceding category, document, item) to (subsequent category, document, item).
Categories are the SAP SD document categories (VBTYP) where SAP has one, plus two for MM
documents that VBFA does not hold. Header-level links (a billing document to its accounting
document) use item 0. Example (O2C-1)::

    flow_of(engine, Category.ORDER, 4711)
    # [FlowRow(C 4711/10 -> J 80017/10, quantity 60), FlowRow(C 4711/10 -> J 80018/10, 40), ...]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa

from kubus.oltp.schema import document_flow
from kubus.oltp.store import Bind, read_only
from kubus.oltp.unit_of_work import UnitOfWork

__all__ = ["Category", "FlowRow", "add_flows", "flow_of"]


class Category(StrEnum):
    """Document categories (VBTYP letters; ``0`` and ``Q`` are Kubus's for MM documents)."""

    ORDER = "C"
    DELIVERY = "J"
    GOODS_MOVEMENT = "R"
    GOODS_ISSUE_CANCELLATION = "h"
    INVOICE = "M"
    INVOICE_CANCELLATION = "N"
    CREDIT_MEMO = "O"
    CREDIT_MEMO_CANCELLATION = "S"
    ACCOUNTING = "+"
    PURCHASE_ORDER = "V"
    PURCHASE_REQUISITION = "0"
    INVOICE_RECEIPT = "Q"


@dataclass(frozen=True)
class FlowRow:
    """One link of the document flow."""

    preceding_category: str
    preceding_doc: int
    preceding_item: int
    subsequent_category: str
    subsequent_doc: int
    subsequent_item: int
    quantity: Decimal | None = None
    value: Decimal | None = None
    movement_type: str | None = None

    def __str__(self) -> str:
        return (f"{self.preceding_category} {self.preceding_doc}/{self.preceding_item} -> "
                f"{self.subsequent_category} {self.subsequent_doc}/{self.subsequent_item}")


def add_flows(unit: UnitOfWork, rows: Sequence[FlowRow], created_on: date) -> None:
    """Insert ``rows`` (and their change-log rows) in the unit's transaction."""
    if rows:
        unit.insert(document_flow, [
            {"preceding_category": str(r.preceding_category), "preceding_doc": r.preceding_doc,
             "preceding_item": r.preceding_item,
             "subsequent_category": str(r.subsequent_category),
             "subsequent_doc": r.subsequent_doc, "subsequent_item": r.subsequent_item,
             "quantity": r.quantity, "value": r.value, "movement_type": r.movement_type,
             "created_on": created_on}
            for r in rows])


def flow_of(bind: Bind, category: str, doc: int, *, direction: str = "both") -> list[FlowRow]:
    """Links from (``subsequent``), to (``preceding``) or both ways of one document."""
    t = document_flow
    after = sa.and_(t.c.preceding_category == str(category), t.c.preceding_doc == doc)
    before = sa.and_(t.c.subsequent_category == str(category), t.c.subsequent_doc == doc)
    condition = {"subsequent": after, "preceding": before, "both": sa.or_(after, before)}
    query = sa.select(t).where(condition[direction]).order_by(
        t.c.preceding_doc, t.c.preceding_item, t.c.subsequent_doc, t.c.subsequent_item,
        t.c.subsequent_category)
    with read_only(bind) as conn:
        return [FlowRow(r.preceding_category, r.preceding_doc, r.preceding_item,
                        r.subsequent_category, r.subsequent_doc, r.subsequent_item,
                        r.quantity, r.value, r.movement_type)
                for r in conn.execute(query)]
