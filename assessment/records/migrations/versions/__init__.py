"""Revisions of the local store schema, oldest first."""
