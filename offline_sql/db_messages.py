"""How a database and its errors appear in mig's messages: the URL without its password, the
driver's own one-line message. Shared by online runs and the migration lock."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL


def mask(url: str | URL) -> str:
    """The URL as it may appear in messages: password replaced by ``***``."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", str(url))
    return parsed.render_as_string(hide_password=True)


def driver_message(exc: BaseException) -> str:
    """The driver's own message for ``exc``, one line, without SQLAlchemy's decorations."""
    orig = getattr(exc, "orig", None) or exc
    args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
    # PyMySQL and friends carry (errno, message); str() would show the tuple.
    pair = len(args) == 2 and isinstance(args[0], int)
    text = f"({args[0]}) {args[1]}" if pair else str(orig)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__
