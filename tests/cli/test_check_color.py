"""``check --color auto|always|never``, like the other commands: styles on a terminal or
when asked, never with NO_COLOR or --color never (issue 6 item 10)."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner, Result

from vmemplan.cli import cli

ROOT = Path(__file__).resolve().parents[2]
BUDGETED = str(ROOT / "examples" / "two-socket-vm-host.toml")
NO_BUDGETS = '[[namespaces]]\nname = "pmem0"\nsize = "1T"\nalign = "1G"\n'


def run(*args: str, color: bool = False, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, color=color, env=env)


def test_check_color_always_styles_the_status() -> None:
    out = run("check", BUDGETED, "--color", "always").stdout
    assert "\x1b[32m" in out  # green "pass"
    assert out.startswith("\x1b[32m")
    assert click.unstyle(out) == run("check", BUDGETED).stdout


def test_check_color_never_on_a_terminal_has_no_escape() -> None:
    # color=True makes click treat the runner's stdout as a terminal
    assert "\x1b[" in run("check", BUDGETED, color=True).stdout
    assert "\x1b[" not in run("check", BUDGETED, "--color", "never", color=True).stdout


def test_check_color_auto_honours_no_color() -> None:
    assert "\x1b[" in run("check", BUDGETED, "--color", "auto", color=True).stdout
    out = run("check", BUDGETED, "--color", "auto", color=True, env={"NO_COLOR": "1"}).stdout
    assert "\x1b[" not in out


def test_check_color_styles_failed_findings(tmp_path: Path) -> None:
    path = tmp_path / "fail.toml"
    path.write_text(NO_BUDGETS + '[namespaces.budgets]\ndram = "1M"\n')
    out = run("check", str(path), "--color", "always").stdout
    assert "\x1b[31m" in out  # red "fail"
    assert "\x1b[1m" in out  # bold FILE:LINE


def test_check_color_rejects_an_unknown_mode() -> None:
    result = run("check", BUDGETED, "--color", "sometimes")
    assert result.exit_code == 2
    assert "'sometimes' is not one of 'auto', 'always', 'never'" in result.stderr
