"""Values are echoed as short escaped excerpts: no line break, no escape sequence, no flood.

Before: ``--from-ndctl $'nx\\nINJECTED'`` printed two lines, and a batch line's
``ESC ] 0 ; TITLE BEL`` reached the terminal as it is (setting its title).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.bounded import run
from vmemplan.excerpt import escape, excerpt, key_excerpt, safe_lines

OSC_TITLE = "\x1b]0;TITLE\x07"


def test_a_newline_in_a_path_is_one_escaped_line() -> None:
    result = run("estimate", "--from-ndctl", "nx\nINJECTED")
    assert result.code == 2
    assert result.err_lines == [
        "vmemplan: error: --from-ndctl: nx\\nINJECTED: No such file or directory"
    ]


def test_an_escape_sequence_in_a_batch_line_is_escaped() -> None:
    # an unknown flag is echoed as the line spells it
    result = run("estimate", "--batch", "-", stdin=f"--{OSC_TITLE} 1\n".encode())
    assert result.code == 2
    assert "\x1b" not in result.stderr
    assert "\x07" not in result.stderr
    assert len(result.err_lines) == 1
    assert result.err_lines == [
        "vmemplan: error: <stdin>:1: --\\x1b]0;TITLE\\x07: not an option of a batch line"
    ]


def test_an_escape_sequence_in_a_config_file_name_is_escaped(tmp_path: Path) -> None:
    name = f"bad{OSC_TITLE}.toml"
    (tmp_path / name).write_text("bogus = 1\n")
    result = run("check", name, cwd=tmp_path)
    assert "\x1b" not in result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "bad\\x1b]0;TITLE\\x07.toml: error (2 problems)"


def test_a_huge_option_value_is_cut() -> None:
    result = run("estimate", "--size", "1T", "--arch", "Z" * 100_000)  # execve: 128 KiB
    assert result.code == 2
    assert len(result.err_lines) == 1
    assert len(result.stderr) < 300  # the value's first 24 characters, then its length
    assert "'" + "Z" * 24 + "'... (100,000 characters)" in result.stderr


def test_escape_covers_every_control_and_bidi_character() -> None:
    assert escape("a\tb\r\n\x00\x7f\x9b\u202e\u2028\ufeffz") == (
        "a\\tb\\r\\n\\x00\\x7f\\x9b\\u202e\\u2028\\ufeffz"
    )
    assert escape("µ ünïcode and \\ stay") == "µ ünïcode and \\ stay"


def test_excerpts_are_bounded() -> None:
    assert excerpt("x" * 25) == "x" * 24 + "... (25 characters)"
    assert excerpt("\x1b" * 30, 2) == "\\x1b\\x1b... (30 characters)"
    assert key_excerpt("memory_block_size") == "'memory_block_size'"
    assert key_excerpt("k" * 25) == "'kkkkkkkk'... (25 characters)"
    assert safe_lines("one\x1b\ntwo") == "one\\x1b\ntwo"


# A dump names its devices; the text tables and headers print those names. A name with an
# escape sequence in it is printed escaped (the JSON keeps it as it is, escaped by JSON).
_IOMEM_WITH_TITLE = (
    "100000000-107fffffff : System RAM\n"
    "1080000000-307fffffff : Persistent Memory\n"
    f"  1080000000-307fffffff : namespace0.0{OSC_TITLE}\n"
)
_NDCTL_WITH_TITLE = (
    '[{"dev": "namespace0.0\\u001b]0;TITLE\\u0007", "mode": "devdax", '
    '"size": 1099511627776, "align": 2097152}]'
)


@pytest.mark.parametrize("command", ["estimate", "compare", "plan"])
@pytest.mark.parametrize(
    ("option", "name", "text"),
    [("--iomem", "host.iomem", _IOMEM_WITH_TITLE), ("--from-ndctl", "ns.json", _NDCTL_WITH_TITLE)],
)
def test_a_device_name_from_a_dump_is_printed_escaped(
    tmp_path: Path, command: str, option: str, name: str, text: str
) -> None:
    (tmp_path / name).write_text(text)
    result = run(command, option, str(tmp_path / name))
    assert result.code == 0
    assert "\x1b" not in result.stdout
    assert "\x07" not in result.stdout
    assert "namespace0.0\\x1b]0;TITLE\\x07" in result.stdout
