"""The one rule for a file Frontwatch is asked to write (`-o`, export's files): checked before
any work, so a 16-second render does not end in "no such folder"."""

from __future__ import annotations

import os
from pathlib import Path

from frontwatch.errors import OutputError, echo_name


def check_writable(path: Path) -> None:
    """OutputError (exit 1, `output-failed`) naming `path` unless it can become a regular file:
    its folder exists and is writable, and it is absent or a regular file (not a device such as
    /dev/full, a FIFO, a socket or a folder, which a writer would delete, block on or
    follow)."""
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"{echo_name(path)}: cannot write: no folder {echo_name(folder)}")
    if (path.exists() or path.is_symlink()) and not path.is_file():
        raise OutputError(f"{echo_name(path)}: cannot write: not a regular file (a device, "
                          "FIFO, socket or folder); name a file to write")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{echo_name(path)}: cannot write: permission denied on the folder "
                          f"{echo_name(folder)}")
