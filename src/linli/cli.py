"""The `linli` console command: operations plus every Django management command."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    # Imported once the settings module is chosen: `linli` is the console entry point, before Django is set up.
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["linli", *args])


if __name__ == "__main__":
    main()
