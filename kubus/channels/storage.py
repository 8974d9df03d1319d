"""Writing contacts, prospects and quarantine entries: set-based, in the caller's transaction.

Every function takes the caller's :class:`~kubus.oltp.unit_of_work.UnitOfWork` and writes with
one ``executemany`` per table (``INSERT ... RETURNING`` for the surrogate keys), logging one
change-log row per written row (entity = table name). Example::

    unit = UnitOfWork(conn)
    ids = store_contacts(unit, contacts, identities, source_refs, now)
    unit.finish()
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from kubus.channels.base import Adapter, Contact, ParseError, RawItem, clip
from kubus.channels.identify import Identity
from kubus.oltp.schema_interactions import (
    interaction,
    interaction_attachment,
    interaction_candidate,
    prospect,
    quarantine,
)
from kubus.oltp.unit_of_work import UnitOfWork

__all__ = ["existing_ids", "insert_returning", "quarantine_done", "quarantine_retry",
           "quarantine_rows", "store_contacts"]

_CHUNK = 500  # bound parameters per IN list
#: Channels whose messages answer earlier ones by id (a reply may arrive before its parent).
THREADED = frozenset({"email"})


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def insert_returning(unit: UnitOfWork, table: sa.Table, rows: Sequence[dict[str, Any]]
                     ) -> list[int]:
    """Insert ``rows`` (one ``executemany``) and return their surrogate keys in row order."""
    if not rows:
        return []
    (key,) = table.primary_key.columns
    result = unit.conn.execute(
        table.insert().returning(key, sort_by_parameter_order=True), list(rows))
    ids = [int(r[0]) for r in result]
    for value in ids:
        unit.log(table.name, str(value), "insert")
    return ids


def existing_ids(conn: sa.Connection, channel: str, external_ids: Sequence[str]
                 ) -> dict[str, int]:
    """external id -> interaction id of those already stored for ``channel``."""
    found: dict[str, int] = {}
    wanted = sorted(set(external_ids))
    for chunk in _chunks(wanted):
        found.update(conn.execute(
            sa.select(interaction.c.external_id, interaction.c.interaction_id)
            .where(interaction.c.channel == channel, interaction.c.external_id.in_(chunk))
        ).all())
    return found


def _prospects(unit: UnitOfWork, contacts: Sequence[Contact], identities: Sequence[Identity],
               now: datetime) -> list[int | None]:
    """The prospect of every unidentified contact: found by e-mail or phone, else created."""
    wanted = [n for n, i in enumerate(identities) if i.status == "prospect"]
    emails = sorted({e for n in wanted if (e := identities[n].email)})
    phones = sorted({p for n in wanted if (p := identities[n].phone)})
    by_email: dict[str, int] = {}
    by_phone: dict[str, int] = {}
    for column, keys, index in ((prospect.c.email, emails, by_email),
                                (prospect.c.phone, phones, by_phone)):
        for chunk in _chunks(keys):
            index.update(unit.conn.execute(
                sa.select(column, prospect.c.prospect_id).where(column.in_(chunk))).all())
    result: list[int | None] = [None] * len(contacts)
    new_rows: list[dict[str, Any]] = []
    slot_of: dict[int, int] = {}
    slot_email: dict[str, int] = {}
    slot_phone: dict[str, int] = {}
    for n in wanted:
        email, phone = identities[n].email, identities[n].phone
        hit = _first((by_email, email), (by_phone, phone))
        if hit is not None:
            result[n] = hit
            continue
        slot = _first((slot_email, email), (slot_phone, phone))
        if slot is None:  # a new prospect; later contacts of this batch with a key find it
            slot = len(new_rows)
            new_rows.append({"name": clip(contacts[n].sender_name, 80),
                             "address": clip(contacts[n].address, 255), "email": email,
                             "phone": phone, "first_channel": contacts[n].channel,
                             "created_at": now})
            if email:
                slot_email[email] = slot
            if phone:
                slot_phone[phone] = slot
        slot_of[n] = slot
    ids = insert_returning(unit, prospect, new_rows)
    for n, slot in slot_of.items():
        result[n] = ids[slot]
    return result


def _first(*lookups: tuple[dict[str, int], str | None]) -> int | None:
    for index, key in lookups:
        if key and key in index:
            return index[key]
    return None


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds()))


def interaction_row(contact: Contact, identity: Identity, prospect_id: int | None,
                    source_ref: str, now: datetime) -> dict[str, Any]:
    """The ``interaction`` row of a contact (no key: the database assigns it)."""
    waited_until = contact.answered_at if contact.answered_at is not None else (
        contact.ended_at if contact.abandoned else None)
    return {
        "channel": contact.channel, "direction": contact.direction,
        "external_id": contact.external_id, "customer_id": identity.customer_id,
        "prospect_id": prospect_id, "identification": identity.status,
        "sender": clip(contact.sender, 255), "sender_key": identity.sender_key,
        "recipient": clip(contact.recipient, 255),
        "thread_key": (contact.thread_key or contact.external_id)[:255],
        "parent_external_id": contact.parent_external_id, "parent_id": None,
        "topic": clip(contact.topic, 40), "outcome": clip(contact.outcome, 20),
        "queue": contact.queue, "agent": contact.agent, "started_at": contact.started_at,
        "answered_at": contact.answered_at, "ended_at": contact.ended_at,
        "wait_seconds": _seconds(contact.started_at, waited_until),
        "handling_seconds": _seconds(contact.answered_at, contact.ended_at),
        "abandoned": contact.abandoned, "order_id": None,
        "subject": clip(contact.subject, 255), "text_excerpt": clip(contact.text, 1000),
        "pages": contact.pages, "document_type": contact.document_type,
        "attachment_count": len(contact.attachments),
        "source_ref": clip(source_ref, 255), "received_at": now}


def store_contacts(unit: UnitOfWork, contacts: Sequence[Contact],
                   identities: Sequence[Identity], source_refs: Sequence[str],
                   now: datetime) -> list[int]:
    """Insert the interactions of new contacts with their attachments, candidates, prospects
    and thread links; their interaction ids in order."""
    prospects = _prospects(unit, contacts, identities, now)
    rows = [interaction_row(c, i, p, s, now) for c, i, p, s in
            zip(contacts, identities, prospects, source_refs, strict=True)]
    ids = insert_returning(unit, interaction, rows)
    attachments = [
        {"interaction_id": i, "attachment_no": k, "filename": a.filename,
         "content_type": a.content_type, "size_bytes": a.size_bytes}
        for c, i in zip(contacts, ids, strict=True)
        for k, a in enumerate(c.attachments, start=1)]
    candidates = [
        {"interaction_id": i, "customer_id": customer_id, "matched_on": matched_on}
        for identity, i in zip(identities, ids, strict=True) if identity.status == "ambiguous"
        for customer_id, matched_on in identity.candidates]
    unit.insert(interaction_attachment, attachments)
    unit.insert(interaction_candidate, candidates)
    if contacts:
        _link_threads(unit, contacts[0].channel, contacts)
    return ids


def _link_threads(unit: UnitOfWork, channel: str, contacts: Sequence[Contact]) -> None:
    """Set ``parent_id`` of new replies whose parent is stored, and of stored replies whose
    parent just arrived (a reply can come before the message it answers)."""
    conn = unit.conn
    parents = {p for c in contacts if (p := c.parent_external_id)}
    if not parents and channel not in THREADED:
        return
    wanted = sorted(parents | {c.external_id for c in contacts})
    known = existing_ids(conn, channel, wanted)
    orphans: list[tuple[int, str]] = []
    for chunk in _chunks(wanted):
        orphans.extend(conn.execute(
            sa.select(interaction.c.interaction_id, interaction.c.parent_external_id)
            .where(interaction.c.channel == channel, interaction.c.parent_id.is_(None),
                   interaction.c.parent_external_id.in_(chunk))).all())
    updates = [{"b_id": child, "parent": known[parent]} for child, parent in orphans
               if parent in known]
    if updates:
        conn.execute(sa.update(interaction)
                     .where(interaction.c.interaction_id == sa.bindparam("b_id"))
                     .values(parent_id=sa.bindparam("parent")), updates)
        for row in updates:
            unit.log(interaction.name, str(row["b_id"]), "update")


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def quarantine_rows(unit: UnitOfWork, adapter: Adapter,
                    failures: Sequence[tuple[RawItem, ParseError]], now: datetime) -> list[int]:
    """Quarantine malformed messages with their raw bytes and reasons; their entry ids.

    A message already in the quarantine (same adapter, same bytes: delivered again) keeps its
    entry, so a redelivery never quarantines a message twice either.
    """
    hashes = [_sha256(item.payload) for item, _ in failures]
    known: dict[str, int] = {}
    for chunk in _chunks(sorted(set(hashes))):
        known.update(unit.conn.execute(
            sa.select(quarantine.c.payload_sha256, sa.func.min(quarantine.c.quarantine_id))
            .where(quarantine.c.adapter == adapter.name,
                   quarantine.c.payload_sha256.in_(chunk))
            .group_by(quarantine.c.payload_sha256)).all())
    new: dict[str, dict[str, Any]] = {}
    for (item, error), digest in zip(failures, hashes, strict=True):
        if digest not in known and digest not in new:
            new[digest] = {
                "channel": adapter.channel, "adapter": adapter.name,
                "source_ref": clip(item.source_ref, 255),
                "external_id": (error.external_id or None) and clip(error.external_id, 255),
                "payload": item.payload, "payload_sha256": digest,
                "reason": clip(error.reason, 500), "received_at": now, "status": "open",
                "attempts": 1, "replayed_at": None, "interaction_id": None}
    known.update(zip(new, insert_returning(unit, quarantine, list(new.values())), strict=True))
    return [known[digest] for digest in hashes]


def quarantine_retry(unit: UnitOfWork, quarantine_id: int, error: ParseError,
                     payload: bytes | None) -> None:
    """A replay that failed again: new reason, one more attempt (and the corrected payload)."""
    values: dict[str, Any] = {"reason": clip(error.reason, 500),
                              "attempts": quarantine.c.attempts + 1}
    if payload is not None:
        values.update(payload=payload, payload_sha256=_sha256(payload))
    unit.update(quarantine, {"quarantine_id": quarantine_id}, values)


def quarantine_done(unit: UnitOfWork, quarantine_id: int, interaction_id: int | None,
                    payload: bytes | None, now: datetime) -> None:
    """A replay that stored the message: mark the entry replayed and link the interaction."""
    values: dict[str, Any] = {"status": "replayed", "replayed_at": now,
                              "interaction_id": interaction_id,
                              "attempts": quarantine.c.attempts + 1}
    if payload is not None:
        values.update(payload=payload, payload_sha256=_sha256(payload))
    unit.update(quarantine, {"quarantine_id": quarantine_id}, values)
