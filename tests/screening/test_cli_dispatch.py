"""`zhengdun screen` and the other engine commands run without starting Django."""

import subprocess
import sys

import pytest

from zhengdun.manage import engine_command

PROBE = """
import atexit, sys
atexit.register(lambda: print("django loaded" if "django.core.management" in sys.modules else "no django",
                              file=sys.stderr))
from zhengdun.manage import main
main(["zhengdun"] + sys.argv[1:])
"""


@pytest.mark.parametrize("argv, expected", [
    (["zhengdun", "screen", "D", "--out", "h.csv"], True),
    (["zhengdun", "screen-score", "t.csv", "h.csv"], True),
    (["zhengdun", "gen_screening_data", "OUT"], True),
    (["zhengdun", "screen", "D", "--out", "h.csv", "--verbosity", "2"], False),
    (["zhengdun", "screen", "D", "--out", "h.csv", "-v2"], False),
    (["zhengdun", "screen", "D", "--settings=zhengdun.settings"], False),
    (["zhengdun", "migrate"], False),
    (["zhengdun"], False),
])
def test_engine_commands_are_told_apart(argv, expected):
    assert engine_command(argv) is expected


def _run(*args):
    return subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)


def test_screen_on_a_missing_folder_fails_without_django(tmp_path):
    out = tmp_path / "hits.csv"
    p = _run("screen", str(tmp_path / "nope"), "--out", str(out))
    assert p.returncode == 1
    assert "not a directory" in p.stderr and "nothing written" in p.stderr
    assert "no django" in p.stderr
    assert not out.exists()


def test_a_django_option_runs_the_management_command(tmp_path):
    out = tmp_path / "hits.csv"
    p = _run("screen", str(tmp_path / "nope"), "--out", str(out), "--verbosity", "1")
    assert p.returncode == 1
    assert "CommandError" in p.stderr and "django loaded" in p.stderr
    assert not out.exists()


def test_engine_help_names_the_console_script():
    p = _run("screen-score", "--help")
    assert p.returncode == 0
    assert p.stdout.startswith("usage: zhengdun screen-score")
