"""MySQL and MariaDB: their Dialect classes (``dialect.py``), literals (``literals.py``), review
rules (``review.py``), functional key parts (``indexes.py``) and InnoDB's names for unnamed
foreign keys (``names.py``). Kept empty so a submodule imports alone."""
