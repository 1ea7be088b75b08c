"""The county's web pages: sign-in, review queues, bundle upload, devices, townships and
accounts, the registry, service lists, and the public certificate page.

Plain server-rendered HTML without scripts or external assets (county offices are often
offline). The routes live in :mod:`server.routes.pages`; this package holds the session and
CSRF handling, the Jinja2 templates (``templates/``, loaded by :mod:`.templating` with
autoescaping), and one view module per page that turns database rows into the plain values
its template shows.
"""
