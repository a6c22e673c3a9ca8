"""Help in click's classic style on typer 0.2x.

Typer ≥ 0.2x (with its own copy of click) labels every parameter in `--help` with its Python
type: ``<bool>`` after each flag, ``<str>`` after each option, ``<str>`` after arguments.
Click shows nothing for flags and arguments and TEXT/INTEGER/FLOAT/PATH or the choices for
options; this restores that. The usage line too: typer 0.29 writes a required argument in
braces (``{paths}...``, read as a set of choices); click writes ``PATHS...``, and ``[NAME]``
for an optional one. Older typer versions (which used click itself) lack these hooks and are
left alone.
"""

from __future__ import annotations

from typing import Any

CLICK_NAMES = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH",
               "bool": "BOOLEAN", "datetime": "DATETIME", "uuid": "UUID",
               "int range": "INTEGER RANGE", "float range": "FLOAT RANGE"}


def _label(typed: str | None) -> str | None:
    """`<str>` → TEXT, `<int>` → INTEGER, `<a|b>` → [a|b], `<list[str]>` → TEXT (click names
    the type of one value of a repeatable option), `int range` → INTEGER RANGE."""
    if not typed:
        return typed
    inner = typed[1:-1] if typed.startswith("<") and typed.endswith(">") else typed
    if inner.lower().startswith("list[") and inner.endswith("]"):
        inner = inner[5:-1].lower()
    if "|" in inner:
        return f"[{inner}]"
    return CLICK_NAMES.get(inner.lower(), inner.upper())


def install() -> None:
    try:
        from typer.core import TyperArgument, TyperOption
    except ImportError:  # pragma: no cover - other typer layouts
        return
    rich_type = getattr(TyperOption, "display_type_rich", None)
    if rich_type is None or getattr(rich_type, "_frontwatch", False):
        return

    def option_type(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) or getattr(self, "count", False):
            return None
        return self.metavar if self.metavar is not None else _label(rich_type(self, ctx))

    def argument_type(self: Any, ctx: Any) -> str | None:
        return None

    def argument_usage(self: Any) -> str:
        """click's own usage piece: the metavar, else the name in capitals; `[…]` when
        optional, `...` when it takes several values."""
        name = self.metavar if self.metavar is not None else (self.name or "").upper()
        if not self.required:
            name = f"[{name}]"
        return f"{name}..." if self.nargs != 1 else name

    option_type._frontwatch = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = option_type  # type: ignore[method-assign]
    if hasattr(TyperArgument, "display_type_rich"):
        TyperArgument.display_type_rich = argument_type  # type: ignore[method-assign]
    if hasattr(TyperArgument, "_usage_display_name"):
        TyperArgument._usage_display_name = argument_usage  # type: ignore[method-assign]
