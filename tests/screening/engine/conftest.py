"""Fixtures for the screening engine tests: plain pytest, no Django needed.

Run alone with:  python -m pytest tests/screening/engine --confcutdir=tests/screening/engine
"""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def spark():
    if shutil.which("java") is None:
        pytest.skip("no Java runtime on PATH: Spark local mode cannot start")
    pytest.importorskip("pyspark")
    from zhengdun.screening.engine.spark import get_session

    s = get_session("local[2]")
    yield s
    s.stop()
