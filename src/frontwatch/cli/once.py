"""Options given twice are a usage mistake (exit 2), not "the last one wins".

Click keeps the last value of a single-valued option silently: `--format json --format csv`
printed CSV, `--date 2025-06-01 --date 2025-06-30` answered for the 30th. Every command and
group of `frontwatch` is built from the classes here (cli.commands.build), which parse the
arguments once more before click does and refuse an option that takes one value and was
given more than once. Flags (`--json --json` asks for the same thing twice), counters and
options declared `multiple` may repeat.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup


def refuse_repeats(command: Any, ctx: Any, args: list[str]) -> None:
    """BadParameter (exit 2, click's usage message) for the first single-valued option of
    `command` that `args` give twice. A parse error is left to click's own parse."""
    try:
        _, _, order = command.make_parser(ctx).parse_args(args=list(args))
    except Exception:  # a usage error: click reports it its own way, right after
        return
    for param, times in Counter(order).items():
        if times > 1 and param.param_type_name == "option" and not (
                param.multiple or param.count or param.is_flag):
            raise typer.BadParameter(f"given {times} times; give it once", ctx=ctx,
                                     param=param)


class OnceCommand(TyperCommand):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            refuse_repeats(self, ctx, args)
        return super().parse_args(ctx, args)


class OnceGroup(TyperGroup):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:  # its own options only: parsing stops at the command
            refuse_repeats(self, ctx, args)
        return super().parse_args(ctx, args)
