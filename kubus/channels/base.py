"""The one small interface every channel adapter implements, and the record it produces.

An adapter turns raw input into :class:`RawItem` s (one per message: an e-mail, a CSV row of
call records, one JSON object) with :meth:`Adapter.split`, and each item into a normalised
:class:`Contact` with :meth:`Adapter.parse`. ``split`` raises :class:`BatchError` when the
input as a whole is unusable (not JSON, no CSV header): nothing is stored and the caller
answers 400. ``parse`` raises :class:`ParseError` with a reason for one malformed message: the
ingest service quarantines that message with the raw bytes of the item and goes on.

Example::

    adapter = registry.get("calls")
    items = adapter.split(b"call_id,caller,...\\nc1,+4930123,...", source_ref="upload")
    contact = adapter.parse(items[0])      # Contact(channel="phone", external_id="c1", ...)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Protocol

__all__ = ["EXCERPT_CHARS", "Adapter", "Attachment", "BatchError", "Contact", "OrderLine",
           "OrderRequest", "ParseError", "RawItem", "clip", "parse_timestamp", "seconds"]

#: Characters of text kept on the interaction (the full text stays in the source system).
EXCERPT_CHARS = 1000


class ParseError(Exception):
    """One message cannot be read; ``reason`` says why (stored in the quarantine)."""

    def __init__(self, reason: str, external_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.external_id = external_id


class BatchError(Exception):
    """The input as a whole cannot be split into messages (wrong format, empty)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RawItem:
    """One message as received: its bytes and where it came from (file, row, upload)."""

    payload: bytes
    source_ref: str = ""


@dataclass(frozen=True)
class Attachment:
    """Attachment metadata only; the content is never stored."""

    filename: str
    content_type: str
    size_bytes: int


@dataclass(frozen=True)
class OrderLine:
    """An order line found in a message: material, quantity, optional requested date."""

    material_id: str
    quantity: Decimal
    requested_date: date | None = None


@dataclass(frozen=True)
class OrderRequest:
    """The order a message asks for (web-shop order, or ``ORDER`` lines in a text)."""

    lines: tuple[OrderLine, ...]
    reference: str = ""
    requested_delivery_date: date | None = None


@dataclass(frozen=True)
class Contact:
    """A contact normalised across channels: what the ingest service stores.

    ``email``/``phone`` are the sender's address and number as given (identification
    normalises them); ``customer_id`` is an explicit account (a logged-in web user).
    Timestamps are naive UTC.
    """

    channel: str
    external_id: str
    started_at: datetime
    direction: str = "in"
    sender: str = ""
    sender_name: str = ""
    email: str | None = None
    phone: str | None = None
    customer_id: str | None = None
    address: str = ""
    recipient: str = ""
    subject: str = ""
    text: str = ""
    topic: str = ""
    outcome: str = "received"
    queue: str | None = None
    agent: str | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    abandoned: bool = False
    thread_key: str | None = None
    parent_external_id: str | None = None
    attachments: tuple[Attachment, ...] = ()
    pages: int | None = None
    document_type: str | None = None
    order: OrderRequest | None = None


class Adapter(Protocol):
    """A channel adapter: ``name`` (registry key), ``channel`` (interaction channel)."""

    name: str
    channel: str
    #: Media types the HTTP endpoint accepts for this adapter's input.
    media_types: tuple[str, ...]

    def split(self, data: bytes, source_ref: str) -> list[RawItem]:
        """The messages in ``data``; :class:`BatchError` if it cannot be split at all."""
        ...

    def parse(self, item: RawItem) -> Contact:
        """One message as a :class:`Contact`; :class:`ParseError` with the reason if not."""
        ...


def parse_timestamp(value: object, what: str) -> datetime:
    """An ISO 8601 timestamp as naive UTC (offsets converted; naive taken as UTC)."""
    if isinstance(value, datetime):
        stamp = value
    elif isinstance(value, str) and value.strip():
        try:
            stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ParseError(f"{what}: not an ISO 8601 timestamp: {value[:40]!r}") from None
    else:
        raise ParseError(f"{what}: missing")
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC).replace(tzinfo=None)
    return stamp


def seconds(start: datetime | None, end: datetime | None, what: str) -> int | None:
    """Whole seconds from ``start`` to ``end``; a negative span is a malformed record."""
    if start is None or end is None:
        return None
    span = int((end - start).total_seconds())
    if span < 0:
        raise ParseError(f"{what}: ends before it starts")
    return span


def clip(text: str | None, limit: int) -> str:
    """``text`` stripped and cut to ``limit`` characters (columns have a fixed length)."""
    return (text or "").strip()[:limit]
