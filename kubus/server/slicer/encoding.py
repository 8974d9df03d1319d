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


_COMPACT = json.JSONEncoder(allow_nan=False, default=jsonable)
_PRETTY = json.JSONEncoder(indent=4, allow_nan=False, default=jsonable)


def _str_keys(value: Any) -> bool:
    """Whether every dict in ``value`` has only str keys (json.dumps writes ``True`` as
    ``"true"``, :func:`jsonable` as ``"True"``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str:
                return False
            if isinstance(item, (dict, list, tuple)) and not _str_keys(item):
                return False
    elif isinstance(value, (list, tuple)):
        for item in value:
            if isinstance(item, (dict, list, tuple)) and not _str_keys(item):
                return False
    return True


def dumps_jsonable(value: Any, *, pretty: bool = False) -> str:
    """``dumps(jsonable(value))`` without copying ``value`` first: the encoder converts what
    JSON lacks through :func:`jsonable`, and anything it would write differently (NaN and
    infinities, keys that are not strings) takes the copying path."""
    if _str_keys(value):
        try:
            return (_PRETTY if pretty else _COMPACT).encode(value)
        except ValueError:  # NaN or an infinity: jsonable makes them null
            pass
    return dumps(jsonable(value), pretty=pretty)


def limited(rows: Iterable[Any], limit: int | None) -> Iterator[Any]:
    """At most ``limit`` items (defect 1 FIX: exactly the limit, not limit + 1)."""
    if limit is None or limit <= 0:
        return iter(rows)
    return islice(rows, limit)


#: Records encoded per chunk of a streamed body: one encoder call and one HTTP chunk for a
#: typical page instead of one per record.
BATCH = 500


def _batches(rows: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _encode_records(encoder: json.JSONEncoder, records: Any) -> str:
    """``encoder.encode`` of records made JSON-safe by :func:`record`, without building the
    copies when the encoder's :func:`jsonable` hook does the same (see :func:`dumps_jsonable`)."""
    if _str_keys(records):
        try:
            return encoder.encode(records)
        except ValueError:  # NaN or an infinity: record makes them null
            pass
    if isinstance(records, list):
        return encoder.encode([record(row) for row in records])
    return encoder.encode(record(records))


def iter_json_array(rows: Iterable[Mapping[str, Any]], *, pretty: bool = False
                    ) -> Iterator[str]:
    """Stream an array of records, byte-identical to ``dumps(list(rows))``, a batch of
    records per chunk."""
    encoder = _PRETTY if pretty else _COMPACT
    opening, separator, closing = ("[\n    ", ",\n    ", "\n]") if pretty else ("[", ", ", "]")
    first = True
    for batch in _batches(rows):
        # The batch encoded as an array, brackets cut: its records joined by ``separator``.
        text = _encode_records(encoder, batch)
        yield (opening if first else separator) + text[len(opening):-len(closing)]
        first = False
    yield "[]" if first else closing


def iter_json_lines(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """One compact JSON object and ``\\n`` per record (``format=json_lines``)."""
    for batch in _batches(rows):
        yield "".join([_encode_records(_COMPACT, row) + "\n" for row in batch])


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
    for batch in _batches(rows):
        yield "".join([line(row) for row in batch])


__all__ = [
    "csv_value", "dumps", "dumps_jsonable", "iter_csv", "iter_json_array", "iter_json_lines",
    "jsonable", "limited", "number", "record", "scalar",
]
