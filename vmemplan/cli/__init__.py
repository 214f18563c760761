"""The ``vmemplan`` command line: one module per command over shared options, parsers
and readers; each parses options into the core's requests, calls the core, renders,
and maps the outcome to an exit code (see ``app``). A command's module is imported when
the command runs (``app.COMMANDS``)."""

from vmemplan.cli.app import cli, main

__all__ = ["cli", "main"]
