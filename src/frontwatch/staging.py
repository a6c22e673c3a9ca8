"""Private folders Frontwatch writes in before a file is done (an input handed to GDAL, an
export moved into place), named so that one left behind by a killed process can be found
and removed later.

A folder is ``<prefix><pid>-<random>``: the process that made it is in its name. A process
killed with SIGKILL runs no cleanup, so `remove_stale` (run as an import, an export or
`serve` starts) removes the folders of our prefixes whose process is gone — only folders,
never a symlink, only ones owned by our own uid, never one whose process still runs (nor,
since the pid cannot tell, one made by a process in another pid namespace that reuses it:
that one stays until its pid is free again)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

INPUT = "frontwatch-input-"  # an input file GDAL reads, in the system's temporary folder
EXPORT = ".frontwatch-export-"  # an export's files, beside the files they become
PREFIXES = (INPUT, EXPORT)


def make(prefix: str, folder: str | os.PathLike | None = None) -> Path:
    """A new private folder (mode 0700) ``<prefix><pid>-<random>`` in `folder` (default: the
    system's temporary folder)."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=folder))


@contextlib.contextmanager
def private_folder(prefix: str, folder: str | os.PathLike | None = None) -> Iterator[Path]:
    """`make`'s folder, removed with its content when the block ends (whatever happens)."""
    path = make(prefix, folder)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def remove_stale(folder: str | os.PathLike | None = None,
                 prefixes: tuple[str, ...] = PREFIXES) -> list[Path]:
    """Remove the private folders in `folder` (default: the temporary folder) left by
    processes that no longer run; returns those removed. Nothing else is touched: another
    user's folder, a live process's, a symlink or a file of a matching name stay."""
    where = Path(folder) if folder is not None else Path(tempfile.gettempdir())
    pattern = re.compile("(?:" + "|".join(map(re.escape, prefixes)) + r")(\d+)-[^/]+",
                         re.ASCII)
    removed = []
    try:
        entries = list(os.scandir(where))
    except OSError:
        return removed
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m is None or int(m[1]) == os.getpid() or _alive(int(m[1])):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid():
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def without_private_paths(message: str) -> str:
    """`message` (a library's warning) without the paths of our private folders: each is
    shown as ``<temporary file>``, since its name is the machine's, not the user's."""
    pattern = "|".join(map(re.escape, PREFIXES))
    return re.sub(rf"\S*(?:{pattern})\d+-[^/\s]+(?:/\S*)?", "<temporary file>", message)


def _alive(pid: int) -> bool:
    """Whether a process `pid` exists (one of another user's counts: its folder is kept)."""
    if pid <= 0:
        return True  # not a pid a folder of ours can carry: keep it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
