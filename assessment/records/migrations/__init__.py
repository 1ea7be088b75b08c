"""Alembic migrations of the local store (run at open by assessment.records.migrate)."""
