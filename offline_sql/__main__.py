"""``python -m offline_sql`` runs the ``mig`` command line."""

from __future__ import annotations

from offline_sql.entry import main

if __name__ == "__main__":
    main()
