"""The databases mig knows: one package per database, and this registry.

Installed as ``offline_sql.dialects`` (``package-dir`` in ``pyproject.toml``), so nothing
named ``dialects`` lands at the top of ``site-packages``. The core reads these tables through
:mod:`offline_sql.dialect_api.registry` and imports a database's package only by name, on
first use: plain data here, so reading them imports neither SQLAlchemy nor any dialect.
Adding a database is one ``REGISTRY`` line (and an alias or URL line if it needs one).
"""

REGISTRY: dict[str, str] = {
    "postgresql": "offline_sql.dialects.postgresql.dialect:PostgreSQLDialect",
    "mysql": "offline_sql.dialects.mysql.dialect:MySQLDialect",
    "mariadb": "offline_sql.dialects.mysql.dialect:MariaDBDialect",
    "sqlite": "offline_sql.dialects.sqlite.dialect:SQLiteDialect",
    "mssql": "offline_sql.dialects.mssql.dialect:MSSQLDialect",
    "oracle": "offline_sql.dialects.oracle.dialect:OracleDialect",
}
"""Dialect name (as given to ``--dialect`` and in config) -> "module:class"."""

ALIASES: dict[str, str] = {
    "postgres": "postgresql",
    "pg": "postgresql",
    "pgsql": "postgresql",
    "sqlserver": "mssql",
    "sql-server": "mssql",
    "sqlite3": "sqlite",
}
"""Other spellings users type for a dialect -> its name in :data:`REGISTRY`. A
SQLAlchemy-style ``name+driver`` (``postgresql+psycopg``) is accepted too: the driver
does not change the SQL, so it is dropped (``registry.canonical_name``)."""

URL_ALIASES: dict[str, str] = {"postgres": "postgresql"}
"""URL backends spelled otherwise than the dialect name (``postgres://`` as Heroku writes it)."""

FILE_URL_BACKENDS: frozenset[str] = frozenset({"sqlite"})
"""URL backends whose database is a file named by the URL's path (``sqlite:///app.db``)."""
