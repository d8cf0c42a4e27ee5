"""README's start-up examples (FastAPI lifespan, Tornado) run as written.

Neither framework is installed for the tests: each snippet runs with a stand-in module that
has just what the snippet touches (``FastAPI(lifespan=...)``; ``tornado.web.Application``,
``RequestHandler``, ``listen``), and with README's PostgreSQL URL replaced by a SQLite file.
What is checked is the start-up path: the database is at head before the application serves.
"""

from __future__ import annotations

import asyncio
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from helpers import Rev, make_project

import offline_sql

README = Path(__file__).resolve().parents[2] / "README.md"
README_URL = '"postgresql+psycopg://app@db/app"'


def startup_snippets() -> list[str]:
    """The python blocks of README's "Migrating at start-up" section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Migrating at start-up", 1)[1].split("\n## ", 1)[0]
    section = section.split("\n### ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


HISTORY = (
    Rev(
        "a1",
        message="accounts",
        upgrade='op.create_table("accounts", sa.Column("id", sa.Integer, primary_key=True))',
        downgrade='op.drop_table("accounts")',
    ),
)


@pytest.fixture
def app_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "app"
    make_project(root, HISTORY, settings={"script_location": "migrations", "cache": False})
    monkeypatch.chdir(root)  # the application finds mig.toml from its working directory
    return root


def heads(database: Path) -> list[str]:
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.exec_driver_sql("SELECT version_num FROM mig_version")]
    finally:
        engine.dispose()


def run_snippet(
    source: str, database: Path, modules: dict[str, types.ModuleType]
) -> dict[str, Any]:
    assert source.count(README_URL) == 1, "README's example URL changed: update this test"
    code = source.replace(README_URL, repr(f"sqlite:///{database}"))
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    try:
        exec(compile(code, str(README), "exec"), namespace)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return namespace


@pytest.fixture
def snippets() -> Iterator[list[str]]:
    found = startup_snippets()
    assert len(found) == 2, "README's start-up section should hold the FastAPI and Tornado examples"
    yield found


def test_fastapi_lifespan_migrates_before_serving(app_folder: Path, snippets: list[str]) -> None:
    class FastAPI:
        def __init__(self, lifespan: Any) -> None:
            self.lifespan = lifespan

    fastapi = types.ModuleType("fastapi")
    fastapi.FastAPI = FastAPI  # type: ignore[attr-defined]
    database = app_folder / "fastapi.db"
    namespace = run_snippet(snippets[0], database, {"fastapi": fastapi})
    app = namespace["app"]

    async def serve() -> list[str]:
        async with app.lifespan(app):
            return heads(database)  # what the first request would see

    assert asyncio.run(serve()) == ["a1"]
    assert not offline_sql.upgrade(
        config=app_folder / "mig.toml", url=f"sqlite:///{database}"
    ).changed


class Listening(Exception):
    """Raised by the stand-in ``listen``: the server would now accept requests."""


def test_tornado_migrates_before_listening(app_folder: Path, snippets: list[str]) -> None:
    database = app_folder / "tornado.db"
    seen: list[list[str]] = []

    class RequestHandler:
        def write(self, text: str) -> None:
            self.written = text

    class Application:
        def __init__(self, routes: list[tuple[str, type]]) -> None:
            self.routes = routes

        def listen(self, port: int) -> None:
            seen.append(heads(database))
            raise Listening(port)

    tornado = types.ModuleType("tornado")
    web = types.ModuleType("tornado.web")
    web.RequestHandler = RequestHandler  # type: ignore[attr-defined]
    web.Application = Application  # type: ignore[attr-defined]
    tornado.web = web  # type: ignore[attr-defined]
    namespace = run_snippet(snippets[1], database, {"tornado": tornado, "tornado.web": web})
    with pytest.raises(Listening):
        asyncio.run(namespace["main"]())
    assert seen == [["a1"]]
    handler = namespace["Health"]()
    handler.get()
    assert handler.written == "ok"
    namespace["engine"].dispose()
