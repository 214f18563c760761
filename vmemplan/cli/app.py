"""The ``vmemplan`` click group and entry point: every outcome is a documented exit code.

Exit codes: 0 success; 1 a budget check failed; 2 bad input (one line on stderr naming
the option and value); 3 internal error (no traceback unless VMEMPLAN_DEBUG=1);
130 interrupted.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from vmemplan import __version__
from vmemplan.errors import InputError, Interrupted, VmemplanError

if TYPE_CHECKING:  # compare/plan/check only: `estimate --json` start-up does not pay for them
    pass


EXIT_OK, EXIT_FAIL, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


EPILOG = """\b
Exit codes: 0 success, 1 a budget check failed, 2 bad input (one line on
stderr naming the option and value), 3 internal error, 130 interrupted.
"""


def _fail(code: int, message: str, *, lines: bool = False) -> NoReturn:
    """One escaped line on stderr (``lines``: a message that is one line per problem)."""
    from vmemplan.excerpt import safe_line, safe_lines  # noqa: PLC0415

    with contextlib.suppress(OSError):  # 2>/dev/full or 2>&-: the exit code still tells
        click.echo(f"vmemplan: error: {(safe_lines if lines else safe_line)(message)}", err=True)
    sys.exit(code)


class VmemplanCommand(click.Command):
    """A command that refuses an option taking one value given twice (``--size 1T --size 2T``).

    click keeps the last value silently; a repeatable option (``multiple``) stays repeatable.
    """

    def make_parser(self, ctx: click.Context) -> Any:
        parser = super().make_parser(ctx)
        parse = parser.parse_args

        def parse_args(args: list[str]) -> Any:
            opts, rest, order = parse(args)
            seen: set[str | None] = set()
            for param in order:  # one entry per occurrence, in command-line order
                if not isinstance(param, click.Option) or param.multiple or param.count:
                    continue
                if param.name in seen and param.expose_value:  # (--help --help is help)
                    spellings = "/".join(param.opts + param.secondary_opts)
                    what = "" if param.is_flag else " (it takes one value)"
                    raise click.UsageError(f"{spellings}: given more than once{what}", ctx)
                seen.add(param.name)
            return opts, rest, order

        parser.parse_args = parse_args  # type: ignore[method-assign]
        return parser


# Each command's module (vmemplan/cli/NAME.py), imported when the command is asked for:
# `estimate --json` does not pay for the modules of check, compare, plan, host and the rest.
COMMANDS = (
    "estimate",
    "compare",
    "plan",
    "check",
    "hugetlb",
    "host",
    "inspect",
    "explain",
    "schema",
)


class VmemplanGroup(click.Group):
    """A click group whose every failure is one line on stderr and a documented exit code;
    a command's module is imported (and registers the command) on first use."""

    command_class = VmemplanCommand

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib  # noqa: PLC0415

            importlib.import_module(f"vmemplan.cli.{cmd_name}")
        return self.commands.get(cmd_name)

    def main(self, *args: Any, **kwargs: Any) -> NoReturn:
        kwargs["standalone_mode"] = False
        argv = args[0] if args else kwargs.get("args")
        if (sys.argv[1:] if argv is None else argv) and "complete_var" not in kwargs:
            # The shells' completion calls (and `_VMEMPLAN_COMPLETE=bash_source vmemplan`)
            # pass no argument: a command given with the variable set (left in a CI job's
            # environment) is run, not answered with a completion script and exit 0. An
            # empty name is an environment variable that cannot be set.
            kwargs["complete_var"] = ""
        try:
            rv = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as e:
            # bare `vmemplan` (or a bare subcommand group): the normal help, exit 0
            click.echo(e.ctx.get_help())
            sys.exit(EXIT_OK)
        except click.UsageError as e:
            _fail(EXIT_INPUT, " ".join(e.format_message().split()))
        except click.ClickException as e:
            _fail(e.exit_code if e.exit_code != 1 else EXIT_INPUT, e.format_message())
        except VmemplanError as e:
            code = EXIT_INPUT if isinstance(e, InputError) else EXIT_INTERNAL
            _fail(code, str(e), lines=hasattr(e, "problems"))  # a ConfigError: one per problem
        except (KeyboardInterrupt, Interrupted, click.Abort):
            _fail(EXIT_INTERRUPTED, "interrupted")
        except BrokenPipeError:
            _quiet_closed_pipe()
        except OSError as e:
            _fail(EXIT_INPUT, f"cannot write output: {e.strerror or e}")
        except Exception as e:  # pragma: no cover - the internal-error path
            if os.environ.get("VMEMPLAN_DEBUG") == "1":
                import traceback  # noqa: PLC0415 - only for a crash

                traceback.print_exc()
            _fail(
                EXIT_INTERNAL,
                f"internal error: {type(e).__name__}: {e} (set VMEMPLAN_DEBUG=1 for a traceback)",
            )
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_closed_pipe()
        except OSError as e:
            _fail(EXIT_INPUT, f"cannot write output: {e.strerror or e}")
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


def _quiet_closed_pipe() -> NoReturn:
    """The reader closed the pipe (``| head``): exit 0, as the output was not wanted."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush cannot fail
    sys.exit(EXIT_OK)


@click.group(
    cls=VmemplanGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="vmemplan")
def cli() -> None:
    """Plan the struct page (vmemmap) memory of pmem, device-dax and CXL namespaces."""


def ctx_exit(code: int) -> None:
    """Leave with ``code`` after the report was printed."""
    click.get_current_context().exit(code)


def main() -> NoReturn:
    """Console-script entry point (``vmemplan`` and ``python -m vmemplan``).

    Once the command has finished and its output is flushed, leave with ``os._exit``: the
    interpreter's teardown (freeing every module of click, the model and rich) costs several
    milliseconds of a ~60 ms run and does nothing a finished command needs (vmemplan registers
    no atexit handler and keeps no file open for writing). ``cli.main`` itself still raises
    SystemExit, so in-process callers (CliRunner, tests) are unaffected.
    """
    try:
        cli.main(prog_name="vmemplan")
    except SystemExit as e:
        code = EXIT_OK if e.code is None else e.code if isinstance(e.code, int) else EXIT_INTERNAL
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a write error was reported already
            stream.flush()
    os._exit(code)
