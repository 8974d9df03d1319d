"""Splitting JSON and CSV inputs into one :class:`RawItem` per record, and reading fields.

A JSON input is one object or an array of objects; each object becomes an item holding that
object's JSON text, so a malformed record is quarantined alone and replays by itself. A CSV
input (first line: the header) becomes one item per row holding the header and that row, for
the same reason; the standard :mod:`csv` module reads it (not pandas: a row with a wrong number
of fields must be quarantined on its own, not fail the file). Example::

    split_json(b'[{"fax_id": "F1"}, {"fax_id": "F2"}]', "upload")   # two RawItems
    Fields(json.loads(item.payload), "fax").text("fax_id")           # "F1"
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from kubus.channels.base import BatchError, ParseError, RawItem, parse_timestamp

__all__ = ["Fields", "load_record", "split_csv", "split_json"]


def split_json(data: bytes, source_ref: str) -> list[RawItem]:
    """One item per object of a JSON array (or the one object)."""
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BatchError("the body is not UTF-8 text") from None
    except ValueError as exc:
        raise BatchError(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BatchError("the body is not valid JSON: nested too deeply") from None
    records = value if isinstance(value, list) else [value]
    if not records:
        raise BatchError("the JSON array is empty")
    return [RawItem(json.dumps(r, ensure_ascii=False).encode(), f"{source_ref}[{n}]")
            for n, r in enumerate(records)]


def split_csv(data: bytes, source_ref: str) -> list[RawItem]:
    """One item per data row, each holding the header line and the row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchError("the CSV is not UTF-8 text") from None
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    if not header or len(header) < 2:
        raise BatchError("the CSV needs a header line and at least one row")
    head = _csv_line(header)
    items = [RawItem(f"{head}{_csv_line(row)}".encode(), f"{source_ref}:{rows.line_num}")
             for row in rows if any(field.strip() for field in row)]
    if not items:
        raise BatchError("the CSV needs a header line and at least one row")
    return items


def _csv_line(row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row)
    return out.getvalue()


def load_record(item: RawItem) -> dict[str, Any]:
    """The record of an item: a JSON object, or a CSV header plus one row."""
    text = item.payload.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ParseError(f"not valid JSON: {exc}") from None
        return value if isinstance(value, dict) else {}
    if text.lstrip().startswith("["):
        raise ParseError("expected one JSON object, got an array")
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) != 2:
        raise ParseError("expected a CSV header and one row")
    header, row = rows
    if len(row) != len(header):
        raise ParseError(f"CSV row has {len(row)} fields, the header {len(header)}")
    return {k.strip(): v.strip() for k, v in zip(header, row, strict=True)}


class Fields:
    """Typed access to a record's fields; every problem is a :class:`ParseError`."""

    def __init__(self, record: Mapping[str, Any], what: str) -> None:
        if not isinstance(record, Mapping):
            raise ParseError(f"a {what} record must be a JSON object")
        self.record = record
        self.what = what

    def optional(self, name: str, limit: int = 255) -> str | None:
        value = self.record.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ParseError(f"{name}: expected text")
        text = str(value).strip()
        if len(text) > limit:
            raise ParseError(f"{name}: longer than {limit} characters")
        return text or None

    def text(self, name: str, limit: int = 255) -> str:
        value = self.optional(name, limit)
        if value is None:
            raise ParseError(f"{name}: missing")
        return value

    def long_text(self, name: str) -> str:
        value = self.record.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ParseError(f"{name}: expected text")
        return value

    def timestamp(self, name: str) -> datetime:
        return parse_timestamp(self.record.get(name), name)

    def optional_timestamp(self, name: str) -> datetime | None:
        value = self.record.get(name)
        return None if value in (None, "") else parse_timestamp(value, name)

    def integer(self, name: str, low: int = 0, high: int = 32_767) -> int | None:
        value = self.record.get(name)
        if value in (None, ""):
            return None
        try:
            number = int(str(value))
        except ValueError:
            raise ParseError(f"{name}: expected a whole number") from None
        if not low <= number <= high:
            raise ParseError(f"{name}: expected {low} to {high}")
        return number

    def day(self, name: str) -> date | None:
        value = self.record.get(name)
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ParseError(f"{name}: expected a date as YYYY-MM-DD") from None

    def quantity(self, name: str) -> Decimal:
        value = self.record.get(name)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ParseError(f"{name}: expected a number")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ParseError(f"{name}: expected a number") from None
        if not number.is_finite() or number <= 0:
            raise ParseError(f"{name}: must be a positive number")
        return number

    def external_id(self, name: str) -> str:
        return self.text(name, 255)
