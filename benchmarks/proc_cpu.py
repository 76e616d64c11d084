"""CPU used by processes on this machine, read from /proc (for the benchmarks' figures)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def ticks(pids: list[str]) -> dict[str, int]:
    """utime + stime (clock ticks) of each process still alive, from /proc."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = int(fields[11]) + int(fields[12])
    return found


def delta(before: dict[str, int], after: dict[str, int]) -> float:
    """CPU seconds used between two snapshots (processes started meanwhile count whole)."""
    return sum(t - before.get(pid, 0) for pid, t in after.items()) / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[str]:
    return subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True,
                          check=False).stdout.split()


def descendants(pid: int) -> list[str]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True,
                           check=False).stdout.split()
    return found + [d for c in found for d in descendants(int(c))]
