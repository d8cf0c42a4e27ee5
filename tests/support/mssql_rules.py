"""Rules from Microsoft's SQL Server and sqlcmd documentation, checked on script text.

No SQL Server runs here, so each rule is written down from the vendor's documentation and
checked on what mig emits, independently of the code that emits it (these functions read
the text; they import nothing from ``offline_sql``). Each returns the violations it finds
(empty when the script keeps the rule). They read mig's own layout (one statement per
batch, ``CREATE TABLE`` with one column per line), not arbitrary T-SQL.
"""

from __future__ import annotations

import re

LITERAL = r"N?'(?:[^']|'')*'"
OPERAND = rf"(?:{LITERAL}|NCHAR\(\d+\))"
NAME = r"(?:\[(?:[^\]]|\]\])+\]|\"[^\"]+\"|[\w@#$]+)"


def _name(text: str) -> str:
    """An identifier as the server compares it (quotes removed, case folded)."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        return text[1:-1].replace("]]", "]").lower()
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1].lower()
    return text.lower()


def _code(script: str) -> str:
    """The script without ``--`` comment lines (they may hold quotes of their own)."""
    return "\n".join(line for line in script.split("\n") if not line.lstrip().startswith("--"))


# ---- rule 1: EXEC ( ... ) takes literals and variables only -------------------------------


def exec_arguments(script: str) -> list[str]:
    """``EXECUTE ( { @string_variable | [N]'tsql_string' } [ + ...n ] )``: the T-SQL
    reference for EXECUTE allows nothing else (no function call such as QUOTENAME) inside
    the parentheses of a dynamic string."""
    found = []
    code = _code(script)
    for match in re.finditer(r"\bEXEC(?:UTE)?\s*\(", code, re.I):
        depth, at, quoted = 1, match.end(), False
        while depth and at < len(code):
            char = code[at]
            if char == "'":
                quoted = not quoted
            elif not quoted and char == "(":
                depth += 1
            elif not quoted and char == ")":
                depth -= 1
            at += 1
        inside = code[match.end() : at - 1]
        operands = re.split(r"\s*\+\s*(?=(?:[^']*'[^']*')*[^']*$)", inside.strip())
        for operand in operands:
            if not re.fullmatch(rf"{LITERAL}|@\w+", operand.strip()):
                found.append(
                    f"EXEC(...) operand {operand.strip()[:60]!r} is no literal or variable"
                )
    return found


# ---- rule 2: IDENTITY_INSERT around explicit identity values ------------------------------


def identity_inserts(script: str) -> list[str]:
    """SQL Server refuses an explicit value for an IDENTITY column unless ``SET
    IDENTITY_INSERT <table> ON`` (Msg 544); with it on, an INSERT must name the column
    (Msg 545); only one table at a time may have it on (Msg 8107)."""
    found: list[str] = []
    identity: dict[str, str] = {}
    on: str | None = None
    code = _code(script)
    for match in re.finditer(
        rf"CREATE TABLE ({NAME}(?:\.{NAME})?) \((.*?)\n\)"
        rf"|ALTER TABLE ({NAME}) ADD ({NAME}) [^\n]*?\bIDENTITY\b"
        rf"|DROP TABLE ({NAME})"
        rf"|SET IDENTITY_INSERT ({NAME}) (ON|OFF)"
        rf"|INSERT INTO ({NAME}) \(([^)]*)\)",
        code,
        re.S,
    ):
        create, body, added_to, added, dropped, switched, state, into, columns = match.groups()
        if create:
            for line in body.split("\n"):
                spec = re.match(rf"\s*({NAME}) [^\n]*\bIDENTITY\b", line)
                if spec:
                    identity[_name(create)] = _name(spec.group(1))
        elif added_to:
            identity[_name(added_to)] = _name(added)
        elif dropped:
            identity.pop(_name(dropped), None)
        elif switched:
            table = _name(switched)
            if state.upper() == "ON":
                if on is not None and on != table:
                    found.append(f"IDENTITY_INSERT on for {table} while on for {on} (Msg 8107)")
                on = table
            elif on == table:
                on = None
        else:
            table = _name(into)
            named = {_name(c) for c in columns.split(",")}
            column = identity.get(table)
            if column in named and on != table:
                found.append(f"explicit {table}.{column} without IDENTITY_INSERT ON (Msg 544)")
            if on == table and column not in named:
                found.append(
                    f"INSERT INTO {table} without {column} while IDENTITY_INSERT is on (Msg 545)"
                )
    if on is not None:
        found.append(f"IDENTITY_INSERT left on for {on}")
    return found


# ---- rule 3: a foreign key joins columns of the same type ---------------------------------

TYPE = re.compile(r"([A-Z]+(?:\s*\([^)]*\))?)", re.I)


def _type(text: str) -> str:
    match = TYPE.match(text.strip())
    return " ".join(match.group(1).upper().split()) if match else text.strip().upper()


def foreign_key_types(script: str) -> list[str]:
    """ "Columns participating in a foreign key relationship must be defined with the same
    length and scale" (Msg 1753) and the same data type (Msg 1778)."""
    found: list[str] = []
    types: dict[tuple[str, str], str] = {}
    code = _code(script)

    def check(table: str, columns: str, referent: str, remotes: str) -> None:
        for local, remote in zip(columns.split(","), remotes.split(","), strict=False):
            mine = types.get((_name(table), _name(local)))
            theirs = types.get((_name(referent), _name(remote)))
            if mine and theirs and mine != theirs:
                found.append(
                    f"foreign key {table}.{local.strip()} ({mine}) -> "
                    f"{referent}.{remote.strip()} ({theirs}) (Msg 1778)"
                )

    fk = rf"FOREIGN KEY\s*\(([^)]*)\) REFERENCES ({NAME}) \(([^)]*)\)"
    for match in re.finditer(
        rf"CREATE TABLE ({NAME}) \((.*?)\n\)"
        rf"|ALTER TABLE ({NAME}) ALTER COLUMN ({NAME}) ([^\n;]*)"
        rf"|ALTER TABLE ({NAME}) ADD CONSTRAINT {NAME} {fk}"
        rf"|ALTER TABLE ({NAME}) ADD (?!CONSTRAINT )({NAME}) ([^\n;]*)"
        rf"|ALTER TABLE ({NAME}) DROP COLUMN ({NAME})",
        code,
        re.S,
    ):
        groups = match.groups()
        if groups[0]:
            table, body = groups[0], groups[1]
            for line in body.split("\n"):
                line = line.strip().rstrip(",").strip()
                inline = re.search(fk, line)
                if inline:
                    continue
                column = re.match(rf"({NAME}) (.+)", line)
                keyword = line.split(" ", 1)[0].upper()
                if column and keyword not in ("PRIMARY", "CONSTRAINT", "UNIQUE", "CHECK"):
                    types[(_name(table), _name(column.group(1)))] = _type(column.group(2))
            for inline in re.finditer(fk, body):
                check(table, inline.group(1), inline.group(2), inline.group(3))
        elif groups[2]:
            types[(_name(groups[2]), _name(groups[3]))] = _type(groups[4])
        elif groups[5]:
            check(groups[5], groups[6], groups[7], groups[8])
        elif groups[9]:
            types[(_name(groups[9]), _name(groups[10]))] = _type(groups[11])
        else:
            types.pop((_name(groups[12]), _name(groups[13])), None)
    return found


# ---- rule 4: a concatenation longer than 4,000 characters is nvarchar(max) ----------------


def _length(operand: str) -> int:
    if operand.upper().startswith("NCHAR("):
        return 1
    text = operand[operand.index("'") + 1 : -1].replace("''", "'")
    return len(text.encode("utf-16-le")) // 2


def concatenation_limits(script: str) -> list[str]:
    """ "If the result of the concatenation of strings exceeds the limit of 8,000 bytes, the
    result is truncated. However, if at least one of the strings concatenated is a large
    value type, truncation doesn't occur" (the ``+`` string concatenation reference): a
    chain of literals and NCHAR() longer than 4,000 characters needs a (max) operand."""
    found = []
    chain = re.compile(rf"(CAST\()?({OPERAND})( AS nvarchar\(max\)\))?((?: \+ {OPERAND})+)", re.I)
    for match in chain.finditer(_code(script)):
        operands = [match.group(2), *re.findall(OPERAND, match.group(4))]
        total = sum(_length(o) for o in operands)
        widened = match.group(1) is not None and match.group(3) is not None
        if total > 4000 and not widened:
            found.append(f"a concatenation of {total} characters without a (max) operand")
    return found


# ---- rule 5: session settings, schemas of descriptions, what sqlcmd reads -----------------

SQLCMD_COMMAND = re.compile(r"^\s*(?::|!!|(?:GO|ED|RESET|QUIT|EXIT)\b)", re.I)
"""sqlcmd's commands are recognised at the start of a line: ``GO``, ``:command``, ``!!``,
and ``ED``/``RESET``/``QUIT``/``EXIT`` without the colon (the sqlcmd utility reference)."""

ALLOWED_COMMANDS = frozenset({"GO", ":on error exit", ':setvar __IsSqlCmdEnabled "True"'})
ALLOWED_VARIABLE = "$(__IsSqlCmdEnabled)"


def session_settings(script: str) -> list[str]:
    """Before the first change: QUOTED_IDENTIFIER and ANSI_NULLS ON (required by indexes on
    computed columns, filtered indexes, indexed views: SET QUOTED_IDENTIFIER reference),
    and a SQLCMD-mode check that sets NOEXEC ON when ``$(...)`` was not substituted."""
    head = script.split("BEGIN TRANSACTION", 1)[0]
    lines = {line.strip() for line in head.split("\n")}
    found = [s for s in ("SET QUOTED_IDENTIFIER ON", "SET ANSI_NULLS ON") if s not in lines]
    if ':setvar __IsSqlCmdEnabled "True"' not in lines:
        found.append("no :setvar __IsSqlCmdEnabled")
    if not re.search(r"IF N'\$\(__IsSqlCmdEnabled\)' NOT LIKE N'True'.*SET NOEXEC ON", head):
        found.append("no SQLCMD-mode check setting NOEXEC ON")
    return found


def description_schemas(script: str, schemas: frozenset[str] = frozenset()) -> list[str]:
    """An extended property names its table's schema (``@level0name``): one the migration
    named, or the applying user's default schema, ``SCHEMA_NAME()`` in a variable (a
    procedure's arguments are constants or variables)."""
    found = []
    for statement in re.split(r"^GO$", script, flags=re.M):
        for name in re.findall(r"@level0name = ([^,]+)", statement):
            name = name.strip()
            if name.startswith("@"):
                if not re.search(rf"{re.escape(name)} sysname = SCHEMA_NAME\(\)", statement):
                    found.append(f"{name} is not SCHEMA_NAME()")
            elif _name(name.lstrip("N").strip("'")) not in schemas:
                found.append(f"@level0name = {name} is a schema the migration did not name")
    return found


def sqlcmd_lines(script: str) -> list[str]:
    """No line is a sqlcmd command except the separators and the preamble's own (and a
    ``GO`` is one only outside a string literal), and no ``$(`` is left for sqlcmd to
    substitute except the SQLCMD-mode check's."""
    found = []
    quotes = 0
    """Quotes since the last GO: odd means the line is inside a string literal."""
    for number, line in enumerate(script.split("\n"), 1):
        inside = quotes % 2 == 1
        if SQLCMD_COMMAND.match(line) and (inside or line.strip() not in ALLOWED_COMMANDS):
            found.append(f"line {number} is a sqlcmd command: {line.strip()[:40]!r}")
        if line.strip().upper() == "GO":
            quotes = 0
        elif inside or not line.lstrip().startswith("--"):
            quotes += line.count("'")
        if "$(" in line.replace(ALLOWED_VARIABLE, ""):
            found.append(f"line {number} has $( for sqlcmd to substitute")
    return found


RULES = {
    "exec_arguments": exec_arguments,
    "identity_inserts": identity_inserts,
    "foreign_key_types": foreign_key_types,
    "concatenation_limits": concatenation_limits,
    "session_settings": session_settings,
    "description_schemas": description_schemas,
    "sqlcmd_lines": sqlcmd_lines,
}
