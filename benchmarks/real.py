"""A real history in the benchmark (issue 16, item 3): a project's own migrations, as its
wheel ships them, cold and warm, mig against Alembic ``--sql`` on the PostgreSQL dialect.

The history comes from the corpus of issue 9 (:mod:`benchmarks.corpus`: the wheel is
downloaded once with ``pip download`` into ``.corpus_cache/`` and its versions folder
extracted); the helper modules its scripts import are the corpus's shims, put on
``PYTHONPATH`` for both tools alike. Both projects get the same unmodified scripts; they
differ only in their configuration (``mig.toml`` / ``alembic.ini`` with the usual offline
``env.py``), as the synthetic histories of :mod:`benchmarks.synth` do.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks import corpus, synth
from benchmarks.measure import TOOLS
from benchmarks.suite import History, Projects, age

DEFAULT = "ironic"
"""81 revisions, MySQL-first upstream and tested on PostgreSQL there too; mig and Alembic
give the same PostgreSQL schema (docs/corpus.md)."""


class Unavailable(RuntimeError):
    """The history could not be fetched (no network, no pip): the benchmark goes on
    without it and says so."""


def prepare_real(name: str, work: Path, cache: Path = corpus.DEFAULT_CACHE) -> Projects:
    """Both tools' projects on the history ``name`` (one of :data:`corpus.HISTORIES`)."""
    found = {history.name: history for history in corpus.HISTORIES}
    history = found[name]
    try:
        versions = corpus.fetch_versions(history, cache)
    except (corpus.FetchFailed, OSError) as error:
        raise Unavailable(str(error)) from error
    scripts = sorted(versions.glob("*.py"))
    real = History(len(scripts), real=f"{history.name} {history.version}")
    base = work / real.name
    folders: dict[str, Path] = {}
    for tool in TOOLS:
        root = base / tool
        target = root / "migrations" / "versions"
        target.mkdir(parents=True)
        for script in scripts:
            shutil.copyfile(script, target / script.name)
        if tool == "mig":
            (root / "mig.toml").write_text(synth.MIG_TOML)
        else:
            (root / "alembic.ini").write_text(synth.ALEMBIC_INI)
            (root / "migrations" / "env.py").write_text(synth.ALEMBIC_ENV)
        age(root)
        folders[tool] = root
    shims = base / "shims"
    for module, source in history.shims.items():
        path = shims / module
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    out = base / "out"
    out.mkdir()
    return Projects(real, folders, out, {"PYTHONPATH": str(shims)})
