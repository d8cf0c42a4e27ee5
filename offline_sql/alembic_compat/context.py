"""``alembic.context`` as revision scripts use it, answered by mig's run.

A script imports this module as ``from alembic import context`` (see :mod:`.overlay`).
What it asks is answered by the current recorder (:mod:`offline_sql.recorder`) and the run's
settings (:mod:`.settings`). The functions only ``env.py`` calls (``configure``,
``run_migrations``, ``begin_transaction``) have no meaning inside a revision script under
mig, which has no ``env.py`` to run: they raise an error saying so.
"""

from __future__ import annotations

from typing import Any, NoReturn

from offline_sql.alembic_compat.settings import ScriptConfig, current_settings
from offline_sql.errors import ScriptError
from offline_sql.recorder import MigrationContext, active_recorder, current_recorder

__all__ = [
    "execute",
    "get_bind",
    "get_context",
    "get_revision_argument",
    "get_tag_argument",
    "get_x_argument",
    "is_offline_mode",
]


def is_offline_mode() -> bool:
    """True when mig writes SQL (``--sql``), False when it applies to a database."""
    recorder = active_recorder()
    if recorder is not None:
        return recorder.offline
    offline = current_settings().offline
    return True if offline is None else offline


def get_x_argument(as_dictionary: bool = False) -> Any:
    """The ``-x`` values as given (``["key=value", ...]``), or a dict of them: a value
    without ``=`` maps to ``""``, as in Alembic."""
    values = list(current_settings().x_arguments)
    if not as_dictionary:
        return values
    found: dict[str, str] = {}
    for value in values:
        key, _, rest = value.partition("=")
        found[key] = rest
    return found


def get_tag_argument() -> str | None:
    """Alembic's ``--tag``: mig has none, so None (as Alembic without ``--tag``)."""
    return None


def get_revision_argument() -> Any:
    """The revision script being run (mig runs one script at a time)."""
    recorder = active_recorder()
    return recorder.revision if recorder is not None else None


def get_context() -> MigrationContext:
    return current_recorder("get_context").get_context()


def get_bind() -> Any:
    return current_recorder("get_bind").get_bind()


def execute(sql: Any, execution_options: Any = None) -> None:
    """``context.execute(sql)``: the same as ``op.execute`` here."""
    from offline_sql import op

    op.execute(sql, execution_options=execution_options)


def _env_only(name: str) -> NoReturn:
    raise ScriptError(
        f"context.{name}() belongs in Alembic's env.py, which mig does not run: a revision "
        "script under mig calls op.* (and may read context.config / get_x_argument())"
    )


def configure(*args: Any, **kwargs: Any) -> NoReturn:
    _env_only("configure")


def run_migrations(*args: Any, **kwargs: Any) -> NoReturn:
    _env_only("run_migrations")


def begin_transaction(*args: Any, **kwargs: Any) -> NoReturn:
    _env_only("begin_transaction")


def __getattr__(name: str) -> Any:
    """``context.config``: Alembic's Config of the run, as far as scripts read it."""
    if name == "config":
        return ScriptConfig(current_settings())
    raise AttributeError(
        f"alembic.context.{name} is not provided by mig (scripts can use is_offline_mode, "
        "get_x_argument, get_tag_argument, get_context, get_bind, execute and config)"
    )
