"""Sync with the county: the controller, enrolment, conflicts and the 同步 menu."""
