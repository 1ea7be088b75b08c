"""The county server's own schema, as SQLAlchemy Core tables (SQLite and PostgreSQL alike).

Ingest is written against Core rather than the ORM so that one batch costs a few
``executemany`` statements. JSON travels as canonical text (``Text``), identical on both
back ends. ``received_changes.id`` is the township feed cursor.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)
_BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only

townships = Table(
    "townships", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("township_id", ForeignKey("townships.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

devices = Table(
    "devices", metadata,
    Column("device_id", String(64), primary_key=True),
    # Both NULL for the county's own pseudo-device only (server.county_device): it belongs to
    # no account and writes into every township's feed; it can never sign in.
    Column("account_id", ForeignKey("accounts.id"), nullable=True),
    Column("township_id", ForeignKey("townships.id"), nullable=True),
    Column("sign_public_key", String(64), nullable=False, unique=True),
    Column("box_public_key", String(64), nullable=False),
    Column("label", String(100), nullable=False),
    Column("enrolled_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    # The contiguous prefix of this device's chain the county holds (what it acknowledges).
    Column("acked_seq", BigInteger, nullable=False),
    Column("acked_hash", String(64), nullable=False),
    Column("max_seq", BigInteger, nullable=False),
    Column("last_seen_at", DateTime(timezone=True)),
)

enrolment_codes = Table(
    "enrolment_codes", metadata,
    Column("id", Integer, primary_key=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("used_by", String(64)),
)

received_changes = Table(
    "received_changes", metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("device_id", ForeignKey("devices.device_id"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("record_type", String(32), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("hlc", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("township_id", ForeignKey("townships.id"), nullable=False),
    # push | bundle | county (a county decision) | transfer (a county copy for a feed)
    Column("source", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # applied | quarantined
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("device_id", "seq", name="uq_received_changes_device_seq"),
    Index("ix_received_changes_feed", "township_id", "id"),
    Index("ix_received_changes_record", "record_type", "record_id", "version"),
)

record_heads = Table(
    "record_heads", metadata,
    Column("record_type", String(32), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("hlc", BigInteger, nullable=False),
    Column("township_id", ForeignKey("townships.id"), nullable=False),
    Column("payload", Text, nullable=False),
    Column("grade", Integer),  # assessments: the server's recomputed final grade
    Column("status", String(16)),  # assessments: draft | finalized | superseded
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The elder a head is about: its own id for an elder, the payload's ``elder_id`` (a
    # string) for an assessment, else NULL; finds an elder's assessments without a scan.
    Column("elder_id", String(64)),
    Index("ix_record_heads_elder", "elder_id", "record_type"),
)

# The current state of every elder and assessment, kept by ingest in the same transaction
# (server.current_state) so that statistics read a few columns instead of every payload.
elder_state = Table(
    "elder_state", metadata,
    Column("elder_id", String(64), primary_key=True),
    Column("township_id", Integer, nullable=False),  # where the county holds the elder
    Column("name", Text),
    Column("village", Text),
    Column("sex", String(8)),
    Column("birth_date", Date),
    Column("attributes", Text, nullable=False),  # the profile's attributes, canonical JSON
    Column("current_assessment", String(64)),  # latest finalized, by reference date
    Column("current_grade", Integer),  # its grade (the server's), NULL: never assessed
    Column("last_assessed", Date),  # its reference date
    Column("due_on", Date),  # routine re-assessment due (last_assessed + 12 months)
    Column("left_on", Date),  # deregistered or merged on this day (lifecycle head)
    # 探访关爱 (server.visit_state): the latest visit date, open / closed referrals, and the
    # tier under plan ``visit_plan`` valid from ``tier_from`` to ``tier_until`` (ages)
    Column("last_visit", Date),
    Column("referrals_open", Integer, nullable=False, server_default="0"),
    Column("referrals_closed", Integer, nullable=False, server_default="0"),
    Column("visit_plan", String(128)),
    Column("visit_tier", Integer),  # the tier's position in the plan, -1: none
    Column("visit_undetermined", Boolean),
    Column("tier_from", Date),
    Column("tier_until", Date),
    Index("ix_elder_state_township", "township_id"),
)

assessment_state = Table(
    "assessment_state", metadata,
    Column("assessment_id", String(64), primary_key=True),
    Column("elder_id", String(64), nullable=False),
    Column("township_id", Integer, nullable=False),  # the assessment head's township
    Column("status", String(16), nullable=False),  # finalized | superseded
    Column("grade", Integer),
    Column("reference_date", Date),
    Column("reason", Text),
    Column("finalized_at", Text),
    Column("elder_township", Integer),  # its elder's (elder_state), NULL: no such elder
    Index("ix_assessment_state_elder", "elder_id"),
)

# Per elder, every profile field's value and the write that set it, as one JSON object
# {path: [value, hlc, device_id, version]} (server.field_state; migration 0010).
elder_field_state = Table(
    "elder_field_state", metadata,
    Column("record_id", String(64), primary_key=True),
    Column("fields", Text, nullable=False),
)

conflicts = Table(
    "conflicts", metadata,
    Column("id", Integer, primary_key=True),
    Column("township_id", ForeignKey("townships.id"), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("field", String(128), nullable=False),
    Column("winner_value", Text, nullable=False),
    Column("winner_device", String(64), nullable=False),
    Column("winner_hlc", BigInteger, nullable=False),
    Column("loser_value", Text, nullable=False),
    Column("loser_device", String(64), nullable=False),
    Column("loser_hlc", BigInteger, nullable=False),
    Column("review_required", Boolean, nullable=False),
    Column("status", String(16), nullable=False),  # open | auto | resolved
    Column("resolution", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
)

quarantine = Table(
    "quarantine", metadata,
    Column("id", Integer, primary_key=True),
    Column("township_id", ForeignKey("townships.id"), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("record_type", String(32), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("code", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("change_json", Text, nullable=False),
    Column("status", String(16), nullable=False),  # open | released | dismissed
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
)

grade_mismatches = Table(
    "grade_mismatches", metadata,
    Column("id", Integer, primary_key=True),
    Column("township_id", ForeignKey("townships.id"), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("assessment_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("claimed", Text, nullable=False),
    Column("computed", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False),  # open | resolved
    Column("resolution", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
)

chain_gaps = Table(
    "chain_gaps", metadata,
    Column("id", Integer, primary_key=True),
    Column("device_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # gap | link | fork
    Column("from_seq", BigInteger, nullable=False),
    Column("to_seq", BigInteger, nullable=False),
    Column("detail", Text, nullable=False),
    Column("status", String(16), nullable=False),  # open | closed
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
)

transfers = Table(
    "transfers", metadata,
    Column("id", Integer, primary_key=True),
    Column("elder_id", String(64), nullable=False, index=True),
    Column("from_township_id", ForeignKey("townships.id"), nullable=False),
    Column("to_township_id", ForeignKey("townships.id"), nullable=False),
    Column("assessments", Integer, nullable=False),  # assessment heads moved with the elder
    Column("note", Text, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

receipts = Table(
    "receipts", metadata,
    Column("id", Integer, primary_key=True),
    Column("receipt_id", String(64), nullable=False, unique=True),
    Column("bundle_id", String(64), nullable=False, unique=True),
    Column("bundle_sha256", String(64), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("seq_from", BigInteger, nullable=False),
    Column("seq_to", BigInteger, nullable=False),
    Column("acked_seq", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

list_versions = Table(
    "list_versions", metadata,
    Column("id", Integer, primary_key=True),
    Column("list_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", Text, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    # the county's signature over the content, made at the first download, and the id of
    # the key that made it (signed again when the county key changes) (0008)
    Column("signature", Text),
    Column("signed_key", String(64)),
    UniqueConstraint("list_id", "version", name="uq_list_versions_list_version"),
)

visit_plan_versions = Table(
    "visit_plan_versions", metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_ref", String(140), nullable=False, unique=True),  # <plan>@<version>
    Column("sha256", String(64), nullable=False),
    Column("content", Text, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(64), nullable=False),
    Column("detail", Text, nullable=False),  # never personal data: ids and counts only
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

request_nonces = Table(
    "request_nonces", metadata,
    Column("device_id", String(64), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("seen_at", BigInteger, nullable=False, index=True),
)

operators = Table(
    "operators", metadata,  # the county office's named accounts for the web pages
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("role", String(16), nullable=False),  # admin (管理员) | reviewer (审核员)
    Column("password_hash", Text, nullable=False),  # scrypt, with its salt and cost
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True)),
    # wrong passwords in a row and the last one's time: the sign-in lock (0008)
    Column("failed_signins", Integer, nullable=False, server_default="0"),
    Column("failed_at", DateTime(timezone=True)),
)

web_sessions = Table(
    "web_sessions", metadata,  # in the database so that several server processes share them
    Column("key_hash", String(64), primary_key=True),  # SHA-256 of the cookie value
    Column("operator_id", ForeignKey("operators.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),  # idle timeout from here
    Column("flashes", Text, nullable=False),  # JSON [[kind, text], ...] for the next page
)

duplicate_dismissals = Table(
    "duplicate_dismissals", metadata,  # pairs decided "不是同一人": out of the duplicate queue
    Column("first_id", String(64), primary_key=True),  # the smaller elder record id
    Column("second_id", String(64), primary_key=True),
    Column("note", Text, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
