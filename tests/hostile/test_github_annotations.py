"""``check --format github``: data a pull request controls cannot forge a workflow command.

GitHub's rules (actions/toolkit ``command.ts``): in a command's message ``%``, CR and LF
are ``%25``, ``%0D``, ``%0A``; in a property value also ``:`` and ``,`` (``%3A``, ``%2C``).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.hostile.bounded import run
from vmemplan.output.github import annotation, escape_data, escape_property

_COMMAND = re.compile(r"::(\w+) (.*?)::(.*)")


def _properties(line: str) -> dict[str, str]:
    """The properties of a workflow command as GitHub splits them (on ``,`` then ``=``)."""
    m = _COMMAND.fullmatch(line)
    assert m is not None, line
    return dict(p.split("=", 1) for p in m.group(2).split(","))


def _unescape(text: str) -> str:
    for code, char in (("%3A", ":"), ("%2C", ","), ("%0D", "\r"), ("%0A", "\n"), ("%25", "%")):
        text = text.replace(code, char)
    return text


def test_a_comma_in_a_file_name_cannot_add_properties(tmp_path: Path) -> None:
    name = "a,line=99,title=fake.toml"
    (tmp_path / name).write_text("bogus = 1\n")
    result = run("check", "--format", "github", name, cwd=tmp_path)
    assert result.code == 2
    commands = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert len(commands) == 2  # the unknown key and "nothing to estimate"
    props = _properties(commands[0])
    assert set(props) == {"file", "line", "title"}
    assert _unescape(props["file"]) == name
    assert props["line"] == "1"
    assert props["title"] == "vmemplan error"


def test_a_newline_in_a_file_name_cannot_start_a_command(tmp_path: Path) -> None:
    name = "x\n::notice file=evil::INJECTED%0A.toml"
    (tmp_path / name).write_text("bogus = 1\n")
    result = run("check", "--format", "github", name, cwd=tmp_path)
    assert result.code == 2
    lines = result.stdout.splitlines()
    assert all(not line.startswith("::notice") for line in lines)
    commands = [line for line in lines if line.startswith("::")]
    assert [_COMMAND.fullmatch(c).group(1) for c in commands] == ["error", "error"]  # type: ignore[union-attr]
    assert _unescape(_properties(commands[0])["file"]) == name
    assert len(lines) == 3  # two annotations and the summary: no line was injected


def test_a_file_named_like_a_command_is_not_one(tmp_path: Path) -> None:
    name = "::warning ::forged.toml"
    (tmp_path / name).write_text("bogus = 1\n")
    result = run("check", "--format", "github", name, cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines if line.startswith("::")] == ["::error"] * 2
    assert lines[-1].startswith("./::warning")  # the summary names the same file


def test_the_message_escapes_data_and_not_the_separators() -> None:
    line = annotation("error", "a: b, 100% done\r\nnext", file="d:x,y%", line=3, title="t:1,2")
    assert line == ("::error file=d%3Ax%2Cy%25,line=3,title=t%3A1%2C2::a: b, 100%25 done%0D%0Anext")


def test_escaping_is_one_pass_and_exact() -> None:
    assert escape_property("%3A") == "%253A"  # a literal escape stays literal
    assert escape_data("%0A") == "%250A"
    assert escape_data("\x1b]0;T\x07") == "\\x1b]0;T\\x07"  # and no terminal escape
