"""SQL Server: its Dialect class (``dialect.py``), literals (``literals.py``), the dependents
dropped around ``ALTER COLUMN`` (``dependents.py``) and what sqlcmd reads (``sqlcmd.py``).
Kept empty so a submodule imports alone."""
