"""Order lines in the text of an e-mail, fax or letter (``docs/channels.md``).

The format, one line each, case-insensitive, anywhere in the text::

    ORDER <material> <quantity> [<unit>] [by <YYYY-MM-DD>]
    REF <your reference>

``ORDER M1 100``, ``order M2 12.5 PC by 2024-03-12``. A decimal comma is accepted
(``12,5``). Other lines are ignored, so a greeting or a signature does no harm; an ``ORDER``
line that does not fit the format is an error (the message is quarantined with the line
quoted) rather than an order silently missing a line. Example::

    parse_order_lines("Hello,\\nORDER M1 100 by 2024-03-12\\nREF PO-77\\n")
    # OrderRequest(lines=(OrderLine("M1", Decimal("100"), date(2024, 3, 12)),), reference="PO-77")
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from kubus.channels.base import OrderLine, OrderRequest, ParseError

__all__ = ["MAX_LINES", "parse_order_lines"]

MAX_LINES = 99
_ORDER = re.compile(r"^\s*ORDER\b(?P<rest>.*)$", re.IGNORECASE | re.MULTILINE)
_LINE = re.compile(
    r"^\s+(?P<material>[A-Za-z0-9][A-Za-z0-9._/-]{0,17})\s+(?P<qty>\d{1,10}(?:[.,]\d{1,3})?)"
    r"(?:\s+(?P<unit>[A-Za-z]{1,3}))??(?:\s+BY\s+(?P<date>\d{4}-\d{2}-\d{2}))?\s*$",
    re.IGNORECASE)
_REF = re.compile(r"^\s*REF\s+(?P<ref>\S.{0,34}?)\s*$", re.IGNORECASE | re.MULTILINE)


def parse_order_lines(text: str) -> OrderRequest | None:
    """The order in ``text``, ``None`` when it has no ``ORDER`` line; :class:`ParseError` for
    an ``ORDER`` line that does not fit the format."""
    lines: list[OrderLine] = []
    for match in _ORDER.finditer(text):
        rest = match.group("rest")
        fields = _LINE.match(rest)
        if fields is None:
            shown = match.group(0).strip()[:60]
            raise ParseError(f"order line not understood: {shown!r} (expected "
                             "'ORDER <material> <quantity> [by YYYY-MM-DD]')")
        try:
            qty = Decimal(fields.group("qty").replace(",", "."))
            wanted = (date.fromisoformat(fields.group("date"))
                      if fields.group("date") else None)
        except (InvalidOperation, ValueError):
            raise ParseError(f"order line has a bad quantity or date: "
                             f"{match.group(0).strip()[:60]!r}") from None
        if qty <= 0:
            raise ParseError(f"order line quantity must be positive: "
                             f"{match.group(0).strip()[:60]!r}")
        lines.append(OrderLine(fields.group("material").upper(), qty, wanted))
    if not lines:
        return None
    if len(lines) > MAX_LINES:
        raise ParseError(f"an order has at most {MAX_LINES} lines, got {len(lines)}")
    ref = _REF.search(text)
    dates = [line.requested_date for line in lines if line.requested_date is not None]
    return OrderRequest(tuple(lines), ref.group("ref") if ref else "",
                        min(dates) if dates else None)
