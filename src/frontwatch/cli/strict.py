"""Strict option parsing for every `frontwatch` command and group (cli.commands.build builds
them from the classes here): what click would accept silently is a usage mistake (exit 2,
click's message naming the option).

- An option that takes one value given twice: click keeps the last value, so
  `--format json --format csv` printed CSV and `--date D1 --date D2` answered for D2. Flags
  (`--json --json` asks for the same thing twice), counters and options declared `multiple`
  may repeat.
- A number option given NaN or ±infinity (`--min-km2 nan` kept every piece).
- Typer's conversion messages lose pydantic's "Value error, " prefix, and a value
  click quotes whole is cut to 80 characters (errors.cut_quoted). A number past its bound
  (the API's, frontwatch.values) is said as the API says it (values.past_bound: "too
  large: at most N", "too small: at least N"; a bound that guards a type, a 64-bit id,
  is not named).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from frontwatch.errors import cut_quoted, echo, reason
from frontwatch.values import past_bound


def refuse_repeats(command: Any, ctx: Any, args: list[str]) -> None:
    """BadParameter for the first single-valued option of `command` that `args` give twice.
    A parse error is left to click's own parse."""
    try:
        _, _, order = command.make_parser(ctx).parse_args(args=list(args))
    except Exception:  # a usage error: click reports it its own way, right after
        return
    for param, times in Counter(order).items():
        if times > 1 and param.param_type_name == "option" and not (
                param.multiple or param.count or param.is_flag):
            raise typer.BadParameter(f"given {times} times; give it once", ctx=ctx,
                                     param=param)


def refuse_non_finite(command: Any, ctx: Any) -> None:
    """BadParameter for a parsed number option that is NaN or infinite."""
    for param in command.params:
        value = ctx.params.get(param.name)
        if isinstance(value, float) and not math.isfinite(value):
            raise typer.BadParameter(f"must be a finite number, not {value}", ctx=ctx,
                                     param=param)


_BOUND = re.compile(r"Input should be (less|greater) than( or equal to)? (\S+)")


def bound_words(message: str) -> str:
    """pydantic's "Input should be less than or equal to 3660" → "too large: at most 3660"
    (values.past_bound, the API's words)."""
    def say(m: re.Match) -> str:
        try:
            bound = float(m.group(3))
        except ValueError:  # not a number pydantic would print: left as it is
            return m.group(0)
        return past_bound(f"{m.group(1)}_than{'_equal' * bool(m.group(2))}", bound)
    return _BOUND.sub(say, message)


def _given(param: Any, args: list[str]) -> str | None:
    """The value `args` give the option `param` (None if not found)."""
    for i, arg in enumerate(args):
        for opt in getattr(param, "opts", ()) or ():
            if arg == opt and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(opt + "="):
                return arg[len(opt) + 1:]
    return None


def _not_finite(text: str) -> bool:
    try:
        return not math.isfinite(float(text))
    except ValueError:
        return False


def _strict_parse(command: Any, parse: Any, ctx: Any, args: list[str]) -> list[str]:
    if ctx.resilient_parsing:  # shell completion: parse as click does
        return parse(ctx, args)
    refuse_repeats(command, ctx, args)  # a group: its own options only (parsing stops at
    typed = list(args)                  # the command's name); click's parse consumes args
    try:
        rest = parse(ctx, args)
    except Exception as exc:
        if isinstance(getattr(exc, "message", None), str):  # click's usage errors
            given = _given(getattr(exc, "param", None), typed)
            exc.message = (f"must be a finite number, not {given.strip().lower()}"
                           if given is not None and _not_finite(given)
                           else bound_words(cut_quoted(reason(exc.message))))  # type: ignore[attr-defined]
        raise
    refuse_non_finite(command, ctx)
    return rest


class StrictCommand(TyperCommand):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return _strict_parse(self, super().parse_args, ctx, args)


class StrictGroup(TyperGroup):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return _strict_parse(self, super().parse_args, ctx, args)


def one_of(choices: Callable[[], Iterable[str]], *,
           fold: Callable[[str], str] | None = None) -> Callable[[str], str]:
    """The `parser` of a choice option (a format, a layer, a status, a level): a value not
    among `choices()` is a usage mistake (typer's BadParameter: click's message naming the
    option, exit 2), as click.Choice says it. `choices` is called only when a value is
    parsed, so that the command line does not import the module holding them (geopandas…)
    before it is needed; `fold` (str.lower) compares without case."""
    def parse(value: str) -> str:
        allowed = list(choices())
        if (fold(value) if fold else value) not in allowed:
            raise typer.BadParameter(f"{echo(value)} is not one of "
                                     + ", ".join(repr(c) for c in allowed) + ".")
        return value
    return parse
