"""Conflict-of-interest screening engine: plain Python + DuckDB, the same rules on Spark.

No Django imports anywhere in this package (DESIGN.md rule 6).
"""

from .contract import HIT_COLUMNS, RULES, Hit, ScreeningInputError
from .core import ScreenResult, read_hits, screen, write_hits

__all__ = ["HIT_COLUMNS", "RULES", "Hit", "ScreeningInputError", "ScreenResult", "screen", "write_hits",
           "read_hits"]
