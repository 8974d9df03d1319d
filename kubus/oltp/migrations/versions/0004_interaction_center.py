"""Interaction center (issue #6; additive: five new tables, nothing else changes).

``interaction`` (one row per contact on any channel, unique per channel and external id),
``interaction_attachment`` (metadata only), ``interaction_candidate`` (customers an ambiguous
contact matched), ``prospect`` (unknown senders) and ``quarantine`` (malformed messages kept
for replay). Generated with ``alembic revision --autogenerate`` against a database at 0003,
then tidied (the boolean default is ``sa.false()`` so that it renders on PostgreSQL too).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prospect",
        sa.Column(
            "prospect_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=80), server_default="", nullable=False),
        sa.Column("email", sa.String(length=120), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("address", sa.String(length=255), server_default="", nullable=False),
        sa.Column("first_channel", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("prospect_id", name=op.f("pk_prospect")),
        sa.UniqueConstraint("email", name=op.f("uq_prospect_email")),
        sa.UniqueConstraint("phone", name=op.f("uq_prospect_phone")),
    )
    op.create_table(
        "interaction",
        sa.Column(
            "interaction_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("customer_id", sa.String(length=10), nullable=True),
        sa.Column(
            "prospect_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("identification", sa.String(length=10), nullable=False),
        sa.Column("sender", sa.String(length=255), server_default="", nullable=False),
        sa.Column("sender_key", sa.String(length=255), server_default="", nullable=False),
        sa.Column("recipient", sa.String(length=255), server_default="", nullable=False),
        sa.Column("thread_key", sa.String(length=255), nullable=False),
        sa.Column("parent_external_id", sa.String(length=255), nullable=True),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("topic", sa.String(length=40), server_default="", nullable=False),
        sa.Column("outcome", sa.String(length=20), server_default="", nullable=False),
        sa.Column("queue", sa.String(length=40), nullable=True),
        sa.Column("agent", sa.String(length=40), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("wait_seconds", sa.Integer(), nullable=True),
        sa.Column("handling_seconds", sa.Integer(), nullable=True),
        sa.Column("abandoned", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("subject", sa.String(length=255), server_default="", nullable=False),
        sa.Column("text_excerpt", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("pages", sa.SmallInteger(), nullable=True),
        sa.Column("document_type", sa.String(length=40), nullable=True),
        sa.Column("attachment_count", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("source_ref", sa.String(length=255), server_default="", nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('phone', 'email', 'fax', 'letter', 'chat', 'web')",
            name=op.f("ck_interaction_channel"),
        ),
        sa.CheckConstraint("direction IN ('in', 'out')", name=op.f("ck_interaction_direction")),
        sa.CheckConstraint(
            "identification IN ('identified', 'ambiguous', 'prospect')",
            name=op.f("ck_interaction_identification"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.customer_id"],
            name=op.f("fk_interaction_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["interaction.interaction_id"],
            name=op.f("fk_interaction_parent_id_interaction"),
        ),
        sa.ForeignKeyConstraint(
            ["prospect_id"],
            ["prospect.prospect_id"],
            name=op.f("fk_interaction_prospect_id_prospect"),
        ),
        sa.PrimaryKeyConstraint("interaction_id", name=op.f("pk_interaction")),
        sa.UniqueConstraint(
            "channel", "external_id", name=op.f("uq_interaction_channel_external_id")
        ),
    )
    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interaction_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_interaction_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            "ix_interaction_parent_external", ["channel", "parent_external_id"], unique=False
        )
        batch_op.create_index("ix_interaction_started", ["started_at", "channel"], unique=False)
        batch_op.create_index("ix_interaction_thread", ["thread_key"], unique=False)

    op.create_table(
        "interaction_attachment",
        sa.Column(
            "interaction_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("attachment_no", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("filename", sa.String(length=255), server_default="", nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.interaction_id"],
            name=op.f("fk_interaction_attachment_interaction_id_interaction"),
        ),
        sa.PrimaryKeyConstraint(
            "interaction_id", "attachment_no", name=op.f("pk_interaction_attachment")
        ),
    )
    op.create_table(
        "interaction_candidate",
        sa.Column(
            "interaction_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("customer_id", sa.String(length=10), nullable=False),
        sa.Column("matched_on", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.customer_id"],
            name=op.f("fk_interaction_candidate_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.interaction_id"],
            name=op.f("fk_interaction_candidate_interaction_id_interaction"),
        ),
        sa.PrimaryKeyConstraint(
            "interaction_id", "customer_id", name=op.f("pk_interaction_candidate")
        ),
    )
    op.create_table(
        "quarantine",
        sa.Column(
            "quarantine_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("adapter", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=255), server_default="", nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="open", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column("replayed_at", sa.DateTime(), nullable=True),
        sa.Column(
            "interaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.CheckConstraint(
            "channel IN ('phone', 'email', 'fax', 'letter', 'chat', 'web')",
            name=op.f("ck_quarantine_channel"),
        ),
        sa.CheckConstraint("status IN ('open', 'replayed')", name=op.f("ck_quarantine_status")),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.interaction_id"],
            name=op.f("fk_quarantine_interaction_id_interaction"),
        ),
        sa.PrimaryKeyConstraint("quarantine_id", name=op.f("pk_quarantine")),
    )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.create_index("ix_quarantine_status", ["status", "quarantine_id"], unique=False)
        batch_op.create_index("ix_quarantine_payload", ["adapter", "payload_sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index("ix_quarantine_payload")
        batch_op.drop_index("ix_quarantine_status")

    op.drop_table("quarantine")
    op.drop_table("interaction_candidate")
    op.drop_table("interaction_attachment")
    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.drop_index("ix_interaction_thread")
        batch_op.drop_index("ix_interaction_started")
        batch_op.drop_index("ix_interaction_parent_external")
        batch_op.drop_index(batch_op.f("ix_interaction_order_id"))
        batch_op.drop_index(batch_op.f("ix_interaction_customer_id"))

    op.drop_table("interaction")
    op.drop_table("prospect")
