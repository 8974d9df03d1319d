"""Internet and chat: web forms, web-shop orders and chat transcripts, as JSON.

Web form: ``form_id`` (required), ``submitted_at`` (required), ``customer_id`` (a logged-in
user), ``email``, ``phone``, ``name``, ``subject``, ``message``, ``topic``.

Web-shop order: ``order_ref`` (required; the shop's order number), ``submitted_at``
(required), ``customer_id`` (the logged-in user) or ``email``/``phone``, ``reference``,
``requested_delivery_date``, ``items``: ``[{"material_id", "quantity",
"requested_delivery_date"?}, ...]`` (at least one).

Chat transcript: ``chat_id`` (required), ``started_at`` (required), ``answered_at``,
``ended_at``, ``customer_id``, ``email``, ``name``, ``queue``, ``agent``, ``topic``,
``outcome``, ``messages``: ``[{"at", "from": "customer"|"agent", "text"}, ...]``; a chat no
agent answered is abandoned. Example::

    WebOrderAdapter().parse(RawItem(b'{"order_ref": "W-1", "submitted_at": "2024-03-04T10:00:00",'
                                    b' "customer_id": "C1", "items": [{"material_id": "M1",'
                                    b' "quantity": 5}]}'))
"""

from __future__ import annotations

from typing import Any

from kubus.channels.base import (
    EXCERPT_CHARS,
    Contact,
    OrderLine,
    OrderRequest,
    ParseError,
    RawItem,
    clip,
)
from kubus.channels.order_lines import MAX_LINES
from kubus.channels.records import Fields, load_record, split_json

__all__ = ["ChatAdapter", "WebFormAdapter", "WebOrderAdapter"]


class _JsonAdapter:
    media_types: tuple[str, ...] = ("application/json",)

    def split(self, data: bytes, source_ref: str) -> list[RawItem]:
        return split_json(data, source_ref)


class WebFormAdapter(_JsonAdapter):
    name = "web-forms"
    channel = "web"

    def parse(self, item: RawItem) -> Contact:
        f = Fields(load_record(item), "web form")
        form_id = f.external_id("form_id")
        try:
            email = f.optional("email", 120)
            return Contact(
                channel="web", external_id=form_id, started_at=f.timestamp("submitted_at"),
                sender=email or "", sender_name=f.optional("name", 80) or "", email=email,
                phone=f.optional("phone", 40), customer_id=f.optional("customer_id", 10),
                subject=clip(f.optional("subject") or "", 255),
                text=clip(f.long_text("message"), EXCERPT_CHARS * 4),
                topic=f.optional("topic", 40) or "web form", thread_key=form_id)
        except ParseError as exc:
            raise ParseError(exc.reason, form_id) from None


def _order_lines(items: Any) -> tuple[OrderLine, ...]:
    if not isinstance(items, list) or not items:
        raise ParseError("items: expected a non-empty array")
    if len(items) > MAX_LINES:
        raise ParseError(f"items: at most {MAX_LINES}")
    lines = []
    for n, raw in enumerate(items):
        item = Fields(raw, "order item")
        try:
            lines.append(OrderLine(item.text("material_id", 18), item.quantity("quantity"),
                                   item.day("requested_delivery_date")))
        except ParseError as exc:
            raise ParseError(f"items[{n}].{exc.reason}") from None
    return tuple(lines)


class WebOrderAdapter(_JsonAdapter):
    name = "web-orders"
    channel = "web"

    def parse(self, item: RawItem) -> Contact:
        f = Fields(load_record(item), "web order")
        order_ref = f.external_id("order_ref")
        try:
            lines = _order_lines(f.record.get("items"))
            wanted = f.day("requested_delivery_date")
            dates = [line.requested_date for line in lines if line.requested_date]
            order = OrderRequest(lines, f.optional("reference", 35) or order_ref[:35],
                                 wanted or (min(dates) if dates else None))
            email = f.optional("email", 120)
            return Contact(
                channel="web", external_id=order_ref, started_at=f.timestamp("submitted_at"),
                sender=email or "", email=email, phone=f.optional("phone", 40),
                customer_id=f.optional("customer_id", 10),
                sender_name=f.optional("name", 80) or "",
                subject=f"web-shop order {order_ref}", topic="order", thread_key=order_ref,
                order=order)
        except ParseError as exc:
            raise ParseError(exc.reason, order_ref) from None


class ChatAdapter(_JsonAdapter):
    name = "chats"
    channel = "chat"

    def parse(self, item: RawItem) -> Contact:
        f = Fields(load_record(item), "chat")
        chat_id = f.external_id("chat_id")
        try:
            return self._contact(f, chat_id)
        except ParseError as exc:
            raise ParseError(exc.reason, chat_id) from None

    @staticmethod
    def _contact(f: Fields, chat_id: str) -> Contact:
        messages = f.record.get("messages") or []
        if not isinstance(messages, list):
            raise ParseError("messages: expected an array")
        lines = []
        for n, raw in enumerate(messages):
            message = Fields(raw, "chat message")
            who = message.optional("from", 20) or "customer"
            if who not in ("customer", "agent", "bot"):
                raise ParseError(f"messages[{n}].from: expected customer, agent or bot")
            lines.append(f"{who}: {message.long_text('text')}")
        start = f.timestamp("started_at")
        answer = f.optional_timestamp("answered_at")
        end = f.optional_timestamp("ended_at")
        for name, stamp in (("answered_at", answer), ("ended_at", end)):
            if stamp is not None and stamp < start:
                raise ParseError(f"{name}: before started_at")
        abandoned = answer is None
        email = f.optional("email", 120)
        text = "\n".join(lines)
        return Contact(
            channel="chat", external_id=chat_id, started_at=start, answered_at=answer,
            ended_at=end, abandoned=abandoned, sender=email or "",
            sender_name=f.optional("name", 80) or "", email=email,
            customer_id=f.optional("customer_id", 10), queue=f.optional("queue", 40),
            agent=f.optional("agent", 40), topic=f.optional("topic", 40) or "",
            outcome=f.optional("outcome", 20) or ("abandoned" if abandoned else "answered"),
            subject=clip(lines[0] if lines else "chat", 255),
            text=clip(text, EXCERPT_CHARS * 4), thread_key=chat_id)
