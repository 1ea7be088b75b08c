"""The county server's database: schema (SQLAlchemy Core), engine set-up and migrations."""
