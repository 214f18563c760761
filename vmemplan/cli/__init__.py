"""The ``vmemplan`` command line: one module per command over shared options, parsers
and readers; each parses options into the core's requests, calls the core, renders,
and maps the outcome to an exit code (see ``app``)."""

from vmemplan.cli import (  # noqa: F401 - importing a command module registers it
    check,
    compare,
    estimate,
    host,
    hugetlb,
    plan,
    schema,
)
from vmemplan.cli.app import cli, main

__all__ = ["cli", "main"]
