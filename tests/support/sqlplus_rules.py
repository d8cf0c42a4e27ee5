"""An independent reader of SQL*Plus scripts, and the vendor's rules our Oracle scripts must keep.

Nothing here imports mig's dialect code: the reader follows the SQL*Plus User's Guide and
Reference (release 12.1 and later: "Entering and Executing Commands", SET, WHENEVER, EXIT,
"SQL*Plus Limits") and the rules come from the Oracle SQL Language Reference, so a bug in
the renderer cannot hide itself by being shared with its check.

How SQL*Plus reads a script, as modelled by :func:`read_script`:

* between commands, a blank line is skipped; ``--``/``REM`` lines are comments; a line whose
  first word is a SQL*Plus command (``SET``, ``WHENEVER``, ``EXIT``, ``PROMPT``, ``@``,
  ``HOST``/``!``...) is that command; ``DECLARE``/``BEGIN``/``CREATE [OR REPLACE]
  PROCEDURE|FUNCTION|PACKAGE|TRIGGER|TYPE`` start a PL/SQL block; anything else starts a SQL
  statement. A ``/`` line there runs the previous statement *again*.
* inside a SQL statement, a line ending with ``;`` (SQLTERMINATOR) ends and runs it, whatever
  the ``;`` is inside of (SQL*Plus does not parse literals across lines);
* inside a statement or a block, a line holding only ``/`` ends and runs it, only ``.``
  (BLOCKTERMINATOR) ends it without running it, a blank line ends it when SQLBLANKLINES is
  OFF (the default), a line starting with ``#`` (SQLPREFIX) runs the rest as a SQL*Plus
  command at once;
* a line longer than 2,499 characters is not read at all (SP2-0027), and client errors
  like that one are not trapped by ``WHENEVER SQLERROR``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

MAX_LINE = 2499
"""Longest line SQL*Plus reads (command-line length 2,500 including its end, 12.1 and before)."""

SQLPLUS_COMMANDS = frozenset(
    {
        "ACCEPT",
        "APPEND",
        "ARCHIVE",
        "ATTRIBUTE",
        "BREAK",
        "BTITLE",
        "CHANGE",
        "CLEAR",
        "COLUMN",
        "COL",
        "COMPUTE",
        "CONNECT",
        "CONN",
        "COPY",
        "DEFINE",
        "DEF",
        "DEL",
        "DESCRIBE",
        "DESC",
        "DISCONNECT",
        "EDIT",
        "ED",
        "EXECUTE",
        "EXEC",
        "EXIT",
        "QUIT",
        "GET",
        "HELP",
        "HISTORY",
        "HOST",
        "INPUT",
        "LIST",
        "PASSWORD",
        "PAUSE",
        "PRINT",
        "PROMPT",
        "RECOVER",
        "REMARK",
        "REM",
        "REPFOOTER",
        "REPHEADER",
        "RUN",
        "SAVE",
        "SET",
        "SHOW",
        "SHUTDOWN",
        "SPOOL",
        "START",
        "STARTUP",
        "STORE",
        "TIMING",
        "TTITLE",
        "UNDEFINE",
        "VARIABLE",
        "VAR",
        "WHENEVER",
        "XQUERY",
    }
)
"""First words SQL*Plus runs as its own command when a new command starts."""

RISKY_IN_STATEMENT = frozenset(
    {
        "HOST",
        "START",
        "EXIT",
        "QUIT",
        "CONNECT",
        "CONN",
        "DISCONNECT",
        "SPOOL",
        "PROMPT",
        "DEFINE",
        "WHENEVER",
        "PAUSE",
        "ACCEPT",
    }
)
"""Words that must not open a line inside a statement either: a line there that starts with
a command (a developer's text carried onto a line of its own) is what the issue forbids,
whatever the release does with it."""

SQLPLUS_SETTINGS = frozenset(
    {
        "DEFINE",
        "ECHO",
        "TERMOUT",
        "SQLBLANKLINES",
        "SQLTERMINATOR",
        "SQLPREFIX",
        "BLOCKTERMINATOR",
        "SERVEROUTPUT",
        "FEEDBACK",
        "VERIFY",
        "ESCAPE",
        "SCAN",
        "AUTOCOMMIT",
        "HEADING",
        "PAGESIZE",
        "LINESIZE",
        "TIMING",
        "SQLPROMPT",
    }
)

PLSQL_START = re.compile(
    r"^\s*(DECLARE|BEGIN|CREATE\s+(OR\s+REPLACE\s+)?((NON)?EDITIONABLE\s+)?"
    r"(PROCEDURE|FUNCTION|PACKAGE|TRIGGER|TYPE)\b)",
    re.I,
)


@dataclass
class Unit:
    """One thing SQL*Plus does: a command, a SQL statement or a PL/SQL block."""

    kind: str
    """``command``, ``sql`` or ``plsql``."""
    lines: list[str]
    first_line: int
    ended_by: str = ""
    """``;``, ``/``, ``.``, ``blank`` or ``eof``."""

    @property
    def text(self) -> str:
        """The statement as the server receives it (its terminator removed)."""
        body = "\n".join(self.lines)
        if self.kind == "sql" and self.ended_by == ";":
            body = body.rstrip()[:-1]
        return body

    @property
    def words(self) -> list[str]:
        return self.text.split()


@dataclass
class Script:
    lines: list[str]
    units: list[Unit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """What SQL*Plus would do that is not running our SQL as written."""

    @property
    def statements(self) -> list[Unit]:
        return [u for u in self.units if u.kind != "command"]

    @property
    def commands(self) -> list[Unit]:
        return [u for u in self.units if u.kind == "command"]


def _first_word(line: str) -> str:
    found = re.match(r"\s*([A-Za-z_]+)", line)
    return found.group(1).upper() if found else ""


def read_script(text: str) -> Script:
    """The units SQL*Plus makes of ``text`` and the problems met on the way."""
    script = Script(text.split("\n"))
    blanklines = False
    current: Unit | None = None
    for number, line in enumerate(script.lines, start=1):
        where = f"line {number}"
        if len(line) > MAX_LINE:
            script.problems.append(f"{where}: {len(line)} characters, ignored (SP2-0027)")
            continue
        stripped = line.strip()
        if current is None:
            if not stripped or stripped.startswith("--"):
                continue
            if stripped == "/":
                script.problems.append(f"{where}: '/' outside a statement runs the last one again")
                continue
            if stripped == ".":
                continue
            word = _first_word(line)
            if stripped[0] in "@!$#" or word in SQLPLUS_COMMANDS:
                unit = Unit("command", [line], number, "eof")
                script.units.append(unit)
                setting = re.match(r"\s*SET\s+SQLBL(?:ANKLINES)?\s+(ON|OFF)\b", line, re.I)
                if setting:
                    blanklines = setting.group(1).upper() == "ON"
                continue
            kind = "plsql" if PLSQL_START.match(line) else "sql"
            current = Unit(kind, [], number)
            script.units.append(current)
        # inside a statement or a block
        if current.lines and stripped.startswith("#"):
            script.problems.append(f"{where}: '#' line runs a SQL*Plus command (SQLPREFIX)")
            continue
        if current.lines and stripped == "/":
            current.ended_by = "/"
            current = None
            continue
        if current.lines and stripped == ".":
            script.problems.append(f"{where}: '.' ends the statement without running it")
            current.ended_by = "."
            current = None
            continue
        if not stripped and not blanklines:
            script.problems.append(f"{where}: a blank line ends the statement (SQLBLANKLINES OFF)")
            current.ended_by = "blank"
            current = None
            continue
        if current.lines and _risky_continuation(line):
            script.problems.append(f"{where}: starts like a SQL*Plus command: {line[:40]!r}")
        current.lines.append(line)
        if current.kind == "sql" and line.rstrip().endswith(";"):
            current.ended_by = ";"
            current = None
    if current is not None:
        current.ended_by = "eof"
        script.problems.append(f"line {current.first_line}: statement never ended or run")
    for unit in script.statements:
        if open_literal(unit.text):
            script.problems.append(
                f"line {unit.first_line}: ended inside a string literal (a line of its text "
                "was read as a terminator)"
            )
    return script


def open_literal(text: str) -> bool:
    """Whether ``text`` ends inside a string literal or quoted name (Oracle lexical rules:
    ``'...'`` with ``''``, ``q'[...]'``, ``"..."``, ``--`` and ``/* */`` comments)."""
    i, n = 0, len(text)
    while i < n:
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return True
            i = end + 2
        elif (
            text[i] in "qQ"
            and text.startswith("'", i + 1)
            and (i == 0 or not text[i - 1].isalnum())
        ):
            closer = {"[": "]", "{": "}", "<": ">", "(": ")"}.get(
                text[i + 2 : i + 3], text[i + 2 : i + 3]
            )
            end = text.find(closer + "'", i + 3)
            if end < 0:
                return True
            i = end + 2
        elif text[i] == "'":
            i += 1
            while True:
                end = text.find("'", i)
                if end < 0:
                    return True
                if text.startswith("''", end):
                    i = end + 2
                    continue
                i = end + 1
                break
        elif text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                return True
            i = end + 1
        else:
            i += 1
    return False


def _risky_continuation(line: str) -> bool:
    stripped = line.lstrip()
    if stripped[:1] in ("@", "!", "$"):
        return True
    word = _first_word(line)
    if word in RISKY_IN_STATEMENT:
        return True
    if word == "SET":
        return _first_word(stripped[3:]) in SQLPLUS_SETTINGS
    return False


# ---- the schema the script builds (for rules about column types) ------------------------


def _split_top_level(body: str) -> list[str]:
    parts, depth, quote, piece = [], 0, "", ""
    for char in body:
        if quote:
            piece += char
            if char == quote:
                quote = ""
            continue
        if char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(piece)
            piece = ""
            continue
        piece += char
    parts.append(piece)
    return [p.strip() for p in parts if p.strip()]


_NAME = r'("[^"]+"|[\w$#]+)'
_COLUMN = re.compile(
    rf"^{_NAME}\s+([A-Z][A-Z0-9_ ]*?(?:\s*\([^)]*\))?)"
    r"(?=\s+(?:DEFAULT|NOT|NULL|GENERATED|CONSTRAINT"
    r"|PRIMARY|UNIQUE|CHECK|REFERENCES|INVISIBLE|VISIBLE)\b|\s*$|\s+(?:CHAR|BYTE)\b)",
    re.I,
)


def _name(text: str) -> str:
    return text.strip('"').lower()


def column_type(definition: str) -> tuple[str, str] | None:
    """(column, TYPE) of one column definition, or None for a table constraint."""
    if re.match(r"^(CONSTRAINT|PRIMARY|UNIQUE|FOREIGN|CHECK)\b", definition, re.I):
        return None
    found = _COLUMN.match(definition)
    if found is None:
        return None
    return _name(found.group(1)), " ".join(found.group(2).upper().split())


@dataclass
class Schema:
    """Column types by table, as the script's statements leave them."""

    types: dict[str, dict[str, str]] = field(default_factory=dict)

    def follow(self, statement: str) -> None:
        create = re.match(rf"^\s*CREATE\s+TABLE\s+{_NAME}\s*\((.*)\)\s*$", statement, re.I | re.S)
        if create:
            table = self.types.setdefault(_name(create.group(1)), {})
            for definition in _split_top_level(create.group(2)):
                typed = column_type(definition)
                if typed:
                    table[typed[0]] = typed[1]
            return
        alter = re.match(
            rf"^\s*ALTER\s+TABLE\s+{_NAME}\s+(?:ADD|MODIFY)\s*(?:\((.*)\)|(.*))\s*$",
            statement,
            re.I | re.S,
        )
        if alter:
            table = self.types.setdefault(_name(alter.group(1)), {})
            typed = column_type((alter.group(2) or alter.group(3) or "").strip())
            if typed and not typed[1].startswith(("DEFAULT", "NOT", "NULL")):
                table[typed[0]] = typed[1]


def schema_steps(script: Script) -> Iterator[tuple[Unit, Schema]]:
    """Each statement with the schema as it stands *before* it."""
    schema = Schema()
    for unit in script.statements:
        yield unit, schema
        schema.follow(unit.text)


# ---- rules: each returns what is wrong (empty when the script keeps the rule) -------------

Rule = Callable[[str], list[str]]

PLAIN_LITERAL = re.compile(r"^'(?:[^']|'')*'$", re.S)


def rule_6_comment_is_a_plain_literal(text: str) -> list[str]:
    """Oracle SQL Reference, COMMENT: ``IS 'string'``, a text literal; an expression
    (``'a' || CHR(10) || 'b'``) is ORA-01780 (string literal required)."""
    out = []
    for unit in read_script(text).statements:
        found = re.match(r"^\s*COMMENT\s+ON\s+\w+\s+\S+\s+IS\s+(.*)$", unit.text, re.I | re.S)
        if found and not PLAIN_LITERAL.match(found.group(1).strip()):
            out.append(
                f"line {unit.first_line}: COMMENT ON ... IS takes a literal only: {unit.text[:80]}"
            )
    return out


def rule_7_lines_reach_the_server(text: str) -> list[str]:
    """SQL*Plus reads lines of at most 2,499 characters and treats some lines inside a
    statement as its own (``/``, ``.``, ``#``, a blank line, a command word); with them
    rows vanish without ``WHENEVER SQLERROR`` noticing."""
    return read_script(text).problems


_NUMBER = re.compile(r"^(?:NUMBER|NUMERIC|DECIMAL)(?:\((\d+|\*)(?:,\s*(-?\d+))?\))?$")
LOBS = ("CLOB", "NCLOB", "BLOB")


def number_digits(type_sql: str) -> tuple[float, int] | None:
    """(integer digits, scale) of a NUMBER-family type per the SQL Reference: INTEGER, INT
    and SMALLINT are NUMBER(38); NUMBER without precision holds any number."""
    spelled = type_sql.upper().replace(" ", "")
    if spelled in ("INTEGER", "INT", "SMALLINT"):
        return (38.0, 0)
    found = _NUMBER.match(spelled)
    if not found:
        return None
    if found.group(1) in (None, "*"):
        return (float("inf"), 0 if found.group(2) == "0" else 127)
    precision, scale = int(found.group(1)), int(found.group(2) or 0)
    return (float(precision - scale), scale)


def rule_8_modify_keeps_rows(text: str) -> list[str]:
    """Oracle SQL Reference, ALTER TABLE: a NUMBER's precision or scale decreases only on
    an empty column (ORA-01440); a column changes neither to nor from a LOB (ORA-22858)."""
    out = []
    for unit, schema in schema_steps(read_script(text)):
        found = re.match(
            rf"^\s*ALTER\s+TABLE\s+{_NAME}\s+MODIFY\s*\((.*)\)\s*$", unit.text, re.I | re.S
        )
        if not found:
            continue
        typed = column_type(found.group(2).strip())
        if typed is None:
            continue
        column, new = typed
        old = schema.types.get(_name(found.group(1)), {}).get(column)
        if old is None or new.startswith(("DEFAULT", "NOT", "NULL")):
            continue
        if old.startswith(LOBS) != new.startswith(LOBS):
            out.append(f"line {unit.first_line}: {column} {old} -> {new} (ORA-22858)")
            continue
        before, after = number_digits(old), number_digits(new)
        if before and after and (after[0] < before[0] or after[1] < before[1]):
            out.append(f"line {unit.first_line}: {column} {old} -> {new} (ORA-01440)")
    return out


def rule_9_failure_exits_with_failure(text: str) -> list[str]:
    """SQL*Plus WHENEVER SQLERROR/OSERROR EXIT: ``SQL.SQLCODE`` becomes the process status
    modulo 256 (ORA-01536 exits 0), so both must say ``EXIT FAILURE``, before any SQL."""
    script = read_script(text)
    first_sql = min((u.first_line for u in script.statements), default=len(script.lines) + 1)
    out = []
    for kind in ("SQLERROR", "OSERROR"):
        found = [
            u
            for u in script.commands
            if u.words[:2] == ["WHENEVER", kind] and u.first_line < first_sql
        ]
        if not found:
            out.append(f"no WHENEVER {kind} before the first statement")
        elif found[-1].words[2:4] != ["EXIT", "FAILURE"]:
            out.append(
                f"line {found[-1].first_line}: {' '.join(found[-1].words)} (not EXIT FAILURE)"
            )
        elif "COMMIT" in found[-1].words:
            out.append(f"line {found[-1].first_line}: commits what failed")
    return out


def rule_10_script_ends_and_says_its_encoding(text: str) -> list[str]:
    """SQL*Plus: without EXIT, ``sqlplus user@db @file`` waits at its prompt when the file is
    done. What the script changed is committed before (EXIT's own default is COMMIT, but the
    script must not rely on a later EXIT ROLLBACK). The apply line names NLS_LANG."""
    script = read_script(text)
    out = []
    last = script.units[-1] if script.units else None
    if last is None or last.kind != "command" or last.words[:1] not in (["EXIT"], ["QUIT"]):
        out.append("the script does not end with EXIT")
    elif last.words[1:2] not in ([], ["SUCCESS"]) or "ROLLBACK" in last.words:
        out.append(f"line {last.first_line}: {' '.join(last.words)} is not a plain success")
    changes = [u for u in script.statements if u.words[:1] != ["COMMIT"]]
    commits = [u for u in script.statements if u.words == ["COMMIT"]]
    if changes and (not commits or commits[-1].first_line < changes[-1].first_line):
        out.append("the last change is not committed before EXIT")
    if not any(line.startswith("-- Apply with: NLS_LANG=") for line in script.lines):
        out.append("the apply line does not set NLS_LANG")
    return out


def rule_11_no_lob_in_an_index(text: str) -> list[str]:
    """Oracle SQL Reference, CREATE INDEX / constraints: a LOB column cannot be indexed
    (ORA-02327) nor be part of a unique or primary key (ORA-02329)."""
    out = []
    for unit, schema in schema_steps(read_script(text)):
        statement = unit.text
        index = re.match(
            rf"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+{_NAME}\s+ON\s+{_NAME}\s*\((.*)\)\s*$",
            statement,
            re.I | re.S,
        )
        keyed: list[tuple[str, list[str]]] = []
        if index:
            keyed.append((_name(index.group(3)), _split_top_level(index.group(4))))
        for table, body in _table_keys(statement):
            keyed.append((table, body))
        for table, columns in keyed:
            for column in columns:
                type_ = schema.types.get(table, {}).get(_name(column.split()[0]))
                if type_ is None and table in _created(statement):
                    type_ = _created(statement)[table].get(_name(column.split()[0]))
                if type_ is not None and type_.startswith(LOBS):
                    out.append(f"line {unit.first_line}: {column} ({type_}) in an index or key")
    return out


def _created(statement: str) -> dict[str, dict[str, str]]:
    schema = Schema()
    schema.follow(statement)
    return schema.types


def _table_keys(statement: str) -> Iterator[tuple[str, list[str]]]:
    """(table, columns) of every PRIMARY KEY/UNIQUE in a CREATE TABLE or ALTER TABLE ADD."""
    found = re.match(rf"^\s*(?:CREATE|ALTER)\s+TABLE\s+{_NAME}", statement, re.I)
    if not found:
        return
    for key in re.finditer(r"\b(?:PRIMARY\s+KEY|UNIQUE)\s*\(([^)]*)\)", statement, re.I):
        yield _name(found.group(1)), _split_top_level(key.group(1))


RULES: dict[str, Rule] = {
    "6": rule_6_comment_is_a_plain_literal,
    "7": rule_7_lines_reach_the_server,
    "8": rule_8_modify_keeps_rows,
    "9": rule_9_failure_exits_with_failure,
    "10": rule_10_script_ends_and_says_its_encoding,
    "11": rule_11_no_lob_in_an_index,
}
