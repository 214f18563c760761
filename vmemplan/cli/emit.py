"""Printing a document: JSON through click.echo, text through the rich renderers."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from vmemplan.excerpt import escape
from vmemplan.output.report import (
    to_json,
)

if TYPE_CHECKING:  # compare/plan/check only: `estimate --json` start-up does not pay for them
    pass


def _console(color: str) -> Any:
    """A rich Console (imported only for human output: --json start-up stays lean)."""
    from vmemplan.output.render import FigureConsole  # noqa: PLC0415

    class _PipeConsole(FigureConsole):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # rich would exit 1; main() exits 0 quietly

    from vmemplan.output.render import strip_trailing_blanks  # noqa: PLC0415

    never = color == "never" or (color == "auto" and "NO_COLOR" in os.environ)
    extra: dict[str, Any] = {"color_system": None} if never else {}
    console = _PipeConsole(
        file=strip_trailing_blanks(sys.stdout),
        force_terminal=True if color == "always" else None,
        no_color=never,
        highlight=False,
        emoji=False,  # ":name:" in a label is text; and rich's emoji table is not imported
        **extra,
    )
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 120  # a pipe or a log: do not truncate tables to 80 columns
    return console


def _emit(doc: dict[str, Any], as_json: bool, color: str, render: str) -> None:
    human = click.get_current_context().params.get("human", False)
    if as_json or human:
        click.echo(to_json(_human(doc) if human else doc), nl=False)
        return
    from vmemplan.output import render as r  # noqa: PLC0415

    getattr(r, render)(_console(color), _escaped(doc))


def _escaped(value: Any) -> Any:
    """The document with every string escaped for a terminal: a device name read from a
    dump (``namespace0.0`` followed by ``ESC ] 0 ; title BEL``) is printed as ``\\x1b...``,
    not obeyed. The JSON needs none of this: json.dumps escapes control characters."""
    if isinstance(value, str) and hasattr(value, "kind"):  # a SourceNote keeps its kind
        return type(value)(value.kind, escape(value))
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value


def _human(doc: dict[str, Any]) -> dict[str, Any]:
    """``-u/--human``: sizes as ndctl -u prints them (see vmemplan.output.human)."""
    from vmemplan.output.human import humanize  # noqa: PLC0415

    out: dict[str, Any] = humanize(doc)
    return out


def _echo_color(color: str) -> bool | None:
    """click.echo's ``color``: None strips styles unless stdout is a terminal."""
    if color == "always":
        return True
    if color == "never" or "NO_COLOR" in os.environ:
        return False
    return None
