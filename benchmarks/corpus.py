"""A corpus of real migration histories: mig's offline scripts versus Alembic online.

    .venv/bin/pip install -e '.[test,bench]' && .venv/bin/python -m benchmarks.corpus [options]

For each history (the migrations folder an open-source project ships in its PyPI wheel, see
:data:`HISTORIES`) and each database (PostgreSQL, MariaDB, SQLite):

1. the wheel is downloaded once (``pip download --no-deps --only-binary=:all:``, pinned
   version) into the cache folder (default ``.corpus_cache/``, which ignores itself in git)
   and its versions folder extracted; nothing third-party is committed;
2. ``mig --dialect X upgrade head --sql`` runs on a temporary project holding a copy of the
   versions folder, and the script is applied by the database's own client (``psql -v
   ON_ERROR_STOP=1``, ``mariadb``, ``sqlite3 -bail``) to a fresh throwaway database;
3. ``alembic upgrade head`` runs online, on the unmodified scripts, against another fresh
   database (same version table name, ``mig_version``);
4. both databases are reflected (``tests/support/reflection.py``) and compared;
5. then ``downgrade`` to base, both ways, and the two databases compared again.

When mig cannot generate a revision R because the script reads data (which no offline
script can do), R is stepped over: Alembic runs R online on the offline database too, and
mig goes on from R: ``R:head`` replays R (already applied) with its reads answered as on
empty tables and a warning (docs/corpus.md F3). Should that replay still fail, both are
compared at R; a downgrade then starts with Alembic undoing R on both. When Alembic online
fails (a history that does not support a database), both are compared up to the last
revision Alembic completed (one transaction per revision). The notes under the table give
the first error line of each of these.

SCRIPTS ARE NOT REWRITTEN. mig runs ``from alembic import op`` / ``context`` unmodified
(issue 15: a scoped overlay, see ``offline_sql/alembic_compat``), so both tools get the same
bytes; :data:`REWRITES` is empty and stays as the place to list one should a history ever need
it. Helper modules a history imports from its own package are replaced by shims
(:attr:`History.shims`) put on ``PYTHONPATH`` for both tools alike. The output lists every
rewrite (none) and shim used, per history.

The exit status is 0 whether or not the runs agree (this is a survey, not a test); 2 for
usage errors, 1 when a wheel cannot be fetched.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests" / "support"
if str(TESTS) not in sys.path:
    sys.path.append(str(TESTS))  # the suite's database and reflection helpers

from databases import DIALECTS, DialectName, ScratchDatabase, scratch_database  # noqa: E402
from reflection import Snapshot, diff, snapshot  # noqa: E402

VERSION_TABLE = "mig_version"
DEFAULT_CACHE = ROOT / ".corpus_cache"
GENERATION_TIMEOUT = 600
"""Seconds mig or Alembic may take on one history."""

MIG_DIALECT: dict[DialectName, str] = {
    "postgresql": "postgresql",
    "mariadb": "mariadb",
    "sqlite": "sqlite",
}

# ---- the histories -----------------------------------------------------------------------

CKAN_SHIM = '''\
"""Shim of ckan.migration: its one helper, as it answers when the Alembic config has no
``sqlalchemy_migrate_version`` option (a new database). The real helper reads
``op.get_context().config.get_main_option(...)``, which mig's context does not offer."""


def skip_based_on_legacy_engine_version(op, filename):
    return False
'''

OSLO_TYPES_SHIM = '''\
"""Shim of oslo_db.sqlalchemy.types: the JSON-encoded column types (Text; LONGTEXT or
MEDIUMTEXT on MySQL when asked), as oslo.db defines them."""
import json

from sqlalchemy import types
from sqlalchemy.dialects import mysql


class JsonEncodedType(types.TypeDecorator):
    type = None
    impl = types.Text
    cache_ok = True

    def __init__(self, mysql_as_long=False, mysql_as_medium=False):
        super().__init__()
        if mysql_as_long:
            self.impl = types.Text().with_variant(mysql.LONGTEXT(), "mysql")
        elif mysql_as_medium:
            self.impl = types.Text().with_variant(mysql.MEDIUMTEXT(), "mysql")

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value)


class JsonEncodedDict(JsonEncodedType):
    type = dict


class JsonEncodedList(JsonEncodedType):
    type = list
'''

OSLO_ENGINEFACADE_SHIM = '''\
"""Shim of oslo_db.sqlalchemy.enginefacade: ``reader.get_engine()`` is the migration's own
connection (mig's offline stand-in, which knows the dialect and refuses to read)."""
from offline_sql.recorder import active_recorder


class _Reader:
    def get_engine(self):
        recorder = active_recorder()
        if recorder is not None:
            return recorder.get_bind()
        from alembic import op

        return op.get_bind()


reader = _Reader()
'''

OSLO_UTILS_SHIM = '''\
"""Shim of oslo_db.sqlalchemy.utils: index_exists, as oslo.db defines it."""
import sqlalchemy as sa


def index_exists(engine, table_name, index_name):
    return index_name in {i["name"] for i in sa.inspect(engine).get_indexes(table_name)}
'''

IRONIC_SHIMS: dict[str, str] = {
    "oslo_db/__init__.py": "",
    "oslo_db/exception.py": "class DBNonExistentConstraint(Exception):\n    pass\n",
    "oslo_db/sqlalchemy/__init__.py": "",
    "oslo_db/sqlalchemy/types.py": OSLO_TYPES_SHIM,
    "oslo_db/sqlalchemy/enginefacade.py": OSLO_ENGINEFACADE_SHIM,
    "oslo_db/sqlalchemy/utils.py": OSLO_UTILS_SHIM,
    "ironic/__init__.py": "",
    "ironic/conf.py": (
        "from types import SimpleNamespace\n\n"
        "# ironic's option defaults\n"
        "CONF = SimpleNamespace(default_portgroup_mode='active-backup',\n"
        "    default_network_interface=None, dhcp=SimpleNamespace(dhcp_provider='neutron'))\n"
    ),
}


@dataclass(frozen=True)
class History:
    """One project's migration history, as shipped in its wheel."""

    name: str
    package: str
    version: str
    versions_dir: str
    """The versions folder inside the wheel."""
    shims: Mapping[str, str] = field(default_factory=dict)
    """Module file (relative to the shim folder on PYTHONPATH) -> its source."""
    note: str = ""

    @property
    def wheel_glob(self) -> str:
        return f"{self.package.replace('-', '_')}-{self.version}-*.whl"


HISTORIES: tuple[History, ...] = (
    History(
        "openstack-placement",
        "openstack-placement",
        "16.0.0",
        "placement/db/sqlalchemy/alembic/versions",
        note="MySQL, PostgreSQL and SQLite are all supported upstream.",
    ),
    History(
        "ckan",
        "ckan",
        "2.12.0",
        "ckan/migration/versions",
        shims={"ckan/__init__.py": "", "ckan/migration/__init__.py": CKAN_SHIM},
        note="CKAN supports PostgreSQL only; MariaDB and SQLite rows show how far it goes.",
    ),
    History(
        "ironic",
        "ironic",
        "39.0.0",
        "ironic/db/sqlalchemy/alembic/versions",
        shims=IRONIC_SHIMS,
        note="MySQL/MariaDB first upstream; PostgreSQL and SQLite are tested there too.",
    ),
)


# ---- rewrites of mig's copy (none since issue 15) ------------------------------------------


@dataclass(frozen=True)
class Rewrite:
    """A textual rewrite of mig's copy of a script (Alembic's copy is never changed)."""

    pattern: str
    replacement: str
    why: str

    def apply(self, text: str) -> tuple[str, int]:
        return re.subn(self.pattern, self.replacement, text, flags=re.MULTILINE)


REWRITES: tuple[Rewrite, ...] = ()
"""None needed since mig runs Alembic's imports unmodified (issue 15)."""


def rewrite_script(text: str, counts: dict[str, int]) -> str:
    """mig's copy of one script; ``counts`` (rewrite's why -> uses) is updated."""
    for rewrite in REWRITES:
        text, n = rewrite.apply(text)
        if n:
            counts[rewrite.why] = counts.get(rewrite.why, 0) + n
    return text


# ---- fetching -----------------------------------------------------------------------------


class FetchFailed(RuntimeError):
    """pip could not download a wheel."""


def fetch_versions(history: History, cache: Path) -> Path:
    """The extracted versions folder of ``history`` (downloaded and extracted once)."""
    _ignore_self(cache)
    target = cache / f"{history.name}-{history.version}" / "versions"
    if target.is_dir():
        return target
    wheels = cache / "wheels"
    found = sorted(wheels.glob(history.wheel_glob))
    if not found:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        command += ["-q", "-d", str(wheels), f"{history.package}=={history.version}"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        found = sorted(wheels.glob(history.wheel_glob))
        if result.returncode != 0 or not found:
            raise FetchFailed(f"{' '.join(command)}: {result.stderr.strip()}")
    prefix = history.versions_dir.rstrip("/") + "/"
    staging = target.with_name("versions.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with zipfile.ZipFile(found[0]) as wheel:
        for member in wheel.namelist():
            rest = member[len(prefix) :] if member.startswith(prefix) else ""
            if rest.endswith(".py") and "/" not in rest and rest != "__init__.py":
                (staging / rest).write_bytes(wheel.read(member))
    staging.rename(target)
    return target


def _ignore_self(cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    marker = cache / ".gitignore"
    if not marker.exists():
        marker.write_text("# the corpus cache (benchmarks/corpus.py); never committed\n*\n")


# ---- the revision graph (read with ast; the scripts are not imported) ---------------------------


def read_headers(versions: Path) -> dict[str, tuple[str, ...]]:
    """revision -> its down revisions, from each script's module-level assignments."""
    out: dict[str, tuple[str, ...]] = {}
    for path in sorted(versions.glob("*.py")):
        out.update(read_headers_of(ast.parse(path.read_bytes())))
    return out


def without_downgrade(versions: Path) -> set[str]:
    """The revisions whose script defines no ``downgrade()`` (they cannot be undone)."""
    out: set[str] = set()
    for path in sorted(versions.glob("*.py")):
        tree = ast.parse(path.read_bytes())
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        for revision, _ in read_headers_of(tree):
            if "downgrade" not in functions:
                out.add(revision)
    return out


def read_headers_of(tree: ast.Module) -> list[tuple[str, tuple[str, ...]]]:
    """[(revision, its down revisions)] of one parsed script (none when it has no revision)."""
    values: dict[str, Any] = {}
    for node in tree.body:
        target: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign):
            target = node.target
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and value is not None:
            with contextlib.suppress(ValueError):
                values[target.id] = ast.literal_eval(value)
    revision = values.get("revision")
    if not isinstance(revision, str):
        return []
    down = values.get("down_revision")
    return [(revision, (down,) if isinstance(down, str) else tuple(down or ()))]


def resolve(target: str, headers: Mapping[str, tuple[str, ...]]) -> str:
    """``head`` as the one head revision (unchanged when there are several)."""
    if target != "head":
        return target
    below = {down for downs in headers.values() for down in downs}
    heads = [revision for revision in headers if revision not in below]
    return heads[0] if len(heads) == 1 else target


def downgrade_floor(
    target: str, headers: Mapping[str, tuple[str, ...]], irreversible: set[str]
) -> str:
    """How far down from ``target`` both tools can go: the first revision below it (itself
    included) that has no ``downgrade()``, else ``base``. A merge stops the walk at base."""
    revision = resolve(target, headers)
    while revision in headers:
        if revision in irreversible:
            return revision
        downs = headers[revision]
        if len(downs) != 1:
            return "base"
        revision = downs[0]
    return "base"


def _failed_revision(message: str, headers: Mapping[str, tuple[str, ...]]) -> str | None:
    """The revision a mig error names (``(revision X)``), if it is one of the history's
    (warnings before the error, such as a read answered while replaying, name others)."""
    for match in re.finditer(r"revision ([0-9A-Za-z_]+)", first_error_line(message)):
        if match.group(1) in headers:
            return match.group(1)
    return None


# ---- running one history on one database ---------------------------------------------------


@dataclass
class Outcome:
    """What one history gave on one database."""

    status: str
    """``equal`` | ``differ`` | ``mig failed`` | ``script failed`` | ``alembic failed`` |
    ``both failed`` | ``skipped``."""
    notes: list[str] = field(default_factory=list)
    """Why (first error lines), for the notes under the table."""
    diffs: list[str] = field(default_factory=list)
    stepped: list[str] = field(default_factory=list)
    """Revisions mig could not generate, run by Alembic online on both databases."""
    target: str = "head"
    """The revision compared: ``head``, or the one before mig's first failure."""
    downgrade: str = ""
    """Same statuses for the downgrade to base ('' when not run)."""
    downgrade_diffs: list[str] = field(default_factory=list)
    downgrade_floor: str = "base"
    """Where the downgrade stopped: base, or a revision without ``downgrade()``."""

    def cell(self) -> str:
        text = _short(self.status, self.diffs)
        if self.target != "head":
            text += f" up to {self.target}"
        if self.stepped:
            text += f" ({len(self.stepped)} stepped over)"
        if self.downgrade:
            floor = "" if self.downgrade_floor == "base" else f" to {self.downgrade_floor}"
            text += f"; downgrade{floor}: " + _short(self.downgrade, self.downgrade_diffs)
        return text


def _short(status: str, diffs: Sequence[str]) -> str:
    return f"{len(diffs)} diff(s)" if status == "differ" else status


def first_error_line(text: str) -> str:
    """The line of a tool's output that says what went wrong: mig's one-line error, the
    client's ``ERROR``/``Error:`` line, or the exception line ending a Python traceback."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    tests: tuple[Callable[[str], bool], ...] = (
        lambda line: line.startswith("mig: error"),
        lambda line: line.startswith("mig: "),
        lambda line: re.match(r"(ERROR|Error:|Parse error|Runtime error)", line) is not None,
        lambda line: re.match(r"[\w.]+(Error|Exception|Failed|Exit)\b", line) is not None,
    )
    for test in tests:
        found = [line for line in lines if test(line)]
        if found:
            # A traceback's last exception line is the one that ended the run.
            return (found[-1] if test is tests[3] else found[0])[:400]
    lines = [line for line in lines if not line.startswith("(Background on this error")]
    return (lines[-1] if lines else "(no output)")[:400]


@dataclass(frozen=True)
class Project:
    """A temporary pair of projects on one history: mig's (rewritten copy) and Alembic's."""

    root: Path
    shims: Path

    @property
    def mig_config(self) -> Path:
        return self.root / "mig" / "mig.toml"

    @property
    def alembic_ini(self) -> Path:
        return self.root / "alembic" / "alembic.ini"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.shims), env.get("PYTHONPATH")]))
        env.pop("MIG_URL", None)
        env.pop("MIG_DIALECT", None)
        return env


ALEMBIC_ENV = """\
from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

engine = create_engine(context.config.get_main_option("sqlalchemy.url"), poolclass=NullPool)
with engine.connect() as connection:
    context.configure(
        connection=connection, version_table="mig_version", transaction_per_migration=True
    )
    with context.begin_transaction():
        context.run_migrations()
"""


def make_project(history: History, versions: Path, root: Path, counts: dict[str, int]) -> Project:
    """Both projects under ``root``; ``counts`` records the rewrites mig's copy needed."""
    mig_versions = root / "mig" / "migrations" / "versions"
    alembic_versions = root / "alembic" / "versions"
    mig_versions.mkdir(parents=True)
    alembic_versions.mkdir(parents=True)
    for script in sorted(versions.glob("*.py")):
        text = script.read_text(encoding="utf-8")
        (alembic_versions / script.name).write_text(text, encoding="utf-8")
        (mig_versions / script.name).write_text(rewrite_script(text, counts), encoding="utf-8")
    (root / "mig" / "mig.toml").write_text(
        f'script_location = "migrations"\nversion_table = "{VERSION_TABLE}"\ncache = false\n'
    )
    (root / "alembic" / "env.py").write_text(ALEMBIC_ENV)
    (root / "alembic" / "alembic.ini").write_text(
        f"[alembic]\nscript_location = {root / 'alembic'}\n"
    )
    shims = root / "shims"
    shims.mkdir()
    for module, source in history.shims.items():
        path = shims / module
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return Project(root, shims)


def _run(argv: Sequence[str], project: Project) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=project.environment(),
        cwd=project.root,
        timeout=GENERATION_TIMEOUT,
        check=False,
    )


def mig_script(project: Project, dialect: DialectName, *arguments: str) -> tuple[str | None, str]:
    """(the offline script, '') or (None, mig's error output)."""
    mig = Path(sys.executable).with_name("mig")
    command = [str(mig), "-c", str(project.mig_config), "--dialect", MIG_DIALECT[dialect]]
    result = _run([*command, *arguments, "--sql"], project)
    if result.returncode != 0:
        return None, result.stderr or result.stdout
    return result.stdout, ""


def alembic_online(project: Project, database: ScratchDatabase, *arguments: str) -> str | None:
    """None, or Alembic's error output."""
    url = database.url.render_as_string(hide_password=False)
    command = [str(Path(sys.executable).with_name("alembic")), "-c", str(project.alembic_ini)]
    result = _run([*command, *arguments], _with_url(project, url))
    return None if result.returncode == 0 else (result.stderr or result.stdout)


def _with_url(project: Project, url: str) -> Project:
    ini = project.alembic_ini
    text = re.sub(r"^sqlalchemy\.url = .*\n", "", ini.read_text(), flags=re.MULTILINE)
    ini.write_text(text + f"sqlalchemy.url = {url.replace('%', '%%')}\n")
    return project


DatabaseFactory = Callable[[DialectName], "contextlib.AbstractContextManager[ScratchDatabase]"]


def compare_history(
    history: History,
    versions: Path,
    dialect: DialectName,
    databases: DatabaseFactory,
    *,
    downgrade: bool = True,
    counts: dict[str, int] | None = None,
) -> Outcome:
    """Run one history on one database both ways and compare (see the module docstring)."""
    counts = {} if counts is None else counts
    headers = read_headers(versions)
    with tempfile.TemporaryDirectory(prefix="mig-corpus-") as tmp:
        project = make_project(history, versions, Path(tmp), counts)
        outcome = Outcome("equal")
        with databases(dialect) as offline, databases(dialect) as online:
            _upgrade_both(project, dialect, headers, offline, online, outcome, "head")
            failed_online = outcome.status in ("alembic failed", "both failed")
            reached = _online_revision(online) if failed_online else None
            if reached is not None and reached != outcome.target:
                # Compare what both can do: up to the last revision Alembic completed
                # (one transaction per revision), on fresh databases.
                offline.reset()
                online.reset()
                outcome.status = "equal"
                _upgrade_both(project, dialect, headers, offline, online, outcome, reached)
            if outcome.status != "equal":
                return outcome
            outcome.diffs = _compare(offline, online)
            outcome.status = "equal" if not outcome.diffs else "differ"
            if downgrade:
                irreversible = without_downgrade(versions)
                _downgrade(project, dialect, outcome, offline, online, headers, irreversible)
            return outcome


MAX_STEPS = 3
"""At most this many revisions of one history are stepped over (run online on both)."""


def _upgrade_both(
    project: Project,
    dialect: DialectName,
    headers: Mapping[str, tuple[str, ...]],
    offline: ScratchDatabase,
    online: ScratchDatabase,
    outcome: Outcome,
    end: str,
) -> None:
    """Bring ``offline`` to ``end`` with mig's scripts and ``online`` with Alembic.

    A revision mig cannot generate (it reads the database) is stepped over: Alembic runs
    that one revision online on the offline database too, and mig goes on from it. Sets
    ``outcome.status`` (``equal`` meaning "both got there, compare"), ``.target`` and notes.
    """
    position: str | None = None
    for _ in range(MAX_STEPS + 1):
        span = f"{position}:{end}" if position else end
        script, error = mig_script(project, dialect, "upgrade", span)
        if script is not None:
            break
        failed = _failed_revision(error, headers)
        downs = headers.get(failed or "", ())
        outcome.notes.append(f"mig upgrade {span}: {first_error_line(error)}")
        if failed is not None and failed == position:
            # mig replays the revisions below a range to know the schema, so the one it
            # cannot run blocks every range above it too: compare where both are now.
            outcome.notes[-1] += " (the range's start is replayed)"
            outcome.target = position
            script = None
            break
        if failed is None or len(downs) != 1:
            outcome.status = "mig failed"
            return
        if downs[0] != position:
            below = f"{position}:{downs[0]}" if position else downs[0]
            script, error = mig_script(project, dialect, "upgrade", below)
            if script is None:
                outcome.notes.append(f"mig upgrade {below}: {first_error_line(error)}")
                outcome.status = "mig failed"
                return
            if not _apply_offline(offline, script, outcome):
                outcome.target = downs[0]
                script = None
                break
        problem = alembic_online(project, offline, "upgrade", failed)
        if problem is not None:
            # Stepping over failed: compare up to the revision below it.
            outcome.notes.append(f"alembic upgrade {failed}: {first_error_line(problem)}")
            outcome.target = downs[0]
            script = None
            break
        outcome.notes.append(f"{failed}: run by Alembic online on both databases")
        outcome.stepped.append(failed)
        position = failed
    else:
        outcome.status = "mig failed"
        return
    if script is not None:
        outcome.target = end
        _apply_offline(offline, script, outcome)
    problem = alembic_online(project, online, "upgrade", outcome.target)
    if problem is not None:
        outcome.notes.append(f"alembic upgrade {outcome.target}: {first_error_line(problem)}")
        script_failed = outcome.status == "script failed"
        outcome.status = "both failed" if script_failed else "alembic failed"


def _apply_both(
    project: Project,
    offline: ScratchDatabase,
    online: ScratchDatabase,
    script: str,
    alembic_arguments: Sequence[str],
) -> tuple[str, list[str]]:
    """Apply mig's script and run Alembic online: ("equal", []) when both succeed (to be
    compared), else the failure status and its notes."""
    notes: list[str] = []
    try:
        offline.apply_script(script)
    except AssertionError as failure:
        notes.append(f"client: {first_error_line(str(failure))}")
    problem = alembic_online(project, online, *alembic_arguments)
    if problem is not None:
        notes.append(f"alembic {' '.join(alembic_arguments)}: {first_error_line(problem)}")
    script_failed = bool(notes) and notes[0].startswith("client:")
    if script_failed and problem is not None:
        return "both failed", notes
    if script_failed:
        return "script failed", notes
    if problem is not None:
        return "alembic failed", notes
    return "equal", notes


def _apply_offline(offline: ScratchDatabase, script: str, outcome: Outcome) -> bool:
    try:
        offline.apply_script(script)
    except AssertionError as failure:
        outcome.notes.append(f"client: {first_error_line(str(failure))}")
        outcome.status = "script failed"
        return False
    return True


def _online_revision(database: ScratchDatabase) -> str | None:
    """The one revision in the version table, or None (no table, none, or several)."""
    query = sa.text(f"SELECT version_num FROM {VERSION_TABLE}")
    try:
        with database.engine().connect() as connection:
            rows = [str(row[0]) for row in connection.execute(query)]
    except sa.exc.DBAPIError:
        return None
    finally:
        database.dispose()
    return rows[0] if len(rows) == 1 else None


def _compare(offline: ScratchDatabase, online: ScratchDatabase) -> list[str]:
    a: Snapshot = snapshot(offline.engine(), version_table=VERSION_TABLE)
    b: Snapshot = snapshot(online.engine(), version_table=VERSION_TABLE)
    offline.dispose()
    online.dispose()
    return diff(a, b, labels=("mig offline", "alembic online"))


def _downgrade(
    project: Project,
    dialect: DialectName,
    outcome: Outcome,
    offline: ScratchDatabase,
    online: ScratchDatabase,
    headers: Mapping[str, tuple[str, ...]],
    irreversible: set[str],
) -> None:
    top = resolve(outcome.target, headers)
    downs = headers.get(top, ())
    if top in outcome.stepped and top not in irreversible and len(downs) == 1:
        # mig cannot replay the top revision (it reads the database): Alembic undoes it
        # on both databases, and mig's downgrade starts below it.
        for database in (offline, online):
            problem = alembic_online(project, database, "downgrade", downs[0])
            if problem is not None:
                outcome.downgrade = "alembic failed"
                outcome.notes.append(f"alembic downgrade {downs[0]}: {first_error_line(problem)}")
                return
        outcome.notes.append(f"downgrade: {top} undone by Alembic online on both databases")
        top = downs[0]
    floor = downgrade_floor(top, headers, irreversible)
    if floor == top:
        outcome.downgrade = "none"
        outcome.notes.append(f"downgrade: revision {floor} has no downgrade()")
        return
    if floor != "base":
        outcome.downgrade_floor = floor
        outcome.notes.append(f"downgrade: to {floor}, which has no downgrade()")
    script, error = mig_script(project, dialect, "downgrade", f"{top}:{floor}")
    if script is None:
        outcome.notes.append(f"mig downgrade: {first_error_line(error)}")
        failed = _failed_revision(error, headers)
        if failed is None or failed == top:
            outcome.downgrade = "mig failed"
            return
        # Compare the downgrades above the one mig could not run.
        floor = outcome.downgrade_floor = failed
        script, error = mig_script(project, dialect, "downgrade", f"{top}:{floor}")
        if script is None:
            outcome.downgrade = "mig failed"
            outcome.notes.append(f"mig downgrade to {floor}: {first_error_line(error)}")
            return
    status, notes = _apply_both(project, offline, online, script, ("downgrade", floor))
    outcome.notes += notes
    if status == "equal":
        outcome.downgrade_diffs = _compare(offline, online)
        status = "differ" if outcome.downgrade_diffs else "equal"
    outcome.downgrade = status


# ---- the report -----------------------------------------------------------------------------


def report(
    results: Mapping[str, Mapping[str, Outcome]],
    histories: Sequence[History],
    rewrites: Mapping[str, Mapping[str, int]],
    dialects: Sequence[str],
) -> str:
    """The Markdown table (history x database) and the differences in full."""
    lines = [
        "| history | " + " | ".join(dialects) + " |",
        "| --- | " + " | ".join("---" for _ in dialects) + " |",
    ]
    for history in histories:
        row = results.get(history.name, {})
        cells = [row[d].cell() if d in row else "not run" for d in dialects]
        lines.append(f"| {history.name} {history.version} | " + " | ".join(cells) + " |")
    details: list[str] = []
    notes: list[str] = []
    for history in histories:
        for dialect, outcome in results.get(history.name, {}).items():
            notes += [f"- {history.name} on {dialect}: {n}" for n in outcome.notes]
    for history in histories:
        for dialect, outcome in results.get(history.name, {}).items():
            both = (("upgrade", outcome.diffs), ("downgrade", outcome.downgrade_diffs))
            for title, diffs in both:
                if diffs:
                    details.append(f"\n### {history.name} on {dialect}, {title}\n")
                    details += [f"- {d}" for d in diffs]
    used: list[str] = []
    for history in histories:
        counts = rewrites.get(history.name, {})
        shims = ", ".join(sorted(history.shims)) or "none"
        applied = "; ".join(f"{why} x{n}" for why, n in counts.items()) or "none"
        used.append(f"- {history.name}: rewrites: {applied}. Shims: {shims}.")
    return "\n".join(
        [
            *lines,
            *(["", "## Notes (first error line of each failure)", "", *notes] if notes else []),
            *(["", "## Differences", *details] if details else []),
            "",
            "## Rewrites of mig's copy and shims (both tools)",
            "",
            *used,
            "",
        ]
    )


# ---- command line ---------------------------------------------------------------------------


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.corpus",
        description="Run real projects' migration histories with mig offline and Alembic "
        "online on PostgreSQL, MariaDB and SQLite, and compare the schemas by reflection. "
        "Both tools run the same unmodified scripts; the report lists the helper shims.",
    )
    names = [h.name for h in HISTORIES]
    parser.add_argument("--history", action="append", choices=names, help="(repeatable)")
    parser.add_argument("--database", action="append", choices=DIALECTS, help="(repeatable)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="wheel cache folder")
    parser.add_argument("--no-downgrade", action="store_true", help="upgrade only")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_arguments(argv)
    histories = [h for h in HISTORIES if not options.history or h.name in options.history]
    dialects: list[DialectName] = list(options.database or DIALECTS)
    results: dict[str, dict[str, Outcome]] = {}
    rewrites: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix="mig-corpus-db-") as tmp:
        factory = _factory(Path(tmp))
        for history in histories:
            try:
                versions = fetch_versions(history, options.cache)
            except FetchFailed as error:
                print(f"corpus: {error}", file=sys.stderr)
                return 1
            for dialect in dialects:
                counts: dict[str, int] = {}
                print(f"corpus: {history.name} on {dialect} ...", file=sys.stderr, flush=True)
                try:
                    outcome = compare_history(
                        history,
                        versions,
                        dialect,
                        factory,
                        downgrade=not options.no_downgrade,
                        counts=counts,
                    )
                except _Unavailable as reason:
                    outcome = Outcome("skipped", [str(reason)])
                results.setdefault(history.name, {})[dialect] = outcome
                rewrites[history.name] = counts
    text = report(results, histories, rewrites, dialects)
    print(text)
    if options.output:
        write_document(options.output, text, histories)
    return 0


KEPT_MARKER = "<!-- written by hand below this line; benchmarks/corpus.py keeps it -->"
"""Text after this line of the output document survives regeneration (the analysis)."""


def write_document(path: Path, table: str, histories: Sequence[History]) -> None:
    """``path`` with a generated header, the report, and the hand-written part kept."""
    kept = ""
    if path.exists():
        _, marker, tail = path.read_text(encoding="utf-8").partition(KEPT_MARKER)
        kept = marker + tail if marker else ""
    versions = ", ".join(f"{h.package} {h.version}" for h in histories)
    header = (
        "# Corpus: real migration histories, mig offline versus Alembic online\n\n"
        f"Generated by `python -m benchmarks.corpus` on {datetime.date.today()} "
        f"(wheels: {versions}; mig {_version()}, Alembic {_version('alembic')}, "
        f"SQLAlchemy {_version('sqlalchemy')}). Each cell: mig's offline script applied with "
        "the database's client versus Alembic online, compared by reflection; `up to REV` "
        "when the whole history could not be compared (see the notes); the downgrade goes "
        "to base or to the first revision without `downgrade()`.\n\n"
    )
    path.write_text(header + table + ("\n" + kept if kept else KEPT_MARKER + "\n"))


def _version(distribution: str = "mig") -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "?"


class _Unavailable(Exception):
    """A database server cannot be used."""


def _factory(tmp: Path) -> DatabaseFactory:
    @contextlib.contextmanager
    def databases(dialect: DialectName) -> Iterator[ScratchDatabase]:
        try:
            context = scratch_database(dialect, tmp)
            database = context.__enter__()
        except BaseException as error:  # pytest.skip outside pytest: the server is not there
            if isinstance(error, KeyboardInterrupt):
                raise
            raise _Unavailable(str(error)) from None
        try:
            yield database
        except BaseException:
            if not context.__exit__(*sys.exc_info()):
                raise
        else:
            context.__exit__(None, None, None)

    return databases


if __name__ == "__main__":
    sys.exit(main())
