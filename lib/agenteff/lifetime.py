"""Worker processes that end with the process that started them, even when it is killed with ``kill -9``.

A pool's workers (the sweep engine's, the notebook runner's) would otherwise live on as orphans: a sweep's worker
finishing a paid call nobody stores, a runner's worker and its Jupyter kernel replacing stored results after the
run was stopped. :func:`exit_with_parent` is the pool initialiser that prevents it.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from pathlib import Path

__all__ = ["exit_with_parent"]


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (read from /proc; none where there is no /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # it exited while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _descendants(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        children = _children(frontier.pop())
        found += children
        frontier += children
    return found


def exit_with_parent() -> None:
    """Pool initialiser: when the parent process dies, kill this worker's own children (a notebook's kernel)
    and exit at once."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch():
        multiprocessing.connection.wait([parent.sentinel])
        for child in _descendants(os.getpid()):
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os._exit(1)

    threading.Thread(target=watch, name="agenteff-exit-with-parent", daemon=True).start()
