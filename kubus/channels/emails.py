"""E-mail: RFC 5322 messages from a maildir, an mbox file, ``.eml`` files or an HTTP upload.

Parsed with the standard library's :mod:`email`: MIME multipart, transfer encodings and
charsets, RFC 2231 parameters, RFC 2047 encoded non-ASCII headers. The interaction keeps the sender,
subject, the first text part as an excerpt and each attachment's name, type and size (never
the content). Threads follow RFC 5322: ``thread_key`` is the first ``References`` id (the
thread's root), else ``In-Reply-To``, else the message's own ``Message-ID``; the parent is the
``In-Reply-To`` message (else the last ``References`` id). ``ORDER`` lines in the text become
an order (:mod:`kubus.channels.order_lines`).

A message without ``Message-ID`` or ``From`` cannot be deduplicated or attributed: it is
quarantined. Example::

    contact = EmailAdapter().parse(RawItem(message_bytes, "upload"))
    contact.external_id, contact.email, contact.attachments
"""

from __future__ import annotations

import mailbox
import re
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from kubus.channels.base import (
    EXCERPT_CHARS,
    Attachment,
    BatchError,
    Contact,
    ParseError,
    RawItem,
    clip,
    parse_timestamp,
)
from kubus.channels.order_lines import parse_order_lines

__all__ = ["EmailAdapter", "read_mail_folder"]

# Why not policy.default: its header registry re-parses Content-Type on every
# get_content_type() (about 14 times per message in get_body() and iter_attachments()) and
# parses each address header into a token tree; that made 4 ms per message, 250 messages a
# second. The MIME tree is walked once with compat32, and the few headers kept are decoded
# with decode_header()/make_header() (RFC 2047) and getaddresses(): about 0.5 ms.
_PARSER = BytesParser(policy=policy.compat32)
_MSGID = re.compile(r"<[^<>\s]+>")
_TAGS = re.compile(r"<[^>]+>")


def _raw(message: Message, name: str) -> str:
    value = message.get(name)
    return "" if value is None else str(value)


def _words(text: str) -> str:
    """RFC 2047 encoded words decoded (``=?utf-8?q?K=C3=B6ln?=`` -> ``Köln``)."""
    if "=?" not in text:
        return " ".join(text.split())
    return str(make_header(decode_header(text)))


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    """``(display name, address)`` of an address header, names decoded."""
    return [(_words(n), a) for n, a in getaddresses([_raw(message, name)]) if a]


def _message_ids(value: str | None) -> list[str]:
    return _MSGID.findall(value or "")


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        return payload.decode(part.get_content_charset() or "utf-8", "replace")
    except LookupError:  # an unknown charset name
        return payload.decode("utf-8", "replace")


def _filename(part: Message) -> str:
    name = part.get_filename() or ""
    # RFC 2231 is decoded by get_filename(); RFC 2047 words in a filename are common too.
    return _words(name) if "=?" in name else name


def _walk(message: Message) -> tuple[str, tuple[Attachment, ...]]:
    """The first text part (plain preferred over HTML) and every attachment's metadata."""
    plain = html = None
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        disposition = part.get_content_disposition()
        if disposition == "attachment" or (part.get_filename() and kind[:5] != "text/"):
            payload = part.get_payload(decode=True)
            found.append(Attachment(clip(_filename(part), 255), clip(kind, 100),
                                    len(payload) if isinstance(payload, bytes) else 0))
        elif kind == "text/plain" and plain is None:
            plain = _text_of(part)
        elif kind == "text/html" and html is None:
            html = _TAGS.sub(" ", _text_of(part))
    return (plain if plain is not None else html or ""), tuple(found)


class EmailAdapter:
    """RFC 5322 messages; one message per :class:`RawItem`."""

    name = "email"
    channel = "email"
    media_types: tuple[str, ...] = ("message/rfc822", "text/plain", "application/octet-stream")

    def split(self, data: bytes, source_ref: str) -> list[RawItem]:
        if not data.strip():
            raise BatchError("the body is empty: send one RFC 5322 message")
        return [RawItem(data, source_ref)]

    def parse(self, item: RawItem) -> Contact:
        try:
            message = _PARSER.parsebytes(item.payload)
        except Exception as exc:  # the parser is lenient; anything it still raises is bad input
            raise ParseError(f"not an RFC 5322 message: {exc}") from None
        try:
            return self._contact(message)
        except ParseError:
            raise
        except (ValueError, LookupError, TypeError, IndexError) as exc:
            # policy.default raises these for headers it cannot decode.
            raise ParseError(f"malformed header or body: {exc}") from None

    def _contact(self, message: Message) -> Contact:
        ids = _message_ids(_raw(message, "Message-ID"))
        if not ids:
            raise ParseError("no Message-ID header: the message cannot be deduplicated")
        external_id = ids[0][1:-1]
        if len(external_id) > 255:
            raise ParseError("Message-ID longer than 255 characters")
        senders = [(n, a) for n, a in _addresses(message, "From") if "@" in a]
        if not senders:
            raise ParseError("no sender address in From", external_id)
        name, address = senders[0]
        started = _date(message.get("Date"), external_id)
        references = [i[1:-1] for i in _message_ids(_raw(message, "References"))]
        in_reply_to = [i[1:-1] for i in _message_ids(_raw(message, "In-Reply-To"))]
        parent = in_reply_to[0] if in_reply_to else (references[-1] if references else None)
        root = references[0] if references else parent
        text, attachments = _walk(message)
        try:
            order = parse_order_lines(text)
        except ParseError as exc:
            raise ParseError(exc.reason, external_id) from None
        subject = _words(_raw(message, "Subject"))
        # As written (decoded): parsing the address list only to join it again costs time.
        recipients = _words(_raw(message, "To"))
        return Contact(
            channel="email", external_id=external_id, started_at=started, sender=address,
            sender_name=name, email=address, recipient=clip(recipients, 255),
            subject=clip(subject, 255), text=clip(text, EXCERPT_CHARS * 4),
            topic="order" if order else ("reply" if parent else ""),
            thread_key=(root or external_id)[:255], parent_external_id=parent,
            attachments=attachments, order=order)


def _date(value: object, external_id: str) -> datetime:
    if value is None:
        raise ParseError("no Date header", external_id)
    try:
        stamp = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        raise ParseError(f"Date header is not an RFC 5322 date: {str(value)[:40]!r}",
                         external_id) from None
    return parse_timestamp(stamp, "Date")


def read_mail_folder(path: Path) -> list[RawItem]:
    """Every message of a maildir (``cur``/``new``), an mbox file, an ``.eml`` file or a
    folder of ``.eml`` files, as raw bytes (parsed later, so a bad one is quarantined)."""
    if path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir():
        box = mailbox.Maildir(path, factory=None, create=False)
        return [RawItem(box.get_bytes(key), f"{path}/{key}") for key in sorted(box.keys())]
    if path.is_dir():
        return [RawItem(p.read_bytes(), str(p)) for p in sorted(path.glob("*.eml"))]
    with path.open("rb") as handle:
        head = handle.read(5)
    if head == b"From ":
        mbox = mailbox.mbox(path, factory=None, create=False)
        try:
            return [RawItem(mbox.get_bytes(key), f"{path}#{n}")
                    for n, key in enumerate(mbox.keys(), start=1)]
        finally:
            mbox.close()
    return [RawItem(path.read_bytes(), str(path))]
