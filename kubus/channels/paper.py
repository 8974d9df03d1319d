"""Fax and letter: inbound fax records and the index of scanned mail, as JSON.

Fax record members: ``fax_id`` (required), ``sender_number``, ``recipient_number``,
``pages``, ``received_at`` (required), ``text`` (the recognised text, when OCR ran),
``customer_number``. Scanned-mail index members: ``document_id`` (required),
``sender_name``, ``sender_address``, ``received_date`` or ``received_at`` (required),
``document_type`` (letter, invoice, complaint, order, ...), ``text``, ``email``,
``phone``, ``customer_number``. ``ORDER`` lines in the recognised text become an order
(:mod:`kubus.channels.order_lines`); a given ``customer_number`` is an explicit account like
a web login. Example::

    FaxAdapter().parse(RawItem(b'{"fax_id": "F1", "sender_number": "+49 30 1234567", '
                               b'"received_at": "2024-03-04T08:15:00", "pages": 1, '
                               b'"text": "ORDER M1 20"}'))
"""

from __future__ import annotations

from datetime import datetime, time

from kubus.channels.base import EXCERPT_CHARS, Contact, ParseError, RawItem, clip
from kubus.channels.order_lines import parse_order_lines
from kubus.channels.records import Fields, load_record, split_json

__all__ = ["FaxAdapter", "LetterAdapter"]


class FaxAdapter:
    """Inbound fax records (a JSON array of objects)."""

    name = "faxes"
    channel = "fax"
    media_types: tuple[str, ...] = ("application/json",)

    def split(self, data: bytes, source_ref: str) -> list[RawItem]:
        return split_json(data, source_ref)

    def parse(self, item: RawItem) -> Contact:
        f = Fields(load_record(item), "fax")
        fax_id = f.external_id("fax_id")
        try:
            text = f.long_text("text")
            order = parse_order_lines(text)
            number = f.optional("sender_number", 40)
            return Contact(
                channel="fax", external_id=fax_id, started_at=f.timestamp("received_at"),
                sender=number or "", phone=number,
                customer_id=f.optional("customer_number", 10),
                recipient=f.optional("recipient_number", 40) or "",
                pages=f.integer("pages", 0, 9999), text=clip(text, EXCERPT_CHARS * 4),
                subject=f"fax from {number or 'unknown'}", topic="order" if order else "",
                thread_key=fax_id, order=order)
        except ParseError as exc:
            raise ParseError(exc.reason, fax_id) from None


class LetterAdapter:
    """The index of scanned inbound mail (a JSON array of objects)."""

    name = "letters"
    channel = "letter"
    media_types: tuple[str, ...] = ("application/json",)

    def split(self, data: bytes, source_ref: str) -> list[RawItem]:
        return split_json(data, source_ref)

    def parse(self, item: RawItem) -> Contact:
        f = Fields(load_record(item), "letter")
        document_id = f.external_id("document_id")
        try:
            received = f.optional_timestamp("received_at")
            if received is None:
                day = f.day("received_date")
                if day is None:
                    raise ParseError("received_date: missing")
                received = datetime.combine(day, time())
            text = f.long_text("text")
            order = parse_order_lines(text)
            document_type = (f.optional("document_type", 40) or "letter").lower()
            name = f.optional("sender_name", 80) or ""
            return Contact(
                channel="letter", external_id=document_id, started_at=received,
                sender=name, sender_name=name, address=f.optional("sender_address") or "",
                email=f.optional("email", 120), phone=f.optional("phone", 40),
                customer_id=f.optional("customer_number", 10), document_type=document_type,
                text=clip(text, EXCERPT_CHARS * 4), subject=f"{document_type} from {name}",
                topic="order" if order else document_type, thread_key=document_id,
                order=order)
        except ParseError as exc:
            raise ParseError(exc.reason, document_id) from None
