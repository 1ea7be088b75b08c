"""Widgets and helpers shared by the feature packages: fields, tables, background tasks."""
