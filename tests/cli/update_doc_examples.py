"""Rewrite the examples of README.md and docs/*.md with what vmemplan prints now.

Usage, from the repository root with the development install active::

    python -m tests.cli.update_doc_examples [FILE.md ...]

Each ``$ vmemplan ...`` transcript gets the command's current output (COLUMNS=80, in a
pipe) and each ``# excerpt`` JSON block the current values of the keys it shows. Review
the diff: the tests (tests/cli/test_doc_examples.py) then hold the documents to it. An
excerpt whose keys the tool no longer prints is left alone and named: edit it by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.cli import doc_examples


def main(argv: list[str]) -> int:
    """Update the documents named in argv (default: all); print what changed.

    Exit 1 when some example could not be rewritten (each is named on stderr).
    """
    paths = [Path(a).resolve() for a in argv] or None
    changed, failed = doc_examples.update(paths)
    for example_id in changed:
        print(f"updated {example_id}")
    for problem in failed:
        print(f"not updated (fix it by hand): {problem}", file=sys.stderr)
    print(f"{len(changed)} example(s) updated, {len(failed)} to fix by hand")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
