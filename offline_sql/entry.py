"""The ``mig`` console script: a repeated run the result memo answers is answered before
click is imported (:mod:`offline_sql.quick`); every other run is mig's command line
(:func:`offline_sql.cli.main`)."""

from __future__ import annotations

import sys


def main() -> None:
    """Console-script entry point."""
    from offline_sql import quick

    try:
        if quick.answer(sys.argv[1:]):
            return
    except KeyboardInterrupt:  # as click's main ends on ^C: a blank line closes the echo
        sys.stderr.write("\nAborted!\n")
        sys.exit(1)
    from offline_sql.cli import main as command_line

    command_line()
