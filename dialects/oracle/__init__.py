"""Oracle: its Dialect class (``dialect.py``), literals (``literals.py``), the SQL*Plus layout
(``sqlplus.py``), type changes (``types.py``) and LOB keys (``keys.py``). Kept empty so a
submodule imports alone."""
