"""The `frontwatch` command: parse arguments, call the domain, print.

Data goes to stdout (exactly one JSON document with --json); progress and messages go to
stderr. Errors print one line naming the input and the reason, ending in the error's stable code in
brackets, and exit 1 (anything the user can act on), 2 (usage) or 70 (a bug).
The commands are the rows of one table (cli.commands.COMMANDS: verb → module:function);
their modules define plain functions.
"""

from __future__ import annotations

import errno
import sys
import warnings
from typing import Any

from rich.text import Text

from frontwatch import staging
from frontwatch.cli.commands import build
from frontwatch.cli.common import err
from frontwatch.errors import EXIT_INTERNAL, EXIT_STORE, FrontwatchError, echo_name, visible
from frontwatch.settings import debug_enabled

__all__ = ["app", "main"]

app = build()


def main() -> None:
    """Entry point. Typer/click handle their own usage errors (message, exit 2), help and
    --version (exit 0); our errors and the operating system's become one line on stderr."""
    try:
        with warnings.catch_warnings():  # restored on the way out (main runs in tests too)
            warnings.showwarning = show_warning
            app()  # standalone: click's own handling of usage errors and exits
    except FrontwatchError as exc:
        fail(f"{exc} [{exc.code}]", exc.exit_code)
    except OSError as exc:  # the file system or a device: name the file and the reason
        fail(f"{os_message(exc)} [{os_code(exc)}]", EXIT_STORE)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if _is_click_error(exc):  # raised through another copy of click than typer's
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        # a bug: say so without a traceback unless asked
        if debug_enabled():
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} "
             "(set FRONTWATCH_DEBUG=1 for a traceback)", EXIT_INTERNAL)


def _is_click_error(exc: Exception) -> bool:
    return any(c.__name__ == "ClickException" for c in type(exc).__mro__) and \
        isinstance(getattr(exc, "exit_code", None), int)


def show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: Any = None, line: str | None = None) -> None:
    """A library's warning (GDAL's through pyogrio, say) as one line on stderr, the way the
    CLI prints notes: `note: <category>: <message>`, no source line, nothing a terminal
    would act on (errors.visible; a newline shown as \\n), and no private staging folder's
    path (the commands turn the warnings they expect into notes naming the user's file)."""
    text = staging.without_private_paths(str(message))
    err.print(Text.assemble(("note: ", "yellow"), f"{category.__name__}: {visible(text)}"),
              highlight=False)


def fail(message: str, code: int) -> None:
    """One line on stderr (the message is text, never rich markup, and carries no control
    character a terminal would act on: errors.visible), then exit `code`."""
    err.print(Text.assemble(("error: ", "bold red"),
                            " ".join(visible(line) for line in message.splitlines())),
              highlight=False)
    sys.exit(code)


def os_code(exc: OSError) -> str:
    """The README's code for an OSError no domain error took: a missing file is `not-found`,
    any other file that cannot be read or used `input-invalid`."""
    return "not-found" if isinstance(exc, FileNotFoundError) else "input-invalid"


def os_message(exc: OSError) -> str:
    """`path: reason` for an OSError."""
    reason = exc.strerror or (errno.errorcode.get(exc.errno or 0) if exc.errno else None) \
        or str(exc)
    if exc.filename is not None:
        return f"{echo_name(exc.filename)}: {reason}"
    return reason
