"""Synchronisation: the change log format, hybrid clock, bundles and the HTTP client.

A *change* is the unit of sync (DESIGN.md §4): one new version of one record, numbered by a
per-device sequence and chained by hash so that the county sees any gap at once.
"""
