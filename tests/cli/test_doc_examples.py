"""The examples of README.md and docs/*.md are what the tool prints (tests/cli/doc_examples.py).

``python -m tests.cli.update_doc_examples`` rewrites them after an intended change of output.
"""

from __future__ import annotations

import json

import pytest

from tests.cli.doc_examples import ROOT, Example, examples, expected, lines, run, runnable

ALL = examples()
SHOWN = [e for e in ALL if e.kind in {"transcript", "excerpt"}]
COMMANDS = [e for e in ALL if e.kind == "commands"]
COPIES = [e for e in ALL if e.kind == "copy"]


def test_every_document_has_examples_and_each_can_run() -> None:
    """Nothing is skipped: every transcript's command runs here (or has a stand-in)."""
    pages = {e.path.relative_to(ROOT).as_posix() for e in SHOWN}
    assert "README.md" in pages
    assert [e.id for e in ALL if runnable(e.command) is None] == []


@pytest.mark.parametrize("example", SHOWN, ids=[e.id for e in SHOWN])
def test_example_is_what_the_tool_prints(example: Example) -> None:
    done = run(example)
    if example.kind == "excerpt":
        assert json.loads(expected(example, done)) == json.loads(example.shown)
    else:
        assert lines(done.stdout + done.stderr) == lines(example.shown)


@pytest.mark.parametrize("example", COMMANDS, ids=[e.id for e in COMMANDS])
def test_command_line_runs(example: Example) -> None:
    done = run(example)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.strip()


@pytest.mark.parametrize("example", COPIES, ids=[e.id for e in COPIES])
def test_config_shown_is_the_example_file(example: Example) -> None:
    assert example.shown == (ROOT / example.command).read_text(encoding="utf-8")
