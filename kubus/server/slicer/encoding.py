"""JSON, JSON-lines and CSV encoding of Slicer responses (slicer-api.md §1.1).

* ``Decimal`` becomes a number: an int when it has no fractional digits (``SUM`` over integer
  columns comes back as ``Decimal('1116860')`` from some drivers and 1.1 showed ``1116860``),
  else a float. NaN and infinities (float or Decimal) become ``null``: bare ``NaN`` is not JSON.
* ``date``/``datetime``/``time`` become ``isoformat()`` strings; objects with ``to_dict()`` are
  serialised through it; other iterables become arrays.
* Compact output uses Python's default separators (``", "``, ``": "``) as 1.1 did; pretty
  output is indent 4. Non-ASCII is escaped (``ensure_ascii``), as in 1.1.
* CSV uses the ``csv.excel`` dialect (CRLF, minimal quoting); booleans are ``True``/``False``,
  NULL is an empty field, and no NUL byte is ever written (defect 7 FIX).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from itertools import islice
from typing import Any
from uuid import UUID


def number(value: Decimal) -> int | float | None:
    """A Decimal as JSON wants it: int when integral (``Decimal('5')``), else float."""
    if not value.is_finite():
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return int(value)
    return float(value)


def scalar(value: Any) -> Any:
    """One value made JSON-safe (containers are left to :func:`jsonable`)."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Enum):
        return scalar(value.value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return value


def jsonable(value: Any) -> Any:
    """A deep copy of ``value`` made only of JSON types."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    value = scalar(value)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return jsonable(to_dict())
    if isinstance(value, Iterable):
        return [jsonable(v) for v in value]
    return str(value)


def record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A flat result row made JSON-safe: the fast path for cells, facts and members."""
    return {k: scalar(v) if not isinstance(v, (Mapping, list, tuple)) else jsonable(v)
            for k, v in row.items()}


def dumps(value: Any, *, pretty: bool = False) -> str:
    """Serialise JSON-safe ``value`` (see :func:`jsonable`) compactly or with indent 4."""
    return json.dumps(value, indent=4 if pretty else None, allow_nan=False)


def limited(rows: Iterable[Any], limit: int | None) -> Iterator[Any]:
    """At most ``limit`` items (defect 1 FIX: exactly the limit, not limit + 1)."""
    if limit is None or limit <= 0:
        return iter(rows)
    return islice(rows, limit)


def iter_json_array(rows: Iterable[Mapping[str, Any]], *, pretty: bool = False
                    ) -> Iterator[str]:
    """Stream an array of records, byte-identical to ``dumps(list(rows))``."""
    first = True
    if pretty:
        for row in rows:
            text = json.dumps(record(row), indent=4, allow_nan=False).replace("\n", "\n    ")
            yield ("[\n    " if first else ",\n    ") + text
            first = False
        yield "[]" if first else "\n]"
        return
    for row in rows:
        yield ("[" if first else ", ") + json.dumps(record(row), allow_nan=False)
        first = False
    yield "[]" if first else "]"


def iter_json_lines(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """One compact JSON object and ``\\n`` per record (``format=json_lines``)."""
    for row in rows:
        yield json.dumps(record(row), allow_nan=False) + "\n"


def csv_value(value: Any) -> Any:
    """A value as 1.1 wrote it to CSV, minus the NUL bytes."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, Decimal):
        converted = number(value)
        return "" if converted is None else converted
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(jsonable(value))
    return value


def iter_csv(header: Sequence[str] | None, rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Stream CSV text, one line at a time; ``header=None`` writes no header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect=csv.excel)

    def line(values: Iterable[Any]) -> str:
        writer.writerow([csv_value(v) for v in values])
        text = buffer.getvalue()
        # Rewind *and* truncate: truncating alone left the position past the end, which is
        # how 1.1 padded every later row with NUL bytes.
        buffer.seek(0)
        buffer.truncate(0)
        return text

    if header is not None:
        yield line(header)
    for row in rows:
        yield line(row)


__all__ = [
    "csv_value", "dumps", "iter_csv", "iter_json_array", "iter_json_lines", "jsonable",
    "limited", "number", "record", "scalar",
]
