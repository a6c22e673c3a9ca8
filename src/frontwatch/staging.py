"""Private folders Frontwatch writes in before a file is done (an input handed to GDAL, an
export moved into place), made so that one left behind by a killed process can be found
and removed later.

A folder is ``<prefix><pid>-<random>`` and its maker holds an advisory lock on it
(``flock`` on the folder itself) from the moment it is made until it is removed. A process
killed with SIGKILL runs no cleanup, but the kernel releases its lock, in whatever pid
namespace (container) it ran: `remove_stale` (run as an import, an export or `serve`
starts) removes a folder only when it can take that lock at once, so a live process's
folder is never removed, whether or not its pid is visible here. Only names exactly as
`make` makes them (a canonical pid, mkdtemp's random part), only real folders (never a
symlink), only our own uid's. flock is the stdlib's (Linux, BSD, macOS; on NFS Linux
emulates it with POSIX locks); the `filelock` package wraps the same call."""

from __future__ import annotations

import contextlib
import fcntl
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
# The name `make` gives: a pid without leading zeros, then tempfile.mkdtemp's random part.
_NAME = r"([1-9][0-9]{0,9})-[a-z0-9_]{8}"

_held: dict[Path, int] = {}  # folder -> the open descriptor holding its lock


def make(prefix: str, folder: str | os.PathLike | None = None) -> Path:
    """A new private folder (mode 0700) ``<prefix><pid>-<random>`` in `folder` (default: the
    system's temporary folder), locked by this process until `release`d (or its exit)."""
    for _ in range(100):
        path = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=folder))
        with contextlib.suppress(OSError):  # removed by a cleanup before it was locked
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if os.path.samestat(os.fstat(fd), os.lstat(path)):
                    _held[path] = fd
                    return path
            except OSError:
                pass
            os.close(fd)
    raise OSError(f"cannot make a private folder in {folder or tempfile.gettempdir()}")


def release(path: Path) -> None:
    """Remove a folder `make` made, with its content, and then drop its lock."""
    shutil.rmtree(path, ignore_errors=True)
    fd = _held.pop(path, None)
    if fd is not None:
        os.close(fd)


@contextlib.contextmanager
def private_folder(prefix: str, folder: str | os.PathLike | None = None) -> Iterator[Path]:
    """`make`'s folder, removed with its content when the block ends (whatever happens)."""
    path = make(prefix, folder)
    try:
        yield path
    finally:
        release(path)


def remove_stale(folder: str | os.PathLike | None = None,
                 prefixes: tuple[str, ...] = PREFIXES) -> list[Path]:
    """Remove the private folders in `folder` (default: the temporary folder) whose maker no
    longer holds their lock (it ended or was killed); returns those removed. Nothing else is
    touched: another user's folder, a locked (live) one, a symlink, a file or a name `make`
    would not give stay."""
    where = Path(folder) if folder is not None else Path(tempfile.gettempdir())
    pattern = re.compile("(?:" + "|".join(map(re.escape, prefixes)) + ")" + _NAME, re.ASCII)
    removed = []
    try:
        entries = list(os.scandir(where))
    except OSError:
        return removed
    for entry in entries:
        if pattern.fullmatch(entry.name) is None:
            continue
        try:  # O_NOFOLLOW: a symlink is refused, never followed
            fd = os.open(entry.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            st = os.fstat(fd)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # its maker still runs (here or in another pid namespace)
            if os.path.samestat(st, os.lstat(entry.path)):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


def without_private_paths(message: str) -> str:
    """`message` (a library's warning) without the paths of our private folders: each is
    shown as ``<temporary file>``, since its name is the machine's, not the user's."""
    pattern = "|".join(map(re.escape, PREFIXES))
    return re.sub(rf"\S*(?:{pattern})\d+-[^/\s]+(?:/\S*)?", "<temporary file>", message)
