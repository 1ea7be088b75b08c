"""The county's web pages: sign-in, review queues, bundle upload, devices.

Plain server-rendered HTML without scripts or external assets (county offices are often
offline). The routes live in :mod:`server.routes.pages`; this package holds the session and
CSRF handling, the safe HTML builder, and one view module per page.
"""
