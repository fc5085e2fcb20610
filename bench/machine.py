"""What the machine was doing while a benchmark ran, printed beside its figures.

On a shared virtual machine the same run varies by tens of per cent: the hypervisor lends the
cores to others ("steal" time in /proc/stat) and the cores' speed differs from one machine to the
next. Each benchmark prints, next to its times, how much CPU time was stolen during each
measurement and a short CPU calibration, so that figures from different runs can be compared.
"""

from __future__ import annotations

import os
import time


def _cpu_counters() -> tuple[int, int] | None:
    """(steal, total) jiffies of all CPUs since boot, or None where /proc/stat is missing."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = handle.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    values = [int(v) for v in fields[1:]]
    steal = values[7] if len(values) > 7 else 0
    total = sum(values[:8])  # guest time is already counted in user time
    return steal, total


class StealMeter:
    """Share of CPU time the hypervisor took away between start() and stop()."""

    def __init__(self) -> None:
        self._start = _cpu_counters()
        self.share: float | None = None

    def stop(self) -> float | None:
        end = _cpu_counters()
        if self._start is None or end is None or end[1] <= self._start[1]:
            self.share = None
        else:
            self.share = (end[0] - self._start[0]) / (end[1] - self._start[1])
        return self.share

    def text(self) -> str:
        return f"steal {percent(self.share)}"


def percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.0f} %"


def calibrate() -> str:
    """A fixed piece of pure-Python work (1M dict inserts), in CPU seconds: smaller is faster."""
    t0 = time.process_time()
    table = {}
    for i in range(1_000_000):
        table[i] = i
    return f"calibration: 1M dict inserts = {time.process_time() - t0:.2f} s CPU"


def describe() -> str:
    return f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {calibrate()}"
