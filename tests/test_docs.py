"""README.md and docs/: the front page's shape, the schema lists, and every relative link.

The examples themselves are run by tests/cli/test_doc_examples.py.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
SCHEMA_KINDS = sorted(p.name.removesuffix(".schema.json") for p in (ROOT / "schemas").iterdir())


def test_readme_is_a_front_page_of_at_most_300_lines() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 300


def test_readme_starts_with_the_two_commands() -> None:
    """The install-and-run command and the install-and-test command come first."""
    first = README.read_text(encoding="utf-8").split("\n\n")[1]
    assert first == (
        "```sh\n"
        "pip install . && vmemplan estimate --size 1T --align 1G\n"
        "pip install -e '.[test]' && python -m pytest\n"
        "```"
    )


def test_every_command_has_a_page() -> None:
    for page in ("estimate", "batch", "compare", "plan", "check", "host", "hugetlb", "explain"):
        text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
        assert f"vmemplan {page if page != 'batch' else 'estimate --batch'}" in text


def test_schema_lists_name_every_committed_schema() -> None:
    """`vmemplan schema a|b|...` in README.md and docs/json.md, and json.md's table."""
    for page in (README, DOCS / "json.md"):
        text = page.read_text(encoding="utf-8")
        (kinds,) = re.findall(r"`vmemplan schema\s+([a-z-]+(?:\|[a-z-]+)+)`", text)
        assert sorted(kinds.split("|")) == SCHEMA_KINDS, page.name
    rows = re.findall(r"^\| `([a-z-]+)` \| `([a-z-]+)\.schema\.json` \|", _json_md(), re.M)
    assert sorted(kind for kind, _ in rows) == SCHEMA_KINDS
    assert all(kind == file for kind, file in rows)


def test_json_md_explains_every_key_of_the_estimate_document() -> None:
    """The key table of docs/json.md: one row per top-level key of `estimate --json`."""
    section = _json_md().split("## The estimate document", 1)[1].split("\n## ", 1)[0]
    explained = re.findall(r"^\| `([a-z_]+)` \|", section, re.M)
    doc = json.loads(run_cli("estimate", "--size", "1T", "--json").stdout)
    assert sorted(explained) == sorted(set(doc) - {"schema_version", "vmemplan_version"})


def _json_md() -> str:
    return (DOCS / "json.md").read_text(encoding="utf-8")


LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces -> '-'."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {slug(m) for m in re.findall(r"^#+ (.*)$", text, re.M)}


def test_every_relative_link_resolves() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # https: and such
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists() or (anchor and anchor not in anchors(dest)):
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []


def test_docs_index_links_every_page() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = {DOCS / t for t in LINK.findall(index) if "/" not in t and "#" not in t}
    assert set(DOCS.glob("*.md")) - {DOCS / "README.md"} <= linked


def test_every_toml_block_is_valid_toml() -> None:
    """Config fragments are not run (a fragment is not a whole host), but they parse."""
    found = 0
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"^```toml\n(.*?)^```", text, re.M | re.S):
            tomllib.loads(block)
            found += 1
    assert found >= 3
