"""The sync wire layer: what laptops and the county server agree on, with no store behind it.

The change format and its hash chain (``changes``), the hybrid logical clock (``hlc``), the
field-level merge rule both sides apply (``merge``), the narrow contract a local store offers
sync (``outbox``: :class:`~assessment.wire.outbox.Outbox`, sync state, county notices), the
county's own device and its actions (``countydevice``), keys and signatures (``crypto``,
``device``, ``requestsig``), the enrolment messages (``enrolment``, ``profile``), and the
offline bundle and receipt files (``bundle``, ``receipt``).

It imports only the lowest core modules (errors, ids, identity, device keys): the local store
(:mod:`assessment.records`) and the county server both build on it, and the HTTP client
(:mod:`assessment.sync`) sits above the store.
"""
