"""Response values as JSON: dataclasses become objects, decimals strings, dates ISO strings.

Money and quantities are decimal strings with their column's scale (``"892.50"``,
``"60.000"``), so no client ever parses a binary float. Example::

    to_jsonable(ScheduleLine(1, date(2024, 3, 12), Decimal("100.000"), ...))
    # {"line_no": 1, "delivery_date": "2024-03-12", "requested_qty": "100.000", ...}
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """``value`` made of JSON types only."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(value: Any) -> str:
    """Compact JSON text of ``value``."""
    return json.dumps(to_jsonable(value), ensure_ascii=False, separators=(",", ":"))
