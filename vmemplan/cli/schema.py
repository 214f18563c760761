"""``vmemplan schema``: the JSON Schemas of the documents and config files."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from vmemplan.cli.app import EPILOG, cli
from vmemplan.cli.options import Choice

if TYPE_CHECKING:  # compare/plan/check only: `estimate --json` start-up does not pay for them
    pass


# Every document kind `vmemplan schema` prints; schemas/KIND.schema.json is each one.
SCHEMA_KINDS = (
    "config",
    "report",
    "estimate",
    "compare",
    "plan",
    "machine",
    "hugetlb",
    "host-compare",
    "host-plan",
    "system-ram",
    "host",
    "explain",
    "inspect",
)


@cli.command("schema", epilog=EPILOG)
@click.argument("which", type=Choice(SCHEMA_KINDS))
def schema_cmd(which: str) -> None:
    """Print the JSON Schema of the config file or of a JSON document vmemplan prints."""
    from vmemplan.output.schema import json_schema  # noqa: PLC0415

    click.echo(json_schema(which), nl=False)
