"""What a breaker trial left open on the CLI and `serve`, each checked on the real CLI (a
subprocess): stores named by a connection string, export's output path, help text, tables
when piped, bounded shutdown."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from tests.test_cli_errors import ROOT

# Every command's --help from the real entry point (one interpreter for all of them: the
# sweep stays quick; click's exits are caught, so each page is the one a user sees).
HELP_SWEEP = r"""
import contextlib, io, json, sys
from frontwatch.cli import main
from frontwatch.cli.commands import COMMANDS
pages = {}
for path in [""] + [v.path for v in COMMANDS]:
    sys.argv = ["frontwatch", *path.split(), "--help"]
    buf = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(buf):
        try:
            main()
        except SystemExit as exc:
            code = exc.code
    pages[path] = [code, buf.getvalue()]
print(json.dumps(pages))
"""


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}", **extra}


def test_every_commands_help_is_in_clicks_style():
    """No typer type labels (`<bool>`, `<str>`, `list[str]`) and no `{paths}...` in the usage
    line (typer 0.29 writes a required argument in braces, read as a set of choices): click's
    `PATHS...`, `DATE`, `[NAME]` (breaker trial)."""
    r = subprocess.run([sys.executable, "-c", HELP_SWEEP], capture_output=True, text=True,
                       env=_env(COLUMNS="100", FRONTWATCH_DATABASE_URL="/nonexistent/x.sqlite"),
                       timeout=600)
    assert r.returncode == 0, r.stderr
    pages = json.loads(r.stdout)
    assert len(pages) > 30
    for path, (code, page) in pages.items():
        assert code in (0, None) and "Usage:" in page, (path, code, page)
        usage = next(line for line in page.splitlines() if "Usage:" in line)
        assert "{" not in usage and "}" not in usage, (path, usage)
        assert not re.search(r"<\w+(\|\w+)*>|list\[", page), (path, page)
    assert "Usage: frontwatch import [OPTIONS] PATHS..." in pages["import"][1]
    assert "Usage: frontwatch diff [OPTIONS] D1 D2" in pages["diff"][1]
    assert "Usage: frontwatch map [OPTIONS] DATE" in pages["map"][1]
