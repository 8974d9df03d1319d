"""Accounting documents (SAP BKPF/BSEG): balanced debit/credit lines on named accounts.

Enough financial accounting to check the postings of O2C-1 and P2P-1: goods issue posts
``Dr COGS / Cr INVENTORY``, billing ``Dr AR / Cr REVENUE / Cr OUTPUT_TAX``, an incoming payment
``Dr BANK (+ Dr CASH_DISCOUNT_EXPENSE) / Cr AR``, a goods receipt ``Dr INVENTORY / Cr GRIR``, an
invoice receipt ``Dr GRIR (+ PRICE_DIFFERENCE, + INPUT_TAX) / Cr VENDOR``. Example::

    post(unit, AccountingEntry(doc_id, "WL", date(2024, 3, 12), "EUR", "material_document",
                               4900000001, (Line(Account.COGS, debit=Decimal("480.00")),
                                            Line(Account.INVENTORY, credit=Decimal("480.00")))))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa

from kubus.oltp.amounts import ZERO
from kubus.oltp.schema import accounting_document, accounting_line
from kubus.oltp.store import Bind, read_only
from kubus.oltp.unit_of_work import UnitOfWork

__all__ = ["Account", "AccountingEntry", "Line", "lines_of", "post", "reversed_lines"]


class Account(StrEnum):
    """The general-ledger accounts the services post to."""

    AR = "AR"
    REVENUE = "REVENUE"
    OUTPUT_TAX = "OUTPUT_TAX"
    INPUT_TAX = "INPUT_TAX"
    COGS = "COGS"
    INVENTORY = "INVENTORY"
    GRIR = "GRIR"
    PRICE_DIFFERENCE = "PRICE_DIFFERENCE"
    VENDOR = "VENDOR"
    BANK = "BANK"
    CASH_DISCOUNT_EXPENSE = "CASH_DISCOUNT_EXPENSE"
    INITIAL_STOCK_OFFSET = "INITIAL_STOCK_OFFSET"


@dataclass(frozen=True)
class Line:
    """One debit or credit line."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    customer_id: str | None = None
    vendor_id: str | None = None
    material_id: str | None = None


@dataclass(frozen=True)
class AccountingEntry:
    """An accounting document to post; its lines must balance."""

    acc_doc_id: int
    doc_type: str
    posting_date: date
    currency: str
    reference_type: str
    reference_id: int
    lines: tuple[Line, ...]
    reversal_of: int | None = None


def post(unit: UnitOfWork, entry: AccountingEntry) -> None:
    """Insert the document and its non-zero lines; a ``ValueError`` if they do not balance."""
    lines = [line for line in entry.lines if line.debit or line.credit]
    debit = sum((line.debit for line in lines), ZERO)
    credit = sum((line.credit for line in lines), ZERO)
    if debit != credit:  # a programming error, never the client's
        raise ValueError(f"accounting document {entry.acc_doc_id} does not balance: "
                         f"debit {debit} != credit {credit}")
    unit.insert(accounting_document, [{
        "acc_doc_id": entry.acc_doc_id, "doc_type": entry.doc_type,
        "posting_date": entry.posting_date, "document_date": entry.posting_date,
        "currency": entry.currency, "reference_type": entry.reference_type,
        "reference_id": entry.reference_id, "reversal_of": entry.reversal_of}])
    unit.insert(accounting_line, [
        {"acc_doc_id": entry.acc_doc_id, "line_no": n, "account": str(line.account),
         "debit": line.debit, "credit": line.credit, "customer_id": line.customer_id,
         "vendor_id": line.vendor_id, "material_id": line.material_id}
        for n, line in enumerate(lines, start=1)])


def reversed_lines(lines: Sequence[Line]) -> tuple[Line, ...]:
    """The lines with debit and credit swapped (a reversal or cancellation)."""
    return tuple(replace(line, debit=line.credit, credit=line.debit) for line in lines)


def lines_of(bind: Bind, acc_doc_id: int) -> list[Line]:
    """The lines of one accounting document, in line order."""
    t = accounting_line
    query = sa.select(t).where(t.c.acc_doc_id == acc_doc_id).order_by(t.c.line_no)
    with read_only(bind) as conn:
        return [Line(r.account, r.debit, r.credit, r.customer_id, r.vendor_id, r.material_id)
                for r in conn.execute(query)]
