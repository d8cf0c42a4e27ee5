"""PostgreSQL: its Dialect class (``dialect.py``), literals (``literals.py``) and the review
rules about its locks (``review.py``). Kept empty so a submodule imports alone."""
