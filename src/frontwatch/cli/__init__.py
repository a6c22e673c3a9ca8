"""The `frontwatch` command: parse arguments, call the domain, print.

Data goes to stdout (exactly one JSON document with --json); progress and messages go to
stderr. Errors print one line naming the input and the reason, and exit non-zero. Each
module of this package registers its commands on the shared Typer app.
"""

from __future__ import annotations

import os
import sys

import click
import typer

from frontwatch.cli import analytics, data, manage, maps, serve  # noqa: F401  (register commands)
from frontwatch.cli.common import app, err
from frontwatch.errors import FrontwatchError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: run the CLI; turn known errors into one clean line on stderr."""
    try:
        app(standalone_mode=False)
    except FrontwatchError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        sys.exit(1)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        sys.exit(code or 0)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: say so without a traceback unless asked
        if os.environ.get("FRONTWATCH_DEBUG"):
            raise
        err.print(f"[bold red]internal error:[/bold red] {type(exc).__name__}: {exc} "
                  "(set FRONTWATCH_DEBUG=1 for a traceback)", highlight=False)
        sys.exit(70)
