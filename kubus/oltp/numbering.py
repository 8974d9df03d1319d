"""Number ranges: document numbers per object type, allocated inside the caller's transaction.

Each OLTP database (one source system) has its own ranges, so the same code can run as N
independent systems whose numbers overlap; the warehouse keys documents by (system, number).
A range is a row ``(object_type, next_number, last_number)``; allocating ``n`` numbers bumps
``next_number`` with ``UPDATE ... RETURNING``, which locks the row until the transaction ends,
so numbers are unique and a rolled-back transaction gives its numbers back. Ranges are locked
in sorted order (:func:`allocate` takes every type a service needs in one call), so two
services never wait for each other in a cycle.

Example::

    set_number_range(conn, "sales_order", 4711)     # the O2C-1 worked example
    allocate(conn, {"sales_order": 1})              # {"sales_order": [4711]}
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from kubus.oltp.errors import Conflict
from kubus.oltp.prepared import Prepared
from kubus.oltp.schema import number_range

__all__ = ["DEFAULT_RANGES", "allocate", "allocate_one", "set_number_range"]

#: object type -> (first number, last number). Seeded by the initial migration.
DEFAULT_RANGES: dict[str, tuple[int, int]] = {
    "sales_order": (1, 79_999_999),
    "delivery": (80_000_000, 89_999_999),
    "billing_document": (90_000_000, 99_999_999),
    "accounting_document": (100_000_000, 199_999_999),
    "payment": (1_400_000_000, 1_499_999_999),
    "open_item": (1, 9_999_999_999),
    "material_document": (4_900_000_000, 4_999_999_999),
    "purchase_requisition": (10_000_000, 19_999_999),
    "purchase_order": (4_500_000_000, 4_599_999_999),
    "invoice_receipt": (5_100_000_000, 5_199_999_999),
}

_BUMP = Prepared(
    sa.update(number_range)
    .where(number_range.c.object_type == sa.bindparam("b_object_type"))
    .values(next_number=number_range.c.next_number + sa.bindparam("n", type_=sa.BigInteger))
    .returning(number_range.c.next_number, number_range.c.last_number)
)


def allocate(conn: sa.Connection, needs: Mapping[str, int]) -> dict[str, list[int]]:
    """``needs[t]`` consecutive numbers of each object type ``t``, locking ranges in key order."""
    result: dict[str, list[int]] = {}
    for object_type in sorted(needs):
        n = needs[object_type]
        if n <= 0:
            result[object_type] = []
            continue
        rows = _BUMP.execute(conn, {"b_object_type": object_type, "n": n})
        row = rows[0] if rows else None
        if row is None:
            raise ValueError(f"no number range for object type {object_type!r}")
        after, last = int(row[0]), int(row[1])
        if after - 1 > last:
            raise Conflict("number_range_exhausted",
                           f"number range {object_type!r} is exhausted (last number {last})",
                           object_type=object_type)
        result[object_type] = list(range(after - n, after))
    return result


def allocate_one(conn: sa.Connection, object_type: str) -> int:
    """One number of ``object_type``."""
    return allocate(conn, {object_type: 1})[object_type][0]


def set_number_range(conn: sa.Connection, object_type: str, next_number: int,
                     last_number: int | None = None) -> None:
    """Create or reset the range of ``object_type`` so the next number is ``next_number``."""
    if last_number is None:
        last_number = DEFAULT_RANGES.get(object_type, (0, 9_999_999_999))[1]
    if next_number < 0 or last_number < next_number:
        raise ValueError(f"bad number range {next_number}..{last_number} for {object_type!r}")
    updated = conn.execute(
        sa.update(number_range).where(number_range.c.object_type == object_type)
        .values(next_number=next_number, last_number=last_number)).rowcount
    if not updated:
        conn.execute(number_range.insert().values(
            object_type=object_type, next_number=next_number, last_number=last_number))
