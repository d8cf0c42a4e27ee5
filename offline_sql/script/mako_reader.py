"""Rendering an Alembic ``script.py.mako`` without Mako: the forms Alembic's templates use.

Mako is an optional extra (``mig[mako]``); without it mig still writes new revisions from a
project's ``script.py.mako`` when the template keeps to what Alembic's own templates
(generic, async, multidb, pyproject) and most teams' copies of them use:

* ``${expression}`` and ``${expression | filter, ...}`` -- the expression is Python, names
  Alembic did not pass are Mako's ``UNDEFINED`` (false, an error when printed); ``str`` is
  applied first unless the filters include ``n``; filters are ``n``, ``str``, ``trim`` or a
  name passed to the template (Alembic's ``comma``);
* ``% if``/``% elif``/``% else``/``% endif``, ``% for ... in ...:``/``% endfor`` lines,
  ``%%`` for a literal ``%`` at the start of a line, ``##`` comment lines, a backslash
  ending a line (joins it to the next);
* ``<%text>...</%text>`` (copied as is), ``<%doc>...</%doc>`` (dropped), ``<%! import ... %>``
  and ``<% name = expression %>`` blocks.

Anything else (``<%def>``, ``<%include>``, escaping filters, statements in blocks, ...) is
refused with :class:`NeedsMako`, so a template is never rendered differently from Mako.
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["UNDEFINED", "NeedsMako", "TemplateError", "render"]


class NeedsMako(Exception):
    """The template uses a construct this reader does not render (``line``: where)."""

    def __init__(self, line: int, construct: str) -> None:
        super().__init__(f"line {line}: {construct}")
        self.line = line
        self.construct = construct


class TemplateError(Exception):
    """The template is supported but rendering it failed (as it would under Mako)."""


class _Undefined:
    """Mako's ``UNDEFINED``: what a name the template was not given evaluates to."""

    def __str__(self) -> str:
        raise NameError("Undefined")

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED = _Undefined()


class _Namespace(dict[str, Any]):
    """Template names first, then Python's builtins, then ``UNDEFINED`` (as Mako resolves)."""

    def __missing__(self, name: str) -> Any:
        return getattr(builtins, name, UNDEFINED)


class _Context:
    """Mako's ``context`` as templates read it: ``context.get(name, default)``, ``[name]``."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def get(self, name: str, default: Any = None) -> Any:
        return self._data.get(name, default)

    def keys(self) -> list[str]:
        return list(self._data)

    def __getitem__(self, name: str) -> Any:
        return self._data[name] if name in self._data else getattr(builtins, name, UNDEFINED)

    def __contains__(self, name: object) -> bool:
        return name in self._data


# ---- nodes --------------------------------------------------------------------------------


@dataclass
class _Text:
    text: str


@dataclass
class _Expr:
    line: int
    source: str
    code: Any
    filters: tuple[str, ...]


@dataclass
class _Code:
    line: int
    code: Any


@dataclass
class _If:
    line: int
    branches: list[tuple[Any, list[_Node]]] = field(default_factory=list)
    """(condition code or None for ``else``, body)."""


@dataclass
class _For:
    line: int
    target: Any
    iterable: Any
    body: list[_Node] = field(default_factory=list)


_Node = _Text | _Expr | _Code | _If | _For

_CONTROL = re.compile(r"[ \t]*(%%|%|##)")
_SPECIAL = re.compile(r"\$\{|</?%|\\\r?\n|\n")
_TAG = re.compile(r"<%(text|doc)>|<%!|<%(?=[ \t\r\n])")
_FILTER_NAMES = {"n", "str", "unicode", "trim"}


def _compile(source: str, mode: str, line: int, what: str) -> Any:
    try:
        return compile(source, f"<script.py.mako line {line}>", mode)
    except SyntaxError as exc:
        raise TemplateError(f"line {line}: {what} is not valid Python: {exc.msg}") from None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.root: list[_Node] = []
        self.stack: list[tuple[_If | _For | None, list[_Node]]] = [(None, self.root)]
        self.module_code: list[Any] = []

    def line_at(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    @property
    def out(self) -> list[_Node]:
        return self.stack[-1][1]

    def emit_text(self, text: str) -> None:
        if not text:
            return
        if self.out and isinstance(self.out[-1], _Text):
            self.out[-1].text += text
        else:
            self.out.append(_Text(text))

    def parse(self) -> list[_Node]:
        text = self.text
        at_line_start = True
        while self.pos < len(text):
            if at_line_start:
                at_line_start = False
                if self._control_line():
                    at_line_start = True
                    continue
            found = _SPECIAL.search(text, self.pos)
            if found is None:
                self.emit_text(text[self.pos :])
                break
            self.emit_text(text[self.pos : found.start()])
            token = found.group()
            self.pos = found.end()
            if token == "\n":
                self.emit_text("\n")
                at_line_start = True
            elif token.startswith("\\"):
                at_line_start = True  # a backslash ending a line joins it to the next
            elif token == "${":
                self._expression(found.start())
            elif token == "</%":
                raise NeedsMako(self.line_at(found.start()), self._tag_name(found.start()))
            else:
                self._tag(found.start())
        if len(self.stack) > 1:
            block = self.stack[-1][0]
            assert block is not None
            kind = "if" if isinstance(block, _If) else "for"
            raise TemplateError(f"line {block.line}: `% {kind}` has no `% end{kind}`")
        return self.root

    def _tag_name(self, start: int) -> str:
        found = re.match(r"</?%[\w:.!]*", self.text[start:])
        return f"`{found.group() if found else '<%'}...` tags"

    # -- control lines (%, %%, ##) --

    def _control_line(self) -> bool:
        found = _CONTROL.match(self.text, self.pos)
        if found is None:
            return False
        marker = found.group(1)
        end = self.text.find("\n", found.end())
        end = len(self.text) if end < 0 else end + 1
        line = self.line_at(self.pos)
        if marker == "%%":
            self.emit_text(self.text[self.pos : found.start(1)] + "%")
            self.pos = found.end()
            return False
        statement = self.text[found.end() : end].strip()
        self.pos = end
        if marker == "%":
            self._control(statement, line)
        return True

    def _control(self, statement: str, line: int) -> None:
        keyword = re.match(r"\w*", statement)
        word = keyword.group() if keyword else ""
        rest = statement[len(word) :].strip()
        if word in ("if", "elif", "for", "else") and not rest.endswith(":"):
            raise TemplateError(f"line {line}: `% {statement}` needs a `:` at the end")
        condition = rest[:-1].strip()
        if word == "if":
            block = _If(line, [(_compile(condition, "eval", line, "the condition"), [])])
            self.out.append(block)
            self.stack.append((block, block.branches[0][1]))
        elif word in ("elif", "else"):
            current = self.stack[-1][0]
            if not isinstance(current, _If) or current.branches[-1][0] is None:
                raise TemplateError(f"line {line}: `% {word}` without a matching `% if`")
            code = None if word == "else" else _compile(condition, "eval", line, "the condition")
            if word == "else" and condition:
                raise TemplateError(f"line {line}: `% else` takes no condition")
            body: list[_Node] = []
            current.branches.append((code, body))
            self.stack[-1] = (current, body)
        elif word == "for":
            target, sep, iterable = condition.partition(" in ")
            if not sep:
                raise TemplateError(f"line {line}: `% for` needs `NAME in ITERABLE:`")
            target_code = _compile(f"{target.strip()} = __item__", "exec", line, "the loop name")
            loop = _For(line, target_code, _compile(iterable, "eval", line, "the loop"))
            self.out.append(loop)
            self.stack.append((loop, loop.body))
        elif word in ("endif", "endfor"):
            expected = _If if word == "endif" else _For
            if not isinstance(self.stack[-1][0], expected):
                raise TemplateError(f"line {line}: `% {word}` without a matching block")
            self.stack.pop()
        else:
            raise NeedsMako(line, f"`% {word or statement}` control lines")

    # -- ${...} --

    def _expression(self, start: int) -> None:
        line = self.line_at(start)
        expression_end = self._python_end(("|", "}"), line)
        source = self.text[self.pos : expression_end].strip()
        filters: tuple[str, ...] = ()
        if self.text[expression_end] == "|":
            close = self._python_end(("}",), line, expression_end + 1)
            filters = tuple(
                name.strip() for name in self.text[expression_end + 1 : close].split(",")
            )
            expression_end = close
        self.pos = expression_end + 1
        for name in filters:
            if not name.isidentifier() or (name in ("h", "u", "x", "entity", "decode")):
                raise NeedsMako(line, f"the `| {name}` filter")
        code = _compile(source, "eval", line, f"${{{source}}}")
        self.out.append(_Expr(line, source, code, filters))

    def _python_end(self, stops: tuple[str, ...], line: int, pos: int | None = None) -> int:
        """Where Python text starting at ``pos`` reaches one of ``stops`` outside brackets
        and strings (how Mako finds the end of ``${...}``)."""
        text = self.text
        index = self.pos if pos is None else pos
        depth = 0
        while index < len(text):
            char = text[index]
            if char in "'\"":
                triple = text[index : index + 3]
                quote = triple if triple in ("'''", '"""') else char
                index += len(quote)
                while index < len(text) and not text.startswith(quote, index):
                    index += 2 if text[index] == "\\" else 1
                index += len(quote)
                continue
            if char in "([{":
                depth += 1
            elif char in ")]}" and depth:
                depth -= 1
            elif depth == 0 and char in stops:
                return index
            index += 1
        raise TemplateError(f"line {line}: `${{` has no closing `}}`")

    # -- <%...> tags --

    def _tag(self, start: int) -> None:
        line = self.line_at(start)
        found = _TAG.match(self.text, start)
        if found is None:
            raise NeedsMako(line, self._tag_name(start))
        name = found.group(1)
        if name is not None:
            close = self.text.find(f"</%{name}>", found.end())
            if close < 0:
                raise TemplateError(f"line {line}: `<%{name}>` has no `</%{name}>`")
            if name == "text":
                self.emit_text(self.text[found.end() : close])
            self.pos = close + len(f"</%{name}>")
            return
        close = self.text.find("%>", found.end())
        if close < 0:
            raise TemplateError(f"line {line}: `<%` has no closing `%>`")
        source = textwrap.dedent(self.text[found.end() : close].lstrip("\r\n")).strip()
        self.pos = close + 2
        module_level = found.group() == "<%!"
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            raise TemplateError(f"line {line}: the block is not valid Python: {exc.msg}") from None
        allowed: tuple[type, ...] = (ast.Import, ast.ImportFrom)
        if not module_level:
            allowed += (ast.Assign, ast.AnnAssign)
        for statement in tree.body:
            if not isinstance(statement, allowed):
                kind = "<%! %>" if module_level else "<% %>"
                what = "imports" if module_level else "imports and assignments"
                raise NeedsMako(line, f"`{kind}` blocks with more than {what}")
        code = _compile(source, "exec", line, "the block")
        if module_level:
            self.module_code.append(code)
        else:
            self.out.append(_Code(line, code))


# ---- rendering ----------------------------------------------------------------------------


def _apply_filters(value: Any, filters: tuple[str, ...], names: _Namespace, line: int) -> str:
    chain = list(filters) if "n" in filters else ["str", *filters]
    for name in chain:
        if name == "n":
            continue
        function: Callable[[Any], Any]
        if name in ("str", "unicode"):
            function = str
        elif name == "trim":
            function = lambda text: str(text).strip()  # noqa: E731
        else:
            function = names[name]
            if not callable(function):
                raise NeedsMako(line, f"the `| {name}` filter")
        value = function(value)
    return value if isinstance(value, str) else str(value)


def _render_nodes(nodes: list[_Node], names: _Namespace, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, _Text):
            out.append(node.text)
            continue
        try:
            if isinstance(node, _Expr):
                value = eval(node.code, {}, names)
                out.append(_apply_filters(value, node.filters, names, node.line))
            elif isinstance(node, _Code):
                exec(node.code, {}, names)
            elif isinstance(node, _If):
                for condition, body in node.branches:
                    if condition is None or eval(condition, {}, names):
                        _render_nodes(body, names, out)
                        break
            else:
                for item in eval(node.iterable, {}, names):
                    names["__item__"] = item
                    exec(node.target, {}, names)
                    _render_nodes(node.body, names, out)
                names.pop("__item__", None)
        except (NeedsMako, TemplateError):
            raise
        except Exception as exc:
            what = f"${{{node.source}}}" if isinstance(node, _Expr) else "the template"
            raise TemplateError(
                f"line {node.line}: {what} failed: {type(exc).__name__}: {exc}"
            ) from None


def render(text: str, values: Mapping[str, Any]) -> str:
    """``text`` rendered with ``values`` as Mako renders it (``render_unicode(**values)``);
    :class:`NeedsMako` for a construct this reader does not render, :class:`TemplateError`
    for a template that fails."""
    parser = _Parser(text)
    nodes = parser.parse()
    names = _Namespace(values)
    names["UNDEFINED"] = UNDEFINED
    names["context"] = _Context(values)
    for code in parser.module_code:
        try:
            exec(code, {}, names)
        except Exception as exc:
            raise TemplateError(f"the <%! %> block failed: {type(exc).__name__}: {exc}") from None
    out: list[str] = []
    _render_nodes(nodes, names, out)
    return "".join(out)
