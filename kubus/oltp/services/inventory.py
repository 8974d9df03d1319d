"""Stock postings outside purchasing and sales: initial entry (561) and transfer postings
between unrestricted, quality-inspection and blocked stock (321/322, 343/344).

Example::

    post_initial_stock(engine, InitialStockInput((StockEntry("M1", "1000", "0001",
                                                             Decimal(100)),)),
                       posting_date=date(2024, 3, 1))
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kubus.oltp.accounting import Account, AccountingEntry, Line, post
from kubus.oltp.amounts import ZERO, check_date, check_quantity, money
from kubus.oltp.errors import BadRequest
from kubus.oltp.numbering import allocate
from kubus.oltp.schema import material_document, material_document_item
from kubus.oltp.services._common import company_currency
from kubus.oltp.services.deliveries import GoodsMovementItem, GoodsMovementResult
from kubus.oltp.stock import lock_material_plants, plan_stock_changes, write_stock_changes
from kubus.oltp.store import Bind, transaction
from kubus.oltp.unit_of_work import UnitOfWork

__all__ = ["TRANSFER_MOVEMENTS", "InitialStockInput", "StockEntry", "TransferInput",
           "post_initial_stock", "transfer_stock"]

#: (from stock type, to stock type) -> movement type.
TRANSFER_MOVEMENTS = {("Q", "U"): "321", ("U", "Q"): "322", ("B", "U"): "343",
                      ("U", "B"): "344"}


@dataclass(frozen=True)
class StockEntry:
    material_id: str
    plant: str
    storage_location: str
    quantity: Decimal
    stock_type: str = "U"


@dataclass(frozen=True)
class InitialStockInput:
    entries: tuple[StockEntry, ...]


@dataclass(frozen=True)
class TransferInput:
    material_id: str
    plant: str
    storage_location: str
    quantity: Decimal
    from_type: str
    to_type: str


def post_initial_stock(bind: Bind, request: InitialStockInput, *,
                       posting_date: date) -> GoodsMovementResult:
    """Enter stock balances (561), valued at the standard price against an offset account."""
    check_date(posting_date, "posting_date")
    if not request.entries:
        raise BadRequest("no_items", "an initial stock entry needs at least one line")
    entries = []
    for n, entry in enumerate(request.entries, start=1):
        if entry.stock_type not in ("U", "Q", "B"):
            raise BadRequest("invalid_stock_type", f"entries[{n}]: stock type is U, Q or B")
        entries.append((entry, check_quantity(entry.quantity, f"entries[{n}].quantity")))
    with transaction(bind) as conn:
        locked = lock_material_plants(conn, {(e.material_id, e.plant) for e, _ in entries})
        deltas: dict[tuple[str, str, str, str], Decimal] = defaultdict(lambda: ZERO)
        for e, qty in entries:
            deltas[(e.material_id, e.plant, e.storage_location, e.stock_type)] += qty
        plan = plan_stock_changes(conn, deltas)
        numbers = allocate(conn, {"material_document": 1, "accounting_document": 1})
        mat_doc_id = numbers["material_document"][0]
        acc_doc_id = numbers["accounting_document"][0]
        currency = company_currency(conn)
        rows, lines, results = [], [], []
        for n, (e, qty) in enumerate(entries, start=1):
            amount = money(qty * locked[(e.material_id, e.plant)].standard_price)
            rows.append({"mat_doc_id": mat_doc_id, "item_no": n, "movement_type": "561",
                         "material_id": e.material_id, "plant": e.plant,
                         "storage_location": e.storage_location, "stock_type": e.stock_type,
                         "quantity": qty, "debit_credit": "S", "amount": amount,
                         "currency": currency})
            lines += [Line(Account.INVENTORY, debit=amount, material_id=e.material_id),
                      Line(Account.INITIAL_STOCK_OFFSET, credit=amount)]
            results.append(GoodsMovementItem(n, e.material_id, qty, amount))
        unit = UnitOfWork(conn)
        unit.insert(material_document, [{"mat_doc_id": mat_doc_id, "movement_type": "561",
                                         "posting_date": posting_date,
                                         "document_date": posting_date}])
        write_stock_changes(unit, plan)  # first: movement items refer to stock rows
        unit.insert(material_document_item, rows)
        post(unit, AccountingEntry(acc_doc_id, "WA", posting_date, currency,
                                   "material_document", mat_doc_id, tuple(lines)))
        unit.finish()
    return GoodsMovementResult(mat_doc_id, acc_doc_id, "561",
                               sum((r.amount for r in results), ZERO), tuple(results))


def transfer_stock(bind: Bind, request: TransferInput, *,
                   posting_date: date) -> GoodsMovementResult:
    """Move stock between stock types in one storage location. No value changes, so there is
    no accounting document: the result's ``acc_doc_id`` is 0."""
    check_date(posting_date, "posting_date")
    qty = check_quantity(request.quantity)
    movement = TRANSFER_MOVEMENTS.get((request.from_type, request.to_type))
    if movement is None:
        raise BadRequest("invalid_transfer", f"no transfer posting from {request.from_type} "
                         f"to {request.to_type}; allowed: {sorted(TRANSFER_MOVEMENTS)}")
    key = (request.material_id, request.plant, request.storage_location)
    with transaction(bind) as conn:
        locked = lock_material_plants(conn, [(request.material_id, request.plant)])
        plan = plan_stock_changes(conn, {(*key, request.from_type): -qty,
                                         (*key, request.to_type): qty})
        mat_doc_id = allocate(conn, {"material_document": 1})["material_document"][0]
        amount = money(qty * locked[(request.material_id, request.plant)].standard_price)
        unit = UnitOfWork(conn)
        unit.insert(material_document, [{"mat_doc_id": mat_doc_id, "movement_type": movement,
                                         "posting_date": posting_date,
                                         "document_date": posting_date}])
        base = {"mat_doc_id": mat_doc_id, "movement_type": movement,
                "material_id": request.material_id, "plant": request.plant,
                "storage_location": request.storage_location, "quantity": qty,
                "amount": amount, "currency": company_currency(conn)}
        write_stock_changes(unit, plan)
        unit.insert(material_document_item, [
            {**base, "item_no": 1, "stock_type": request.from_type, "debit_credit": "H"},
            {**base, "item_no": 2, "stock_type": request.to_type, "debit_credit": "S"}])
        unit.finish()
    return GoodsMovementResult(mat_doc_id, 0, movement, ZERO,
                               (GoodsMovementItem(1, request.material_id, qty, amount),))
