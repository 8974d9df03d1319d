"""The interaction center (issue #6): channel ingest, interactions, the quarantine.

``POST /channels/{email,calls,faxes,letters,web-forms,web-orders,chats}`` take the channel's
raw input (an RFC 5322 message, CSV or JSON; see ``docs/channels.md``) and answer with one
result per message: ``stored`` (with the interaction, the identified customer and any order
created), ``duplicate`` (the same external id was stored before: nothing written) or
``quarantined`` (malformed: kept with its reason for replay; the rest of the batch goes on).
An input that cannot be split into messages at all (not JSON, no CSV header) is a 400 and
writes nothing. Orders go through the same order entry as ``POST /sales-orders``, with the
server's availability checker. ``GET /interactions`` lists contacts across channels,
``GET /quarantine`` the quarantined messages, ``POST /quarantine/{id}/replay`` parses one
again after a fix.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from kubus.channels.base import BatchError
from kubus.channels.identify import CustomerDirectory
from kubus.channels.ingest import IngestReport, IngestService, ItemResult
from kubus.oltp.errors import BadRequest
from kubus.oltp.schema_interactions import (
    CHANNELS,
    IDENTIFICATIONS,
    interaction,
    interaction_attachment,
    interaction_candidate,
    quarantine,
)
from kubus.server.api.operations import (
    Call,
    Environment,
    Lookup,
    Operation,
    Page,
    Param,
    RawBody,
)
from kubus.server.api.paging import PAGING, page
from kubus.server.api.rows import from_row

__all__ = ["OPERATIONS"]

TAG = "Interaction center"

# One customer directory per OLTP engine, kept across requests (a cache, like the writer locks
# of kubus.oltp.store): it refreshes itself from the change log.
_DIRECTORIES: weakref.WeakKeyDictionary[sa.Engine, CustomerDirectory] = (
    weakref.WeakKeyDictionary())


def _service(env: Environment) -> IngestService:
    service = IngestService(env.engine, checker=env.checker, today=env.today,
                            directory=_DIRECTORIES.get(env.engine))
    _DIRECTORIES.setdefault(env.engine, service.directory())
    return service


@dataclass(frozen=True)
class Interaction:
    """One contact on any channel, inbound or outbound (timestamps in UTC)."""

    interaction_id: int
    channel: str
    direction: str
    external_id: str
    customer_id: str | None
    prospect_id: int | None
    identification: str
    sender: str
    sender_key: str
    recipient: str
    thread_key: str
    parent_id: int | None
    topic: str
    outcome: str
    queue: str | None
    agent: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    wait_seconds: int | None
    handling_seconds: int | None
    abandoned: bool
    order_id: int | None
    subject: str
    pages: int | None
    document_type: str | None
    attachment_count: int
    received_at: datetime


@dataclass(frozen=True)
class AttachmentInfo:
    attachment_no: int
    filename: str
    content_type: str
    size_bytes: int


@dataclass(frozen=True)
class Candidate:
    """A customer an ambiguous contact matched, and on what (email, phone, number)."""

    customer_id: str
    matched_on: str


@dataclass(frozen=True)
class InteractionDetail(Interaction):
    """An interaction with its text excerpt, attachment metadata and candidates."""

    text_excerpt: str
    source_ref: str
    attachments: tuple[AttachmentInfo, ...]
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class QuarantineItem:
    """A message that could not be read, with the reason (its raw bytes stay stored)."""

    quarantine_id: int
    channel: str
    adapter: str
    source_ref: str
    external_id: str | None
    reason: str
    received_at: datetime
    status: str
    attempts: int
    replayed_at: datetime | None
    interaction_id: int | None
    size_bytes: int


def _ingest(adapter: str) -> Callable[[Call], IngestReport]:
    def run(call: Call) -> IngestReport:
        try:
            return _service(call.env).ingest(adapter, call.body.data,
                                             source_ref=f"http:{adapter}", bind=call.conn)
        except BatchError as exc:
            raise BadRequest("malformed_input", exc.reason) from None

    return run


def _list_interactions(call: Call) -> Page[Interaction]:
    args = call.query
    query = sa.select(interaction)
    for name in ("channel", "direction", "identification", "topic", "customer_id"):
        if args.get(name):
            query = query.where(interaction.c[name] == args[name])
    if args.get("thread_key"):
        query = query.where(interaction.c.thread_key == args["thread_key"])
    if args.get("has_order") is not None:
        has = interaction.c.order_id.is_not(None)
        query = query.where(has if args["has_order"] else sa.not_(has))
    if args.get("date_from") is not None:
        query = query.where(interaction.c.started_at
                            >= datetime.combine(args["date_from"], time()))
    if args.get("date_to") is not None:
        day_after = args["date_to"] + timedelta(days=1)
        query = query.where(interaction.c.started_at < datetime.combine(day_after, time()))
    return page(call.conn, query, [interaction.c.interaction_id], args,
                lambda r: from_row(Interaction, r))


def _get_interaction(call: Call) -> InteractionDetail:
    key = call.path["interaction_id"]
    row = call.conn.execute(sa.select(interaction).where(
        interaction.c.interaction_id == key)).one()
    attachments = tuple(from_row(AttachmentInfo, r) for r in call.conn.execute(
        sa.select(interaction_attachment).where(interaction_attachment.c.interaction_id == key)
        .order_by(interaction_attachment.c.attachment_no)))
    candidates = tuple(from_row(Candidate, r) for r in call.conn.execute(
        sa.select(interaction_candidate).where(interaction_candidate.c.interaction_id == key)
        .order_by(interaction_candidate.c.customer_id)))
    return from_row(InteractionDetail, row, attachments=attachments, candidates=candidates)


def _quarantine_columns() -> list[Any]:
    return [*(c for c in quarantine.c if c.name != "payload"),
            sa.func.length(quarantine.c.payload).label("size_bytes")]


def _list_quarantine(call: Call) -> Page[QuarantineItem]:
    args = call.query
    query = sa.select(*_quarantine_columns())
    if args.get("status"):
        query = query.where(quarantine.c.status == args["status"])
    if args.get("channel"):
        query = query.where(quarantine.c.channel == args["channel"])
    return page(call.conn, query, [quarantine.c.quarantine_id], args,
                lambda r: from_row(QuarantineItem, r))


def _replay(call: Call) -> ItemResult:
    return _service(call.env).replay(call.path["quarantine_id"], bind=call.conn)


_INPUTS = {
    "email": ("ingestEmail", "Ingest one e-mail (RFC 5322)", ("message/rfc822", "text/plain"),
              "One RFC 5322 message with headers, MIME parts and attachments as sent."),
    "calls": ("ingestCalls", "Ingest call detail records", ("text/csv", "application/json"),
              "CSV with a header (call_id, caller, called, queue, agent, start, answer, end, "
              "outcome) or a JSON array of objects with those members."),
    "faxes": ("ingestFaxes", "Ingest inbound fax records", ("application/json",),
              "JSON array of {fax_id, sender_number, recipient_number, pages, received_at, "
              "text}."),
    "letters": ("ingestLetters", "Ingest the scanned-mail index", ("application/json",),
                "JSON array of {document_id, sender_name, sender_address, received_date, "
                "document_type, text, customer_number}."),
    "web-forms": ("ingestWebForms", "Ingest web forms", ("application/json",),
                  "JSON array of {form_id, submitted_at, customer_id | email | phone, name, "
                  "subject, message, topic}."),
    "web-orders": ("ingestWebOrders", "Ingest web-shop orders", ("application/json",),
                   "JSON array of {order_ref, submitted_at, customer_id | email, items: "
                   "[{material_id, quantity, requested_delivery_date}]}."),
    "chats": ("ingestChats", "Ingest chat transcripts", ("application/json",),
              "JSON array of {chat_id, started_at, answered_at, ended_at, customer_id | email, "
              "queue, agent, topic, outcome, messages: [{at, from, text}]}."),
}

_INGEST_DESCRIPTION = (
    "Each message is stored once per external id (Message-ID, call id, ...): a redelivered "
    "one is reported as `duplicate` and writes nothing. A malformed message is `quarantined` "
    "with its reason; the rest goes on. Orders are entered with the availability check.")

INTERACTION_ID = Param("interaction_id", int, "Interaction id", where="path")
QUARANTINE_ID = Param("quarantine_id", int, "Quarantine entry id", where="path")

OPERATIONS = (
    *(Operation("POST", f"/channels/{name}", op_id, summary, TAG, _ingest(name), IngestReport,
                raw_body=RawBody(types, text), description=_INGEST_DESCRIPTION)
      for name, (op_id, summary, types, text) in _INPUTS.items()),
    Operation("GET", "/interactions", "listInteractions", "List interactions", TAG,
              _list_interactions, Interaction, paged=True, params=(
                  Param("channel", str, "Only this channel.", enum=CHANNELS),
                  Param("direction", str, "Only inbound or outbound.", enum=("in", "out")),
                  Param("identification", str, "Only contacts identified this way.",
                        enum=IDENTIFICATIONS),
                  Param("customer_id", str, "Only contacts of this customer."),
                  Param("topic", str, "Only this topic."),
                  Param("thread_key", str, "Only this thread."),
                  Param("has_order", bool, "Only contacts with (true) or without (false) a "
                        "sales order."),
                  Param("date_from", date, "Only contacts started on or after this date."),
                  Param("date_to", date, "Only contacts started on or before this date."),
                  *PAGING)),
    Operation("GET", "/interactions/{interaction_id}", "getInteraction",
              "An interaction with attachments and candidates", TAG, _get_interaction,
              InteractionDetail, params=(INTERACTION_ID,),
              lookups=(Lookup(interaction, ("interaction_id",), "unknown_interaction",
                              "interaction"),)),
    Operation("GET", "/quarantine", "listQuarantine", "List quarantined messages", TAG,
              _list_quarantine, QuarantineItem, paged=True, params=(
                  Param("status", str, "Only open or replayed entries.",
                        enum=("open", "replayed")),
                  Param("channel", str, "Only this channel.", enum=CHANNELS),
                  *PAGING)),
    Operation("POST", "/quarantine/{quarantine_id}/replay", "replayQuarantined",
              "Parse a quarantined message again and store it", TAG, _replay, ItemResult,
              params=(QUARANTINE_ID,),
              lookups=(Lookup(quarantine, ("quarantine_id",), "unknown_quarantine_item",
                              "quarantine entry"),),
              description="After a fix (adapter or master data): the message is parsed "
                          "again; stored, the entry becomes `replayed`; still malformed, it "
                          "stays `open` with the new reason (status `quarantined`). A "
                          "replayed entry cannot be replayed again (409)."),
)
