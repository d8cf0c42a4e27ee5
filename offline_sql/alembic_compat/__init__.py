"""Running an Alembic project's scripts unmodified.

Revision scripts written for Alembic say ``from alembic import op`` and ``from alembic import
context``. While mig imports and runs them, :func:`~.overlay.alembic_modules` makes those
names resolve to mig's ``op`` (:mod:`offline_sql.op`) and to :mod:`.context`, whether or not
Alembic is installed, and puts back whatever ``sys.modules`` held afterwards: Alembic itself,
run later in the same process, is untouched. Reading ``alembic.ini`` and ``env.py`` is
:mod:`offline_sql.config_ini`'s job.
"""
