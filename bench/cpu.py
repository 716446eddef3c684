"""Server CPU time from /proc: user + system seconds of a process and every live descendant,
plus what its reaped children used (cutime/cstime). Linux only; None elsewhere.

Read before and after a case, the difference over the requests completed in between is the
server's CPU per request. Unlike req/s and latency it does not move much when other work
shares the machine (only cache and frequency effects), so it is the figure to compare between
runs on a busy or small machine.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, list[str]] | None:
    """(ppid, fields from state on) of one process, None when it is gone."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # the name may hold spaces and parentheses
    return int(fields[1]), fields


def tree_seconds(root: int) -> float | None:
    """CPU seconds of ``root`` and its descendants (live, and reaped by them)."""
    if not PROC.is_dir() or _stat(root) is None:
        return None
    stats: dict[int, tuple[int, list[str]]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                stats[int(entry.name)] = stat
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid not in stats:
            continue
        # after "state": ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
        # utime(11) stime(12) cutime(13) cstime(14)
        fields = stats[pid][1]
        total += sum(int(fields[i]) for i in (11, 12, 13, 14))
        todo.extend(children.get(pid, []))
    return total / TICKS
