"""README's examples are literally what the tool prints (at 80 columns, in a pipe).

A block in README.md that starts with ``$ vmemplan ...`` and holds no ``...`` elision (nor
a ``# excerpt`` remark) is run through bash with COLUMNS=80, and its output, trailing
blanks stripped, must equal the block. A command piped into ``python3`` readers only (no
other tool needed) is run as well.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"^```[a-z]*\n(\$ vmemplan [^\n]*)\n(.*?)^```", re.M | re.S)


def examples() -> list[tuple[str, str]]:
    found = []
    for m in BLOCK.finditer(README.read_text(encoding="utf-8")):
        command, shown = m.group(1), m.group(2)
        if "..." in shown or "#" in command:
            continue
        # a pipe is run too when every reader is a python3 script (no jq or such needed)
        if any(not stage.strip().startswith("python3 ") for stage in command.split("|")[1:]):
            continue
        found.append((command[2:], shown))
    return found


def test_readme_has_literal_examples() -> None:
    assert len(examples()) >= 1


@pytest.mark.parametrize(("command", "shown"), examples(), ids=[c for c, _ in examples()])
def test_readme_example_is_what_the_tool_prints(command: str, shown: str) -> None:
    # through bash, so that README's globs (examples/*.toml) expand as a user's shell would
    line = shlex.join([sys.executable, "-m", "vmemplan"]) + command.removeprefix("vmemplan")
    env = {**os.environ, "COLUMNS": "80"}
    env.pop("NO_COLOR", None)
    proc = subprocess.run(
        ["bash", "-c", line],
        capture_output=True,
        text=True,
        env=env,
        cwd=README.parent,
        check=False,
    )
    printed = proc.stdout + proc.stderr
    assert lines(printed) == lines(shown)


def lines(text: str) -> list[str]:
    """The text's lines without trailing blanks, and without blank lines at the end."""
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n").split("\n")
