"""CPU priority: background work yields the cores to readers.

On a machine that serves the API, batch work — imports, syncs, map renders — competes with
the cheap reads users wait for. Linux's scheduler gives a process (or thread) at nice +10
about a tenth of a core's time against one at 0 when both want it, and everything when the
reads are idle, so lowering the batch work's priority keeps reads fast without slowing the
batch work on an idle machine.
"""

from __future__ import annotations

import contextlib
import os
import threading

MOST = 19  # the lowest priority Linux has


def lower(by: int, thread: bool = False) -> int | None:
    """Lower the priority of this process (or, with `thread`, only the calling thread: on
    Linux nice is per thread) by `by` steps, at most to nice 19. Lowering needs no
    privilege; raising it back would, so this is for processes and threads that only do
    background work from then on. Where the OS does not allow it, nothing changes.

    Parameters
    ----------
    by : int
        steps, 0–19 (0: unchanged).
    thread : bool
        only the calling thread (its native id), not the whole process.

    Returns
    -------
    int or None
        the nice value now, or None when it could not be changed.
    """
    if by <= 0:
        return None
    with contextlib.suppress(AttributeError, OSError):
        who = threading.get_native_id() if thread else 0
        niceness = min(MOST, os.getpriority(os.PRIO_PROCESS, who) + by)
        os.setpriority(os.PRIO_PROCESS, who, niceness)
        return niceness
    return None
