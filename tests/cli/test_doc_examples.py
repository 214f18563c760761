"""The examples of README.md and docs/*.md are what the tool prints (tests/cli/doc_examples.py).

``python -m tests.cli.update_doc_examples`` rewrites them after an intended change of output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.doc_examples import (
    ROOT,
    Example,
    examples,
    expected,
    lines,
    run,
    runnable,
    update,
)

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


STALE = """# A page

```
$ vmemplan estimate --size 3X; echo "exit $?"
an old message
```

```
$ vmemplan estimate --size 1T --align 1G --json     # excerpt
{
  "total": {"lost_bytes": 1, "struct_pages_initialised": 2}
}
```

```
$ vmemplan estimate --size 1T --json     # excerpt
{
  "no_such_key": 0
}
```
"""


def test_update_mode_rewrites_stale_examples(tmp_path: Path) -> None:
    """What `python -m tests.cli.update_doc_examples` does, on a page of stale examples."""
    page = tmp_path / "page.md"
    page.write_text(STALE, encoding="utf-8")
    changed, failed = update([page])
    assert len(changed) == 2
    assert [f.split(": ")[1] for f in failed] == ["vmemplan estimate --size 1T --json"]
    text = page.read_text(encoding="utf-8")
    assert "an old message" not in text
    assert "'3X'" in text
    assert "\nexit 2\n" in text
    assert '"no_such_key": 0' in text  # left for a hand edit
    first, second, _ = examples([page])
    assert lines(expected(first, run(first))) == lines(first.shown)
    assert json.loads(second.shown) == {
        "total": {
            "lost_bytes": 1 << 30,  # align 1G: the whole first GiB holds the pfn metadata
            "struct_pages_initialised": 1024 * 128,  # 2 kept vmemmap pages of 64 each per 1G
        }
    }
    again, still = update([page])
    assert (again, len(still)) == ([], 1)
