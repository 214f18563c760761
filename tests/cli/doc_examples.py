"""The examples of README.md and docs/*.md: find them, run them, compare or rewrite them.

Three kinds of example, each run through bash from the repository root with COLUMNS=80 and
stdout in a pipe (what a reader who copies the command sees when piping it to a pager):

- a *transcript*: a fenced block whose first line is ``$ COMMAND``; the lines after it are
  what COMMAND prints (stdout, then stderr), trailing blanks ignored;
- a *JSON excerpt*: a transcript whose command ends in ``# excerpt``; the block is a JSON
  object whose keys are a selection of what COMMAND prints, and each shown value must
  equal the printed one (lists element by element when they have the same length);
  a transcript's command may end in ``; echo "exit $?"``: its last line is then the exit
  code, after everything the command printed on stdout and stderr;
- a *command list*: a ``sh`` block of command lines without output; each line that runs
  vmemplan (``\\`` continuations joined, ``&&`` parts taken one by one, the command of a
  ``"$(...)"`` or of a ``| source``, an environment assignment before it) must exit 0;
- a *copy*: a ``toml`` block whose usage comment names ``vmemplan check examples/FILE``
  must be that file.

A transcript may start with a program that a test machine lacks (``ndctl ...``) only when
STAND_INS maps that stage to a recorded output of it; any other transcript is an error
(nothing is skipped). ``python -m tests.cli.update_doc_examples`` rewrites every
transcript and excerpt with what the tool prints now.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# A stage a test machine cannot run -> a command that prints what it printed when recorded.
STAND_INS = {
    # pmem-csi#933 (spec ecosystem.md, example B): the output of exactly this command
    "ndctl create-namespace -m fsdax -s 1500G -a 2M -u": (
        "cat tests/data/ndctl/example_b_create_namespace_human.json"
    ),
    # a cxl list -vvv written from cxl-cli's JSON (spec cxl.md section 8): one 64 GiB RAM
    # region of one memdev in window decoder0.0, the shape cxl/filter.c nests
    "cxl list -vvv": "cat tests/data/cxl/single_ram_region_vvv.json",
}

FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```", re.M | re.S)
EXCERPT = re.compile(r"\s+#\s*excerpt\s*$")
CONTINUED = re.compile(r"\$ (?:[^\n]*\\\n)*[^\n]*")  # the first line and its continuations
# `COMMAND; echo "exit $?"` shows the exit code after all COMMAND printed, stderr included
EXIT = '; echo "exit $?"'
# a command that runs vmemplan, with environment assignments before it
VMEMPLAN = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S+ )*vmemplan(?: |$)")
USAGE = re.compile(r"^#\s+vmemplan check (examples/\S+)\s*$", re.M)


def documents() -> list[Path]:
    """README.md and every page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass(frozen=True)
class Example:
    """One fenced block of a document that shows a command."""

    path: Path
    line: int  # 1-based line of the block's first line (after the fence)
    kind: str  # "transcript", "excerpt", "commands" or "copy"
    command: str  # as the reader types it (``$ `` and ``# excerpt`` removed)
    shown: str  # the block's text after the command line ("" for a command list)
    start: int  # offset of `shown` in the document
    end: int

    @property
    def id(self) -> str:
        shown = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{shown}:{self.line}: {self.command}"


def examples(paths: list[Path] | None = None) -> list[Example]:
    """Every example of the documents, in document order."""
    found = []
    for path in paths or documents():
        text = path.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            lang, body = m.group(1), m.group(2)
            line = text.count("\n", 0, m.start(2)) + 1
            if body.startswith("$ "):
                # a long command goes on over lines ending in " \", as a shell reads it
                first = CONTINUED.match(body).group(0)  # type: ignore[union-attr]
                rest = body[len(first) + 1 :]
                command = re.sub(r"\s*\\\n\s*", " ", first[2:])
                kind = "transcript"
                if EXCERPT.search(command):
                    command, kind = EXCERPT.sub("", command), "excerpt"
                start = m.start(2) + len(first) + 1
                found.append(Example(path, line, kind, command, rest, start, m.end(2)))
            elif lang == "sh":
                found.extend(
                    Example(path, line, "commands", command, "", m.start(2), m.start(2))
                    for command in command_lines(body)
                )
            elif lang == "toml" and (usage := USAGE.search(body)):
                found.append(Example(path, line, "copy", usage.group(1), body, 0, 0))
    return found


def command_lines(body: str) -> list[str]:
    """The vmemplan commands of an ``sh`` block: continuations joined, ``&&`` split."""
    joined = re.sub(r"\\\n\s*", "", body)
    commands = []
    for line in joined.splitlines():
        line = re.sub(r"\s+#.*$", "", line)  # noqa: PLW2901
        inner = re.fullmatch(r'eval "\$\((.*)\)"', line.strip())
        line = inner.group(1) if inner else line.removesuffix("| source")  # noqa: PLW2901
        commands.extend(part.strip() for part in line.split("&&") if VMEMPLAN.match(part.strip()))
    return commands


def runnable(command: str) -> str | None:
    """The shell line that runs `command` here, or None when a stage cannot be run."""
    if command.startswith("examples/"):  # a copy: nothing to run
        return command
    stages = [s.strip() for s in command.split("|")]
    if not VMEMPLAN.match(stages[0]):
        if stages[0] not in STAND_INS:
            return None
        stages[0] = STAND_INS[stages[0]]
    for stage in stages[1:]:
        if not (VMEMPLAN.match(stage) or stage.startswith("python3 ")):
            return None
    return " | ".join(stages)


@functools.cache
def _shim_dir() -> str:
    """A directory whose `vmemplan` and `python3` are this interpreter's."""
    d = Path(tempfile.mkdtemp(prefix="vmemplan-doc-examples-"))
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    for name, line in (
        ("vmemplan", f"exec {shlex.quote(sys.executable)} -m vmemplan"),
        ("python3", f"exec {shlex.quote(sys.executable)}"),
    ):
        shim = d / name
        shim.write_text(f'#!/bin/sh\n{line} "$@"\n', encoding="utf-8")
        shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return str(d)


@dataclass(frozen=True)
class Run:
    """What an example's command did."""

    returncode: int
    stdout: str
    stderr: str


def run(example: Example) -> Run:
    """Run the example's command as the documents promise (bash, COLUMNS=80, a pipe)."""
    command = example.command.removesuffix(EXIT)
    line = runnable(command)
    if line is None:
        msg = f"{example.id}: cannot run here (add a stand-in to STAND_INS?)"
        raise AssertionError(msg)
    env = {**os.environ, "COLUMNS": "80"}
    env.pop("NO_COLOR", None)
    env.pop("VMEMPLAN_DEBUG", None)
    env["PATH"] = _shim_dir() + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", line],
        stdin=subprocess.DEVNULL,  # a command that waits for stdin fails instead of hanging
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    stderr = proc.stderr
    if command != example.command:
        stderr += f"exit {proc.returncode}\n"
    return Run(proc.returncode, proc.stdout, stderr)


def lines(text: str) -> list[str]:
    """The text's lines without trailing blanks, and without blank lines at the end."""
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n").split("\n")


def project(actual: Any, shown: Any) -> Any:
    """`actual` cut down to the keys `shown` has (a KeyError if one is missing)."""
    if isinstance(shown, dict) and isinstance(actual, dict):
        return {key: project(actual[key], value) for key, value in shown.items()}
    if isinstance(shown, list) and isinstance(actual, list) and len(shown) == len(actual):
        return [project(a, s) for a, s in zip(actual, shown, strict=True)]
    return actual


def expected(example: Example, done: Run) -> str:
    """The block text the example should show, from what its command printed."""
    if example.kind == "excerpt":
        doc = project(json.loads(done.stdout), json.loads(example.shown))
        return json.dumps(doc, indent=2) + "\n"
    return "\n".join(lines(done.stdout + done.stderr)) + "\n"


def update(paths: list[Path] | None = None) -> tuple[list[str], list[str]]:
    """Rewrite every transcript and excerpt with what its command prints now.

    Returns the ids of the examples whose text changed, and those that could not be
    rewritten (with why): an excerpt whose keys are gone, a command that cannot run here.
    The other examples are rewritten all the same.
    """
    changed, failed = [], []
    by_path: dict[Path, list[Example]] = {}
    for example in examples(paths):
        if example.kind in {"transcript", "excerpt"}:
            by_path.setdefault(example.path, []).append(example)
    for path, found in by_path.items():
        text = path.read_text(encoding="utf-8")
        for example in reversed(found):  # from the end, so earlier offsets stay valid
            try:
                new = expected(example, run(example))
            except (KeyError, ValueError, AssertionError) as exc:
                failed.append(f"{example.id}: {type(exc).__name__}: {exc}")
                continue
            if new != example.shown:
                changed.append(example.id)
                text = text[: example.start] + new + text[example.end :]
        path.write_text(text, encoding="utf-8")
    return sorted(changed), sorted(failed)
