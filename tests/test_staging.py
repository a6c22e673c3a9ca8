"""Stale private folders: removed only when no live process holds their lock, whatever the
pid in their name says (a process in another pid namespace, a container sharing /tmp or an
output volume, has a pid this one cannot see), and only names as Frontwatch makes them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from frontwatch import staging

# Makes a folder with staging.make in argv[1], renames it to carry the pid argv[2] (not its
# own: as a process in another pid namespace would look), prints its path and holds it.
HOLDER = """
import os, sys
from frontwatch import staging
made = staging.make(staging.EXPORT, sys.argv[1])
path = made.with_name(f"{staging.EXPORT}{sys.argv[2]}-{made.name[-8:]}")
os.rename(made, path)
print(path, flush=True)
sys.stdin.read()
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).parents[1] / "src"), os.environ.get("PYTHONPATH", "")])}


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def _holder(folder: Path, pid_in_name: int) -> tuple[subprocess.Popen, Path]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder), str(pid_in_name)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=_env())
    line = proc.stdout.readline().strip()
    assert line, f"holder exited {proc.wait(timeout=60)}"
    return proc, Path(line)


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stdin.close()
    proc.stdout.close()


def test_a_live_holders_folder_is_kept_whatever_pid_its_name_carries(tmp_path):
    """A live process's folder whose name carries a dead pid (as one made in another pid
    namespace looks) is kept while its maker lives, and removed once it is SIGKILLed (the
    kernel drops its lock); this process's own folder is kept too."""
    proc, path = _holder(tmp_path, _dead_pid())
    own = staging.make(staging.EXPORT, tmp_path)
    try:
        assert path.is_dir() and path.name.startswith(staging.EXPORT)
        assert staging.remove_stale(tmp_path) == []
        assert path.is_dir() and own.is_dir()
    finally:
        _kill(proc)
    assert staging.remove_stale(tmp_path) == [path]
    assert not path.exists() and own.is_dir()
    staging.release(own)
    assert not own.exists()


def test_only_names_frontwatch_makes_and_real_folders_are_removed(tmp_path):
    """Unlocked folders of names Frontwatch never makes (a leading-zero pid, pid 0, another
    random part's shape, a suffix), a symlink to an unlocked folder and a file of a good name
    stay; an unlocked folder of a good name (its maker gone) is removed."""
    dead = _dead_pid()
    odd = [f"{staging.EXPORT}00012-abcdefgh", f"{staging.EXPORT}00012-lead",
           f"{staging.EXPORT}0-abcdefgh", f"{staging.EXPORT}{dead}-ABCDEFGH",
           f"{staging.EXPORT}{dead}-abcdefg", f"{staging.EXPORT}{dead}-abcdefgh-x",
           f"{staging.INPUT}{dead}-abcdefgh"]  # not a prefix asked for
    for name in odd:
        (tmp_path / name).mkdir()
    target = tmp_path / "target"
    target.mkdir()
    link = tmp_path / f"{staging.EXPORT}{dead}-linklink"
    link.symlink_to(target)
    file = tmp_path / f"{staging.EXPORT}{dead}-filefile"
    file.write_text("kept")
    stale = tmp_path / f"{staging.EXPORT}{dead}-k2x_9abc"
    (stale / "inner").mkdir(parents=True)
    assert staging.remove_stale(tmp_path, (staging.EXPORT,)) == [stale]
    assert all((tmp_path / name).is_dir() for name in odd)
    assert link.is_symlink() and target.is_dir() and file.read_text() == "kept"


def test_a_cleanup_in_another_pid_namespace_keeps_a_live_folder(tmp_path):
    """The real case: the cleanup runs in a new pid namespace (`unshare -p`, as in a container
    sharing the folder) where the holder's pid does not exist; the lock still keeps it."""
    probe = subprocess.run(["unshare", "-p", "-f", "--mount-proc", "true"],
                           capture_output=True, text=True)
    if probe.returncode:
        pytest.skip(f"unshare -p is not permitted here: {probe.stderr.strip()}")
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path), "0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=_env())
    try:
        made = Path(proc.stdout.readline().strip())
        path = made.with_name(f"{staging.EXPORT}{proc.pid}-{made.name[-8:]}")
        made.rename(path)  # carries the holder's real pid, invisible inside the namespace
        inside = ("import os, sys; from frontwatch import staging; "
                  "print(os.path.exists(f'/proc/{sys.argv[2]}'), "
                  "[p.name for p in staging.remove_stale(sys.argv[1])])")
        r = subprocess.run(["unshare", "-p", "-f", "--mount-proc", sys.executable, "-c",
                            inside, str(tmp_path), str(proc.pid)],
                           capture_output=True, text=True, env=_env(), timeout=120)
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == ["False", "[]"]  # its pid unseen there, its folder kept
        assert path.is_dir()
    finally:
        _kill(proc)
    assert staging.remove_stale(tmp_path) == [path]
