"""SQLite: its Dialect class (``dialect.py``), literals (``literals.py``) and the table rebuild
for changes ALTER TABLE cannot make (``rebuild.py``). Kept empty so a submodule imports alone."""
