"""The interaction center's tables (issue #6), on the same :data:`~kubus.oltp.schema.metadata`.

Kept beside :mod:`kubus.oltp.schema` (which imports this module at its end, so
``metadata`` always holds these tables too) because that module is the 800-line data dictionary
of the back office already. One row of :data:`interaction` per contact, inbound or outbound,
whatever the channel (domain.md §6.2); :data:`interaction_attachment` holds attachment metadata
(never the content), :data:`interaction_candidate` the customers an ambiguous contact matched
(for review, never guessed), :data:`prospect` the unknown senders, and :data:`quarantine` every
message that could not be parsed, with its raw bytes, until it is replayed.

Every insert and update is logged in the change log (entity = table name) in the same
transaction, so the warehouse loads interactions like any other document. Example::

    from kubus.oltp.schema import interaction, metadata   # the same objects as here
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kubus.oltp.schema import DOC, metadata

__all__ = ["CHANNELS", "DIRECTIONS", "IDENTIFICATIONS", "QUARANTINE_STATUSES", "interaction",
           "interaction_attachment", "interaction_candidate", "prospect", "quarantine"]

CHANNELS = ("phone", "email", "fax", "letter", "chat", "web")
DIRECTIONS = ("in", "out")
#: identified: exactly one customer; ambiguous: several (see interaction_candidate);
#: prospect: none (prospect_id set).
IDENTIFICATIONS = ("identified", "ambiguous", "prospect")
QUARANTINE_STATUSES = ("open", "replayed")

# Surrogate keys (log-like rows, no number range): BIGINT, but INTEGER on SQLite so that it is
# the rowid and autoincrements.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _col(name: str, type_: Any, *args: Any, nullable: bool = False,
         **kwargs: Any) -> sa.Column[Any]:
    return sa.Column(name, type_, *args, nullable=nullable, **kwargs)


prospect = sa.Table(
    "prospect", metadata,
    _col("prospect_id", _ID, primary_key=True, autoincrement=True),
    _col("name", sa.String(80), server_default=""),
    # Normalised keys the sender was known by: lower-case e-mail address, E.164 number.
    _col("email", sa.String(120), nullable=True, unique=True),
    _col("phone", sa.String(20), nullable=True, unique=True),
    _col("address", sa.String(255), server_default=""),
    _col("first_channel", sa.String(8)),
    _col("created_at", sa.DateTime),
)

interaction = sa.Table(
    "interaction", metadata,
    _col("interaction_id", _ID, primary_key=True, autoincrement=True),
    _col("channel", sa.String(8)),
    _col("direction", sa.String(3)),
    # The source's own id (Message-ID, call id, fax id, form id, ...): with the channel it makes
    # ingestion exactly-once.
    _col("external_id", sa.String(255)),
    _col("customer_id", sa.String(10), sa.ForeignKey("customer.customer_id"), nullable=True,
         index=True),
    _col("prospect_id", _ID, sa.ForeignKey("prospect.prospect_id"), nullable=True),
    _col("identification", sa.String(10)),
    # As received (address, number) and normalised (lower-case e-mail, E.164), for search.
    _col("sender", sa.String(255), server_default=""),
    _col("sender_key", sa.String(255), server_default=""),
    _col("recipient", sa.String(255), server_default=""),
    # Threads: the root's external id (e-mail: first of References); the parent interaction
    # once it is known (a reply may arrive before the message it answers).
    _col("thread_key", sa.String(255)),
    _col("parent_external_id", sa.String(255), nullable=True),
    _col("parent_id", _ID, sa.ForeignKey("interaction.interaction_id"), nullable=True),
    _col("topic", sa.String(40), server_default=""),
    # answered, abandoned, received, order_created, order_rejected, needs_review, sent, ...
    _col("outcome", sa.String(20), server_default=""),
    _col("queue", sa.String(40), nullable=True),
    _col("agent", sa.String(40), nullable=True),
    # UTC. started: call start / message date; answered: agent picked up; ended: hang-up.
    _col("started_at", sa.DateTime),
    _col("answered_at", sa.DateTime, nullable=True),
    _col("ended_at", sa.DateTime, nullable=True),
    # Seconds before an answer (or before abandoning), and talk time until the end.
    _col("wait_seconds", sa.Integer, nullable=True),
    _col("handling_seconds", sa.Integer, nullable=True),
    _col("abandoned", sa.Boolean, server_default=sa.false()),
    # The sales order this contact created (or, outbound, confirms); no FK on purpose: the
    # interaction is written first and linked after order entry succeeded.
    _col("order_id", DOC, nullable=True, index=True),
    _col("subject", sa.String(255), server_default=""),
    _col("text_excerpt", sa.String(1000), server_default=""),
    _col("pages", sa.SmallInteger, nullable=True),
    _col("document_type", sa.String(40), nullable=True),
    _col("attachment_count", sa.SmallInteger, server_default="0"),
    # Where it came from (file, folder, HTTP upload) and when Kubus stored it (UTC).
    _col("source_ref", sa.String(255), server_default=""),
    _col("received_at", sa.DateTime),
    sa.UniqueConstraint("channel", "external_id"),
    sa.CheckConstraint(_in("channel", CHANNELS), name="channel"),
    sa.CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
    sa.CheckConstraint(_in("identification", IDENTIFICATIONS), name="identification"),
    sa.Index("ix_interaction_started", "started_at", "channel"),
    sa.Index("ix_interaction_thread", "thread_key"),
    sa.Index("ix_interaction_parent_external", "channel", "parent_external_id"),
)

interaction_attachment = sa.Table(
    "interaction_attachment", metadata,
    _col("interaction_id", _ID, sa.ForeignKey("interaction.interaction_id"), primary_key=True,
         autoincrement=False),
    _col("attachment_no", sa.SmallInteger, primary_key=True, autoincrement=False),
    _col("filename", sa.String(255), server_default=""),
    _col("content_type", sa.String(100)),
    _col("size_bytes", sa.Integer),
)

interaction_candidate = sa.Table(
    "interaction_candidate", metadata,
    _col("interaction_id", _ID, sa.ForeignKey("interaction.interaction_id"), primary_key=True,
         autoincrement=False),
    _col("customer_id", sa.String(10), sa.ForeignKey("customer.customer_id"), primary_key=True),
    # What matched: email, phone, number (a customer number in subject or text), login.
    _col("matched_on", sa.String(10)),
)

quarantine = sa.Table(
    "quarantine", metadata,
    _col("quarantine_id", _ID, primary_key=True, autoincrement=True),
    _col("channel", sa.String(8)),
    # The adapter that failed to read it (web has two: web-forms, web-orders); replay uses it.
    _col("adapter", sa.String(20)),
    _col("source_ref", sa.String(255), server_default=""),
    # The message's own id when it could be read, for finding it again.
    _col("external_id", sa.String(255), nullable=True),
    # The message exactly as received (one message, not the whole batch), for replay, and its
    # SHA-256 (hex): the same malformed message delivered again is not quarantined twice.
    _col("payload", sa.LargeBinary),
    _col("payload_sha256", sa.String(64)),
    _col("reason", sa.String(500)),
    _col("received_at", sa.DateTime),
    _col("status", sa.String(8), server_default="open"),
    _col("attempts", sa.Integer, server_default="1"),
    _col("replayed_at", sa.DateTime, nullable=True),
    _col("interaction_id", _ID, sa.ForeignKey("interaction.interaction_id"), nullable=True),
    sa.CheckConstraint(_in("channel", CHANNELS), name="channel"),
    sa.CheckConstraint(_in("status", QUARANTINE_STATUSES), name="status"),
    sa.Index("ix_quarantine_status", "status", "quarantine_id"),
    sa.Index("ix_quarantine_payload", "adapter", "payload_sha256"),
)
