"""Inbound email: replies, auto-replies and mailto unsubscribes, matched to their thread or not.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMPTY_TEXT_ARRAY = sa.text("'{}'::text[]")


def upgrade() -> None:
    op.create_table(
        "inbound_emails",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("sent_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("from_address", sa.Text(), nullable=True),
        sa.Column("from_name", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column(
            "to_addresses", sa.ARRAY(sa.Text()), server_default=EMPTY_TEXT_ARRAY, nullable=False
        ),
        sa.Column("subject", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("text_body", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("reply_text", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=True),
        sa.Column(
            "in_reply_to", sa.ARRAY(sa.Text()), server_default=EMPTY_TEXT_ARRAY, nullable=False
        ),
        sa.Column(
            "references", sa.ARRAY(sa.Text()), server_default=EMPTY_TEXT_ARRAY, nullable=False
        ),
        sa.Column("is_auto_reply", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("s3_bucket", sa.Text(), nullable=False),
        sa.Column("s3_key", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("matched_by", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "matched_by IN ('reply_address', 'message_id', 'unsubscribe_address')",
            name=op.f("ck_inbound_emails_matched_by"),
        ),
        sa.CheckConstraint(
            "(matched_by IS NULL AND user_id IS NULL AND sent_id IS NULL AND contact_id IS NULL)"
            " OR (matched_by IS NOT NULL AND user_id IS NOT NULL)",
            name=op.f("ck_inbound_emails_matched_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["sent_id"],
            ["agent_outreach_sent.id"],
            name=op.f("fk_inbound_emails_sent_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["saved_speaker_profiles.id"],
            name=op.f("fk_inbound_emails_contact_id"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_emails")),
    )
    op.create_index(
        "ix_inbound_emails_user_created",
        "inbound_emails",
        ["user_id", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
    )
    op.create_index(
        "uq_inbound_emails_s3_object", "inbound_emails", ["s3_bucket", "s3_key"], unique=True
    )
    op.create_index("ix_inbound_emails_sent_id", "inbound_emails", ["sent_id"])
    op.create_index("ix_inbound_emails_contact_id", "inbound_emails", ["contact_id"])


def downgrade() -> None:
    op.drop_table("inbound_emails")
