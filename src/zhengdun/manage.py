"""The `zhengdun` console script: a thin wrapper over Django's manage.py.

Sub-commands may be written with hyphens (`zhengdun verify-audit`); they map to
the management command with underscores. The screening engine's commands
(`screen`, `screen-score`, `gen-screening-data`) need no Django: they go straight
to the engine's own command line, which saves Django's start-up (about a second).
Given one of Django's own options (--settings, --verbosity, ...) they run as
management commands instead.
"""

import os
import sys

ENGINE_COMMANDS = ("screen", "screen-score", "gen-screening-data")
DJANGO_OPTIONS = ("--settings", "--pythonpath", "--traceback", "--no-color", "--force-color",
                  "--verbosity", "-v", "--skip-checks")


def engine_command(argv: list[str]) -> bool:
    """True when argv names an engine command without any of Django's own options."""
    if len(argv) < 2 or argv[1].replace("_", "-") not in ENGINE_COMMANDS:
        return False
    return not any(a == o or a.startswith(o + "=") or (o == "-v" and a.startswith("-v"))
                   for a in argv[2:] for o in DJANGO_OPTIONS)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if engine_command(argv):
        from zhengdun.screening.engine.cli import main as engine_main

        sys.exit(engine_main([argv[1].replace("_", "-")] + argv[2:], prog="zhengdun"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengdun.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
