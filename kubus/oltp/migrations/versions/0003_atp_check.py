"""ATP check records (issue #4; additive: one new table, nothing else changes).

One row per availability check the ATP checker (``kubus.scheduling.oltp_checker``) makes:
requested and confirmed quantity and date, delay, outcome, plant, material, customer and order
item. Generated with ``alembic revision --autogenerate`` against a database at 0002, then tidied.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "atp_check",
        sa.Column("check_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("check_date", sa.Date(), nullable=False),
        sa.Column("material_id", sa.String(length=18), nullable=False),
        sa.Column("plant", sa.String(length=4), nullable=False),
        sa.Column("customer_id", sa.String(length=10), nullable=True),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("item_no", sa.Integer(), nullable=True),
        sa.Column("checking_group", sa.String(length=2), nullable=False),
        sa.Column("rule", sa.String(length=10), nullable=False),
        sa.Column("requested_qty", sa.Numeric(precision=13, scale=3), nullable=False),
        sa.Column("requested_date", sa.Date(), nullable=False),
        sa.Column("availability_date", sa.Date(), nullable=False),
        sa.Column("confirmed_qty", sa.Numeric(precision=13, scale=3), nullable=False),
        sa.Column("confirmed_date", sa.Date(), nullable=True),
        sa.Column("delay_days", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.CheckConstraint("outcome IN ('full', 'partial', 'none')",
                           name=op.f("ck_atp_check_outcome")),
        sa.CheckConstraint("confirmed_qty >= 0 AND confirmed_qty <= requested_qty",
                           name=op.f("ck_atp_check_confirmed_within_requested")),
        sa.CheckConstraint("requested_qty > 0", name=op.f("ck_atp_check_requested_positive")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.customer_id"],
                                name=op.f("fk_atp_check_customer_id_customer")),
        sa.ForeignKeyConstraint(["material_id", "plant"],
                                ["material_plant.material_id", "material_plant.plant"],
                                name=op.f("fk_atp_check_material_id_plant_material_plant")),
        sa.PrimaryKeyConstraint("check_id", name=op.f("pk_atp_check")),
    )
    op.create_index("ix_atp_check_material_plant", "atp_check",
                    ["material_id", "plant", "check_date"], unique=False)
    op.create_index("ix_atp_check_order", "atp_check", ["order_id", "item_no"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_atp_check_order", table_name="atp_check")
    op.drop_index("ix_atp_check_material_plant", table_name="atp_check")
    op.drop_table("atp_check")
