"""The client-command check compiles each dialect's patterns once, not per line.

The framer asks :func:`~offline_sql.client_commands.find_client_command` about every
line it writes (issue 16: a warm run spent a third of its time there, in ``re``'s
pattern cache); the compiled matchers live on the :class:`ClientSyntax` and are not
pickled with it.
"""

from __future__ import annotations

import pickle
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offline_sql import client_commands
from offline_sql.client_commands import ClientCommand, ClientSyntax, find_client_command
from offline_sql.dialect_api.registry import NAMES, get_dialect


@pytest.mark.parametrize("name", NAMES)
def test_patterns_compiled_once_per_syntax(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    syntax = get_dialect(name).client_syntax
    syntax.matchers  # noqa: B018 (compiled before counting)
    compiled: list[str] = []
    real_compile = re.compile

    def counting(pattern: str, flags: int = 0) -> re.Pattern[str]:
        compiled.append(pattern)
        return real_compile(pattern, flags)

    monkeypatch.setattr(re, "compile", counting)
    for i in range(50):
        find_client_command(f"CREATE TABLE t{i} (\n    id INTEGER NOT NULL\n)", syntax)
    assert compiled == []


def test_matchers_not_pickled_and_rebuilt() -> None:
    syntax = ClientSyntax(commands=(ClientCommand(r"\\", "a backslash", "anywhere"),))
    assert find_client_command("SELECT 1 \\! ls", syntax) is not None
    assert "matchers" in syntax.__dict__
    copy = pickle.loads(pickle.dumps(syntax))
    assert "matchers" not in copy.__dict__
    assert copy == syntax
    found = find_client_command("SELECT 1 \\! ls", copy)
    assert found is not None and found.meaning == "a backslash"


def test_matchers_keep_the_commands_order() -> None:
    syntax = ClientSyntax(
        commands=(
            ClientCommand(r"\s*go", "first", "statement_start"),
            ClientCommand(r"g", "second", "line"),
            ClientCommand(r"o", "third", "anywhere"),
        )
    )
    assert [meaning for _, _, meaning in syntax.matchers] == ["first", "second", "third"]
    found = find_client_command("go", syntax)
    assert found is not None and found.meaning == "first"
    found = find_client_command("SELECT 1;\nx; go", syntax)
    assert found is not None and found.meaning == "first" and found.line == 1


_ALPHABET = "ab go GO/.:!$()#@;'\"`-*\\ \t\n\r\x0b\x0c\x1c\x85\u2028eEHhOoSsTt"


@given(text=st.text(alphabet=_ALPHABET, max_size=40))
def test_lines_cut_where_the_line_break_pattern_does(text: str) -> None:
    assert client_commands.lines(text) == client_commands._LINE_BREAK.split(text)


@pytest.mark.parametrize("name", NAMES)
@given(text=st.text(alphabet=_ALPHABET, max_size=40), block=st.booleans())
def test_the_quick_test_answers_as_the_line_by_line_scan(
    name: str, text: str, block: bool
) -> None:
    """The unmasked pass asks every line at once (a shortcut): it must find a command
    exactly when the scan in line order does."""
    syntax = get_dialect(name).client_syntax
    found = client_commands.lines(text)
    expected = client_commands._scan(found, found, found, syntax, block) is not None
    assert client_commands._any_command(found, syntax, block) == expected
