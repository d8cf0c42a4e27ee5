"""What each golden scenario's migrations ask for, written down by hand, and a checker.

Offline and online runs can agree and both be wrong (one renderer feeds both), so every
scenario also states its *intent*: read off the migration scripts, not off mig's output.
:func:`observe` describes a database (schema snapshot, version rows, typed table rows,
partial-index predicates, enum labels); :func:`check` lists where it misses the intent.

Spelling of expectations (``INTENTS``):

* Types are written once in a neutral spelling (``INTEGER``, ``NUMERIC(8, 2)``,
  ``BOOLEAN``) and compared after :func:`canonical_type`; where databases really store
  something else, :class:`ByDialect` gives each database its own expectation.
* Defaults are the literal value (``"none"``, ``"1.00"``): :func:`canonical_default`
  drops the quotes and the ``::type`` casts the database adds when it reports them.
* Comments are checked on databases that keep them (``COMMENTS``).
* ``rows`` lists every row of the table, ordered by primary key, as Python values read
  through the declared column types; :data:`FROM_SCRIPT` means "the rows the scenario's
  ``op.bulk_insert`` calls pass", adjusted by :func:`stored` to what the declared type
  can hold on that database (documented in ``docs/known-differences.md``).
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

import sqlalchemy as sa
from reflection import Snapshot, diff, normalize_sql, snapshot

from offline_sql import progress
from offline_sql.config import Config
from offline_sql.operations import BulkInsert
from offline_sql.project import Project, record_operations, replay_state


class ByDialect(dict[str, Any]):
    """An expectation that differs by database: ``ByDialect(mariadb=..., default=...)``."""

    def __init__(self, default: Any = None, **per_dialect: Any) -> None:
        super().__init__(per_dialect)
        self.default = default

    def pick(self, dialect: str) -> Any:
        return self.get(dialect, self.default)


def resolve(value: Any, dialect: str) -> Any:
    return value.pick(dialect) if isinstance(value, ByDialect) else value


class _FromScript:
    """Sentinel: the rows the scenario's ``op.bulk_insert`` calls insert."""

    def __repr__(self) -> str:
        return "FROM_SCRIPT"


FROM_SCRIPT = _FromScript()

COMMENTS = {"postgresql": True, "mariadb": True, "sqlite": False}
"""Databases that store table and column comments."""

PRIMARY_KEY_NAMES = {"postgresql": True, "mariadb": False, "sqlite": True}
"""MariaDB names every primary key ``PRIMARY``: a chosen name is not kept."""

IMPLICIT_FK_ACTION = {"mariadb": "RESTRICT"}
"""What an absent ON DELETE/ON UPDATE means where it is not NO ACTION: InnoDB treats NO
ACTION as RESTRICT and ``SHOW CREATE TABLE`` leaves RESTRICT out."""


class ColumnIntent(TypedDict, total=False):
    type: str | ByDialect
    nullable: bool
    default: str | ByDialect | None
    comment: str | None
    enum: list[str]
    """Enum labels (PostgreSQL: the named type's; MariaDB: the ENUM column's)."""


class ForeignKeyIntent(TypedDict, total=False):
    name: str
    ondelete: str | None
    onupdate: str | None


class IndexIntent(TypedDict, total=False):
    columns: list[str]
    unique: bool
    where: str | ByDialect | None
    """PostgreSQL partial index predicate (None: a full index)."""


class TableIntent(TypedDict, total=False):
    column_order: list[str]
    columns: dict[str, ColumnIntent]
    primary_key: list[str]
    primary_key_name: str
    foreign_keys: dict[str, ForeignKeyIntent]
    """``"(col) -> table(col)"`` as reflection.py keys them."""
    unique: dict[str, str | None]
    """``"(cols)"`` -> constraint name (None: a name the database chose)."""
    checks: dict[str, str | ByDialect]
    """constraint name -> condition (canonical SQL)."""
    indexes: dict[str, IndexIntent]
    absent_indexes: list[str]
    comment: str | None
    rows: list[dict[str, Any]] | _FromScript | ByDialect


class ScenarioIntent(TypedDict, total=False):
    versions: list[str]
    tables: dict[str, TableIntent]
    """Every table besides the version table: any other table is unexpected."""
    enums: dict[str, list[str]]
    """PostgreSQL named enum types; other databases must have none."""


INTENTS: dict[str, ScenarioIntent] = {
    "add_drop_column": {
        "versions": ["b10000000003"],
        "tables": {
            "accounts": {
                "column_order": ["id", "login", "nickname", "score", "status", "team_id"],
                "columns": {
                    "nickname": {"type": "VARCHAR(50)", "nullable": True, "default": None},
                    "score": {"type": "INTEGER", "nullable": False, "default": "0"},
                    "status": {
                        "type": "VARCHAR(20)",
                        "nullable": False,
                        "default": "new",
                        "comment": "lifecycle state",
                    },
                    "team_id": {"type": "INTEGER", "nullable": True},
                },
                "foreign_keys": {"(team_id) -> teams(id)": {"name": "fk_accounts_team"}},
            },
            "teams": {"column_order": ["id", "name"]},
        },
    },
    "alter_column": {
        "versions": ["c10000000002"],
        "tables": {
            "products": {
                "column_order": ["id", "sku", "name", "price", "weight", "descr"],
                "columns": {
                    "sku": {"type": "VARCHAR(40)", "nullable": False, "default": "none"},
                    "name": {"type": "VARCHAR(100)", "nullable": False, "default": None},
                    "price": {"type": "NUMERIC(8, 2)", "nullable": False, "default": "1.00"},
                    "weight": {"type": "INTEGER", "nullable": False, "default": "0"},
                    "descr": {
                        "type": "VARCHAR(200)",
                        "nullable": True,
                        "comment": "shown on the product page",
                    },
                },
                "primary_key": ["id"],
                "indexes": {"ix_products_title": {"columns": ["name"], "unique": False}},
                "rows": [],
            }
        },
    },
    "batch_alter": {
        "versions": ["j10000000002"],
        "tables": {
            "members": {
                "column_order": ["id", "handle", "age", "bio"],
                "columns": {
                    "age": {"type": "BIGINT", "nullable": False, "default": "0"},
                    "bio": {"type": "VARCHAR(200)", "nullable": True},
                    "handle": {"type": "VARCHAR(30)", "nullable": False},
                },
                "unique": {"(handle)": "uq_members_handle"},
                "checks": {"ck_members_age": "age >= 0"},
                "indexes": {"ix_members_handle": {"columns": ["handle"], "unique": False}},
                "rows": [
                    {"id": 1, "handle": "ada", "age": 36, "bio": None},
                    {"id": 2, "handle": "bob", "age": 40, "bio": None},
                ],
            }
        },
    },
    "branches_merge": {
        "versions": ["k40000000002"],
        "tables": {
            "shops": {"column_order": ["id", "name"]},
            "invoices": {
                "foreign_keys": {"(shop_id) -> shops(id)": {"name": "fk_invoices_shop"}},
            },
            "items": {
                "columns": {"quantity": {"type": "INTEGER", "nullable": False, "default": "0"}},
                "indexes": {"ix_items_shop_id": {"columns": ["shop_id"], "unique": False}},
            },
        },
    },
    "comments": {
        "versions": ["g10000000002"],
        "tables": {
            "parcels": {
                "comment": "one row per shipped box; it's never deleted",
                "columns": {
                    "weight_g": {
                        "type": "INTEGER",
                        "nullable": False,
                        "comment": "grams, rounded up to 10 g",
                    }
                },
            }
        },
    },
    "constraints": {
        "versions": ["e10000000002"],
        "tables": {
            "authors": {
                "primary_key": ["id"],
                "primary_key_name": "pk_authors",
                "unique": {"(pen_name)": "uq_authors_pen_name"},
            },
            "books": {
                "foreign_keys": {
                    "(author_id) -> authors(id)": {
                        "name": "fk_books_author",
                        "ondelete": "RESTRICT",
                        "onupdate": "CASCADE",
                    }
                },
                "checks": {"ck_books_pages": "pages > 0"},
                "unique": {"(isbn)": "uq_books_isbn"},
            },
        },
    },
    "create_tables": {
        "versions": ["a10000000002"],
        "tables": {
            "customers": {
                "comment": "people who buy things",
                "column_order": [
                    "id",
                    "email",
                    "name",
                    "balance",
                    "active",
                    "notes",
                    "created_at",
                ],
                "columns": {
                    "email": {"type": "VARCHAR(200)", "nullable": False},
                    "name": {"type": "VARCHAR(100)", "nullable": False, "default": "anonymous"},
                    "balance": {
                        "type": "NUMERIC(12, 2)",
                        "nullable": False,
                        "default": ByDialect("0", mariadb="0.00"),
                    },
                    "active": {
                        "type": "BOOLEAN",
                        "nullable": False,
                        "default": ByDialect("1", postgresql="true"),
                    },
                    "notes": {
                        "type": "TEXT",
                        "nullable": True,
                        "comment": "free text, never shown to customers",
                    },
                    "created_at": {
                        "type": ByDialect("DATETIME", postgresql="TIMESTAMP WITHOUT TIME ZONE"),
                        "nullable": False,
                        "default": "current_timestamp",
                    },
                },
                "unique": {"(email)": None},
                "checks": {"ck_customers_balance": "balance >= 0"},
            },
            "orders": {
                "foreign_keys": {
                    "(customer_id) -> customers(id)": {
                        "name": "fk_orders_customer",
                        "ondelete": "CASCADE",
                        "onupdate": None,
                    }
                },
                "unique": {"(customer_id, reference)": "uq_orders_customer_reference"},
                "indexes": {"ix_orders_placed_on": {"columns": ["placed_on"], "unique": False}},
                "columns": {"placed_on": {"type": "DATE", "nullable": False}},
            },
            "audit_log": {
                "columns": {
                    "id": {"type": "BIGINT", "nullable": False},
                    "happened_at": {
                        "type": ByDialect("DATETIME", postgresql="TIMESTAMP WITH TIME ZONE"),
                        "nullable": False,
                    },
                    "payload": {
                        "type": ByDialect("JSON", mariadb="LONGTEXT"),
                        "nullable": True,
                    },
                    "digest": {
                        "type": ByDialect("BLOB", postgresql="BYTEA", mariadb="TINYBLOB"),
                    },
                },
                "indexes": {"ix_audit_log_actor": {"columns": ["actor"], "unique": False}},
            },
        },
    },
    "depends_on": {
        # o20000000001 depends on o10000000001, so it absorbs that head (plan.py's rule).
        "versions": ["o20000000001"],
        "tables": {
            "users": {"column_order": ["id"]},
            "reports": {"foreign_keys": {"(user_id) -> users(id)": {"name": "fk_reports_user"}}},
        },
    },
    "downgrade_base": {"versions": [], "tables": {}},
    "enums": {
        "versions": ["n10000000002"],
        "tables": {
            "tickets": {
                "columns": {
                    "status": {
                        "type": ByDialect(
                            "VARCHAR(9)",
                            postgresql="TICKET_STATUS",
                            mariadb="ENUM('OPEN','CLOSED','WON''T FIX')",
                        ),
                        "nullable": False,
                        "default": "open",
                        "enum": ["open", "closed", "won't fix"],
                    }
                }
            }
        },
        "enums": {"ticket_status": ["open", "closed", "won't fix"]},
    },
    "type_checks": {
        "versions": ["q10000000002"],
        "tables": {
            "jobs": {
                "columns": {"status": {"type": "VARCHAR(4)", "nullable": False}},
                "checks": {
                    "ck_jobs_status": ByDialect(
                        "status IN ('new', 'done', 'held')",
                        postgresql="status= ANY (ARRAY['new', 'done', 'held'][])",
                        mariadb="status IN ('new','done','held')",
                    )
                },
                "rows": [
                    {"id": 1, "status": "new", "urgent": False},
                    {"id": 2, "status": "held", "urgent": True},
                ],
            }
        },
    },
    "execute": {
        "versions": ["h10000000002"],
        "tables": {
            "settings": {
                "rows": [
                    {"name": "greeting", "value": "tab\there"},
                    {"name": "path", "value": "C:\\temp\\new"},
                    {"name": "time", "value": "10:30 at the café"},
                ]
            }
        },
    },
    "hostile_literals": {
        "versions": ["i10000000001"],
        "tables": {"samples": {"rows": FROM_SCRIPT}},
    },
    "indexes": {
        "versions": ["d10000000002"],
        "tables": {
            "events": {
                "indexes": {
                    "ix_events_kind_source": {"columns": ["kind", "source"], "unique": False},
                    "uq_events_code": {"columns": ["code"], "unique": True},
                    "ix_events_live_kind": {
                        "columns": ["kind"],
                        "unique": False,
                        "where": ByDialect(None, postgresql="deleted = false"),
                    },
                    "ix_events_source": {"columns": ["source"], "unique": False, "where": None},
                },
                "columns": {
                    "deleted": {
                        "type": "BOOLEAN",
                        "nullable": False,
                        "default": ByDialect("0", postgresql="false"),
                    }
                },
            }
        },
    },
    "mssql_defaults": {
        "versions": ["m10000000002"],
        "tables": {
            "orders": {
                "column_order": ["id", "status", "amount", "note"],
                "columns": {
                    "status": {"type": "VARCHAR(20)", "nullable": False, "default": "open"},
                    "amount": {
                        "type": "NUMERIC(12, 2)",
                        "nullable": False,
                        "default": ByDialect("0", mariadb="0.00"),
                    },
                    "note": {"type": "VARCHAR(100)", "nullable": True, "default": None},
                },
            }
        },
    },
    "narrowing": {
        "versions": ["n10000000002"],
        "tables": {
            "accounts": {
                "column_order": ["id", "visits", "balance"],
                "columns": {
                    "visits": {"type": "BIGINT", "nullable": False},
                    "balance": {"type": "NUMERIC(8, 2)", "nullable": True},
                },
                "rows": FROM_SCRIPT,
            }
        },
    },
    "rename_table": {
        "versions": ["f10000000002"],
        "tables": {
            "customers": {"column_order": ["id", "name"], "primary_key": ["id"]},
            "invoices": {
                "foreign_keys": {"(client_id) -> customers(id)": {"name": "fk_invoices_client"}}
            },
        },
    },
    "stamp": {"versions": ["m10000000002"], "tables": {}},
    "time_of_day": {
        "versions": ["p10000000001"],
        "tables": {"opening_hours": {"rows": FROM_SCRIPT, "primary_key": ["day"]}},
    },
    "long_text": {
        "versions": ["q10000000001"],
        "tables": {"articles": {"column_order": ["id", "body"], "rows": FROM_SCRIPT}},
    },
    "multiline_comments": {
        "versions": ["r10000000002"],
        "tables": {
            "notes": {
                "comment": "one note per line\r\nEXIT\r\n$(SQLCMDSERVER)",
                "columns": {
                    "status": {
                        "type": "VARCHAR(60)",
                        "nullable": False,
                        # MariaDB's information_schema shows a default's line breaks as \n.
                        "default": ByDialect(
                            "new\nGO\n!! echo pwned", mariadb="new\\nGO\\n!! echo pwned"
                        ),
                        "comment": "state:\n:r evil.sql\nED",
                    }
                },
            }
        },
    },
    "identity_inserts": {
        "versions": ["s10000000001"],
        "tables": {
            "tags": {
                "rows": [
                    {"id": 1, "name": "generated one"},
                    {"id": 2, "name": "generated two"},
                    {"id": 101, "name": "explicit"},
                    {"id": 102, "name": "explicit too"},
                ]
            },
            "codes": {"rows": FROM_SCRIPT},
        },
    },
    "retyped_keys": {
        "versions": ["t10000000002"],
        "tables": {
            "products": {
                "columns": {"id": {"type": "BIGINT", "nullable": False}},
                "primary_key": ["id"],
                "rows": [{"id": 1, "name": "kettle"}, {"id": 2, "name": "teapot"}],
            },
            "order_lines": {
                "columns": {"product_id": {"type": "BIGINT", "nullable": False}},
                "foreign_keys": {"(product_id) -> products(id)": {"name": "fk_lines_product"}},
                "rows": [{"id": 1, "product_id": 2}, {"id": 2, "product_id": 1}],
            },
        },
    },
}


# ---- observing a database ---------------------------------------------------------------


@dataclass
class Observed:
    """What one database holds, as plain data (compared offline versus online)."""

    snapshot: Snapshot
    rows: dict[str, list[dict[str, Any]]]
    """Every table's rows through the declared column types, ordered by primary key."""
    index_where: dict[str, str | None]
    """``table.index`` -> PostgreSQL partial-index predicate (canonical SQL)."""
    enum_labels: dict[str, list[str]]
    """``table.column`` -> enum labels, case kept (reflection.py upper-cases types)."""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def observe(engine: sa.Engine, config: Config) -> Observed:
    """Describe the database behind ``engine``, a database migrated with ``config``'s project."""
    snap = snapshot(engine, version_table=config.version_table)
    project = Project.load(config)
    # A half-applied revision's "in progress" row is no revision to replay to.
    revisions = [v for v in snap["versions"] or () if not progress.is_marker(v)]
    state = replay_state(project, revisions)
    metadata = sa.MetaData()
    rows: dict[str, list[dict[str, Any]]] = {}
    where: dict[str, str | None] = {}
    labels: dict[str, list[str]] = {}
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for name in snap["tables"]:
            key = (None, name)
            table = (
                state.to_table(key, metadata)
                if key in state.tables
                else sa.Table(name, metadata, autoload_with=conn)
            )
            order = list(table.primary_key.columns) or list(table.columns)
            result = conn.execute(sa.select(table).order_by(*order))
            rows[name] = [dict(row._mapping) for row in result]
            for ix in inspector.get_indexes(name):
                predicate = (ix.get("dialect_options") or {}).get("postgresql_where")
                where[f"{name}.{ix['name']}"] = canonical_sql(predicate)
            for col in inspector.get_columns(name):
                enums = getattr(col["type"], "enums", None)
                if enums:
                    labels[f"{name}.{col['name']}"] = list(enums)
    return Observed(snap, rows, where, labels)


def differences(a: Observed, b: Observed, labels: tuple[str, str]) -> list[str]:
    """Everything that tells two observed databases apart, in words (empty: the same)."""
    out = diff(a.snapshot, b.snapshot, labels=labels)
    for table in sorted({*a.rows, *b.rows}):
        for problem in row_differences(a.rows.get(table, []), b.rows.get(table, [])):
            out.append(f"rows of {table}: {problem} ({labels[0]} vs {labels[1]})")
    if a.index_where != b.index_where:
        out.append(f"index predicates {a.index_where} != {b.index_where}")
    if a.enum_labels != b.enum_labels:
        out.append(f"enum labels {a.enum_labels} != {b.enum_labels}")
    return out


def script_rows(config: Config, table: str, dialect: str) -> list[dict[str, Any]]:
    """The rows the project's ``op.bulk_insert`` calls put into ``table``, by primary key
    order (the first column), as the declared types store them on ``dialect``."""
    project = Project.load(config)
    graph = project.graph
    out: list[dict[str, Any]] = []
    for rev in graph.topological(graph.ancestors(tuple(graph.heads))):
        for op in record_operations(project.header(rev), "up", project.dialect):
            if isinstance(op, BulkInsert) and op.table_name == table and op.table is not None:
                types = {c.name: c.type for c in op.table.columns}
                out.extend(
                    {k: stored(v, types[k], dialect) for k, v in row.items()} for row in op.rows
                )
    if len({next(iter(row), None) for row in out}) > 1:
        return out  # some rows leave a generated key out: no order to read from the script
    return sorted(out, key=lambda row: next(iter(row.values())))


def stored(value: Any, type_: sa.types.TypeEngine[Any], dialect: str) -> Any:
    """``value`` as a column of the declared ``type_`` holds it on ``dialect``.

    MariaDB: ``sa.Float`` is FLOAT (single precision, sent back with 6 significant
    digits); ``sa.DateTime``/``sa.Time`` are DATETIME/TIME without fractional seconds
    (MariaDB truncates). SQLite: NUMERIC affinity keeps a decimal as an 8-byte REAL.
    See docs/known-differences.md."""
    if value is None:
        return value
    if dialect == "sqlite" and isinstance(value, decimal.Decimal):
        return _sqlite_numeric(value, type_)
    if dialect != "mariadb":
        return value
    if isinstance(type_, sa.Float):
        single = struct.unpack("f", struct.pack("f", value))[0]
        return float(f"{single:.6g}")
    if isinstance(value, (datetime.datetime, datetime.time)):
        return value.replace(microsecond=0)
    return value


def _sqlite_numeric(value: decimal.Decimal, type_: sa.types.TypeEngine[Any]) -> decimal.Decimal:
    """The nearest double, read back at the column's scale (SQLAlchemy's own rounding)."""
    scale = getattr(type_, "scale", None)
    if scale is None:
        scale = getattr(type_, "_default_decimal_return_scale", 10)
    return decimal.Decimal(f"{float(value):.{scale}f}")


# ---- canonical spellings ------------------------------------------------------------------

_CAST = re.compile(r"::[a-z_][a-z0-9_ ]*(?:\(\d+(?:,\s*\d+)?\))?")


def canonical_sql(text: str | None) -> str | None:
    """normalize_sql, then without PostgreSQL ``::type`` casts and a trailing ``()`` on a
    bare function name (``current_timestamp()``)."""
    normal = normalize_sql(text)
    if normal is None:
        return None
    parts = re.split(r"('(?:[^']|'')*')", normal)
    stripped = "".join(p if i % 2 else _CAST.sub("", p) for i, p in enumerate(parts))
    stripped = re.sub(r"^([a-z_]+)\(\)$", r"\1", stripped.strip())
    return normalize_sql(stripped)


def canonical_default(text: str | None) -> str | None:
    """A reported default as the value it stands for: quotes and casts removed."""
    sql = canonical_sql(text)
    if sql is None:
        return None
    quoted = re.fullmatch(r"'((?:[^']|'')*)'", sql)
    return quoted.group(1).replace("''", "'") if quoted else sql


_DISPLAY_WIDTH = re.compile(r"^(TINYINT|SMALLINT|MEDIUMINT|INT|INTEGER|BIGINT)\(\d+\)$")


def canonical_type(text: str) -> str:
    """A reported type in the neutral spelling of ``INTENTS``."""
    if text == "TINYINT(1)":
        return "BOOLEAN"  # MariaDB's BOOLEAN
    text = _DISPLAY_WIDTH.sub(r"\1", text)
    text = {"INT": "INTEGER"}.get(text, text)
    return re.sub(r"^DECIMAL\b", "NUMERIC", text)


# ---- checking -----------------------------------------------------------------------------


def check(
    intent: ScenarioIntent,
    observed: Observed,
    dialect: str,
    script: Mapping[str, list[dict[str, Any]]] | None = None,
    version_table: str = "mig_version",
) -> list[str]:
    """Where ``observed`` misses ``intent``; ``script`` holds the rows for FROM_SCRIPT."""
    problems: list[str] = []
    snap = observed.snapshot
    if "versions" in intent and snap["versions"] != sorted(intent["versions"]):
        problems.append(f"version rows {snap['versions']} != {sorted(intent['versions'])}")
    if "tables" in intent:
        extra = [t for t in snap["tables"] if t not in {*intent["tables"], version_table}]
        missing = [t for t in intent["tables"] if t not in snap["tables"]]
        problems += [f"unexpected table {t}" for t in extra]
        problems += [f"missing table {t}" for t in missing]
    expected_enums = intent.get("enums", {}) if dialect == "postgresql" else {}
    if snap["enums"] != expected_enums:
        problems.append(f"enums {snap['enums']} != {expected_enums}")
    for name, table in intent.get("tables", {}).items():
        if name in snap["tables"]:
            found = _TableView(name, snap["tables"][name], observed, dialect)
            problems += [f"table {name}: {p}" for p in found.check(table, script or {})]
    return problems


def row_differences(got: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> list[str]:
    """Each differing value as ``row N column: got X, expected Y`` (and count mismatches)."""
    if len(got) != len(wanted):
        return [f"{len(got)} rows, expected {len(wanted)}: {got!r}"]
    out = []
    for number, (have, want) in enumerate(zip(got, wanted, strict=True), start=1):
        for column in sorted({*have, *want}):
            if have.get(column) != want.get(column) or type(have.get(column)) is not type(
                want.get(column)
            ):
                out.append(
                    f"row {number} {column}: got {have.get(column)!r}, "
                    f"expected {want.get(column)!r}"
                )
    return out


@dataclass
class _TableView:
    name: str
    data: dict[str, Any]
    observed: Observed
    dialect: str

    def check(self, intent: TableIntent, script: Mapping[str, list[dict[str, Any]]]) -> list[str]:
        out: list[str] = []
        data = self.data
        if "column_order" in intent and data["column_order"] != intent["column_order"]:
            out.append(f"column order {data['column_order']} != {intent['column_order']}")
        for column, expected in intent.get("columns", {}).items():
            out += [f"column {column}: {p}" for p in self._column(column, expected)]
        if "primary_key" in intent:
            pk = (data["primary_key"] or {}).get("columns")
            if pk != intent["primary_key"]:
                out.append(f"primary key {pk} != {intent['primary_key']}")
        if "primary_key_name" in intent and PRIMARY_KEY_NAMES[self.dialect]:
            name = (data["primary_key"] or {}).get("name")
            if name != intent["primary_key_name"]:
                out.append(f"primary key name {name!r} != {intent['primary_key_name']!r}")
        for key, fk in intent.get("foreign_keys", {}).items():
            out += self._foreign_key(key, fk)
        for cols, uq_name in intent.get("unique", {}).items():
            got = data["unique_constraints"].get(cols)
            if got is None:
                out.append(f"no unique constraint on {cols}")
            elif got["name"] != uq_name:
                out.append(f"unique {cols} named {got['name']!r}, not {uq_name!r}")
        out += self._checks(intent.get("checks", {}))
        out += self._indexes(intent)
        if "comment" in intent and COMMENTS[self.dialect] and data["comment"] != intent["comment"]:
            out.append(f"comment {data['comment']!r} != {intent['comment']!r}")
        if "rows" in intent:
            wanted = resolve(intent["rows"], self.dialect)
            if wanted is FROM_SCRIPT:
                wanted = script[self.name]
            out += row_differences(self.observed.rows.get(self.name, []), wanted)
        return out

    def _column(self, column: str, expected: ColumnIntent) -> list[str]:
        got = self.data["columns"].get(column)
        if got is None:
            return ["missing"]
        out = []
        if "type" in expected:
            want = resolve(expected["type"], self.dialect)
            if canonical_type(got["type"]) != want:
                out.append(f"type {got['type']} != {want}")
        if "nullable" in expected and got["nullable"] != expected["nullable"]:
            out.append(f"nullable {got['nullable']} != {expected['nullable']}")
        if "default" in expected:
            want = resolve(expected["default"], self.dialect)
            if canonical_default(got["default"]) != want:
                out.append(f"default {got['default']!r} is not {want!r}")
        has_comments = COMMENTS[self.dialect]
        if "comment" in expected and has_comments and got["comment"] != expected["comment"]:
            out.append(f"comment {got['comment']!r} != {expected['comment']!r}")
        if "enum" in expected:
            out += self._enum(column, expected["enum"])
        return out

    def _enum(self, column: str, labels: list[str]) -> list[str]:
        if self.dialect == "postgresql":
            return []  # the named type is checked with the scenario's enums
        if self.dialect == "sqlite":
            return []  # a VARCHAR: SQLAlchemy 2 adds no CHECK unless asked
        got = self.observed.enum_labels.get(f"{self.name}.{column}")
        return [] if got == labels else [f"enum labels {got} != {labels}"]

    def _foreign_key(self, key: str, fk: ForeignKeyIntent) -> list[str]:
        got = self.data["foreign_keys"].get(key)
        if got is None:
            return [f"no foreign key {key}"]
        out = []
        if "name" in fk and got["name"] != fk["name"]:
            out.append(f"foreign key {key} named {got['name']!r}, not {fk['name']!r}")
        implicit = IMPLICIT_FK_ACTION.get(self.dialect)
        for action in ("ondelete", "onupdate"):
            if action in fk:
                found = got[action] or implicit
                want = fk[action] or implicit
                if found != want:
                    out.append(f"foreign key {key} {action} {got[action]!r} != {want!r}")
        return out

    def _checks(self, checks: Mapping[str, str | ByDialect]) -> list[str]:
        by_name = {
            v["name"]: canonical_sql(text) for text, v in self.data["check_constraints"].items()
        }
        out = []
        for name, condition in checks.items():
            want = canonical_sql(resolve(condition, self.dialect))
            if by_name.get(name) != want:
                out.append(f"check {name}: {by_name.get(name)!r} != {want!r}")
        return out

    def _indexes(self, intent: TableIntent) -> list[str]:
        out = []
        indexes = self.data["indexes"]
        for name, ix in intent.get("indexes", {}).items():
            got = indexes.get(name)
            if got is None:
                out.append(f"no index {name}")
                continue
            if "columns" in ix and got["columns"] != ix["columns"]:
                out.append(f"index {name} on {got['columns']}, not {ix['columns']}")
            if "unique" in ix and got["unique"] != ix["unique"]:
                out.append(f"index {name} unique={got['unique']}, not {ix['unique']}")
            if "where" in ix:
                want = canonical_sql(resolve(ix["where"], self.dialect))
                found = self.observed.index_where.get(f"{self.name}.{name}")
                if found != want:
                    out.append(f"index {name} WHERE {found!r} != {want!r}")
        out += [f"index {n} still there" for n in intent.get("absent_indexes", []) if n in indexes]
        return out
