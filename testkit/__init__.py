"""Test doubles and fixtures shared by the tests and the benchmarks; never part of the product.

``local_outbox`` (a plain-SQLite reference outbox standing in for many laptops), ``synthetic``
(plausible assessment payloads), ``pgtemp`` (a throw-away PostgreSQL cluster) and ``process``
(the county server run as a real uvicorn process on 127.0.0.1). Neither the desktop build nor
the installed packages include it.
"""
