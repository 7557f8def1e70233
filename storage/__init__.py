"""Persistence for terugbel: models, migrations, atomic slot booking, retention and the callback list.

Schema changes go through Alembic (``storage.migrate.upgrade``); bookings through
``storage.bookings.book_callback``, which never exceeds a slot's capacity on SQLite or PostgreSQL.
"""
