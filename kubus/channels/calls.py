"""Telephone: call detail records of a PBX/ACD export, as CSV or JSON.

Fields (CSV header or JSON members): ``call_id`` (required, unique per call), ``caller``
(the ANI), ``called`` (the number dialled), ``queue``, ``agent``, ``start`` (required),
``answer`` (empty when never answered), ``end``, ``outcome`` (free text such as ``answered``,
``abandoned``, ``voicemail``), ``direction`` (``in`` default, or ``out``), ``topic``.
Timestamps are ISO 8601 (an offset is converted to UTC, none is taken as UTC).

A call that was never answered is **abandoned** (wait = start to end), unless it was
outbound; an answered call waited from start to answer and was handled from answer to end
(talk time; after-call work is not in a CDR). Example CSV::

    call_id,caller,called,queue,agent,start,answer,end,outcome
    c-1,+49 30 1234567,+49 40 999,sales,anna,2024-03-04T09:00,2024-03-04T09:00:12,,answered
    c-2,030 7654321,+49 40 999,sales,,2024-03-04T09:01:00,,2024-03-04T09:01:40,abandoned
"""

from __future__ import annotations

from kubus.channels.base import BatchError, Contact, ParseError, RawItem, seconds
from kubus.channels.records import Fields, load_record, split_csv, split_json

__all__ = ["CallAdapter"]


class CallAdapter:
    """Call detail records (CSV with a header, or a JSON array of objects)."""

    name = "calls"
    channel = "phone"
    media_types: tuple[str, ...] = ("text/csv", "application/json")

    def split(self, data: bytes, source_ref: str) -> list[RawItem]:
        head = data.lstrip()[:1]
        if not head:
            raise BatchError("the body is empty: send call records as CSV or JSON")
        if head in (b"[", b"{"):
            return split_json(data, source_ref)
        return split_csv(data, source_ref)

    def parse(self, item: RawItem) -> Contact:
        f = Fields(load_record(item), "call")
        call_id = f.external_id("call_id")
        try:
            return _contact(f, call_id)
        except ParseError as exc:
            raise ParseError(exc.reason, call_id) from None


def _contact(f: Fields, call_id: str) -> Contact:
    direction = (f.optional("direction", 3) or "in").lower()
    if direction not in ("in", "out"):
        raise ParseError("direction: expected in or out")
    start = f.timestamp("start")
    answer = f.optional_timestamp("answer")
    end = f.optional_timestamp("end")
    outcome = (f.optional("outcome", 20) or "").lower()
    abandoned = direction == "in" and (answer is None or outcome == "abandoned")
    if abandoned and answer is not None:
        raise ParseError("an abandoned call has no answer time")
    if answer is not None and end is not None and end < answer:
        raise ParseError("end: before answer")
    # Validation only: the ingest service derives wait and handling seconds the same way.
    seconds(start, answer if answer is not None else end, "wait")
    seconds(answer, end, "call")
    caller = f.optional("caller", 40)
    called = f.optional("called", 40)
    # The customer's number is the caller on inbound calls, the called number on outbound.
    customer_number = caller if direction == "in" else called
    return Contact(
        channel="phone", external_id=call_id, started_at=start, direction=direction,
        sender=customer_number or "", phone=customer_number,
        recipient=(called if direction == "in" else caller) or "",
        queue=f.optional("queue", 40), agent=f.optional("agent", 40), answered_at=answer,
        ended_at=end, abandoned=abandoned,
        outcome=outcome or ("abandoned" if abandoned else "answered"),
        topic=f.optional("topic", 40) or "", thread_key=call_id,
        subject=f"call {'from' if direction == 'in' else 'to'} {customer_number or 'unknown'}")
