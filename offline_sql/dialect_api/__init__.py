"""What a dialect implements and the core calls.

:mod:`~offline_sql.dialect_api.base` declares the :class:`Dialect` every database subclasses
(capability flags, default renderings); :mod:`~offline_sql.dialect_api.registry` finds a
database's dialect by name, importing it on first use; the other modules are the shared
machinery dialects build on (SQLAlchemy constructs, compiling, literals, the column as it is
before an ALTER, raw SQL refused in a transaction, lock helpers). The databases themselves
live in the top-level ``dialects/`` folder, installed as ``offline_sql.dialects``: the core
never imports them by name. Kept empty so a submodule imports alone.
"""
