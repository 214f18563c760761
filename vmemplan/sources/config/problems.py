"""Diagnostics of a config file: one ``Problem`` per mistake, raised together as ``ConfigError``."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic_core import PydanticCustomError

from vmemplan.errors import InputError
from vmemplan.excerpt import VALUE_EXCERPT

_FILE = "(file)"


@dataclass(frozen=True)
class Problem:
    """One problem of a config file: where (file, line, dotted location) and what."""

    source: str
    location: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.location}: {self.message}"


class ConfigError(InputError):
    """Every problem of one config file; ``str()`` prints them one per line.

    ``option`` is the first problem's source (the file name), ``message`` all problems.
    """

    def __init__(self, problems: Sequence[Problem], nr_unlisted: int = 0) -> None:
        if not problems:
            raise ValueError("ConfigError needs at least one problem")
        self.problems: list[Problem] = list(problems)
        # problems found but not listed: a file lists its first ones, then a last problem
        # that counts the rest (``unlisted()``)
        self.nr_unlisted = nr_unlisted
        super().__init__(self.problems[0].source, "\n".join(map(str, self.problems)))
        self.args = (self.message,)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[ConfigError], tuple[list[Problem], int]]:
        return (ConfigError, (self.problems, self.nr_unlisted))


def unlisted(n: int) -> str:
    """The line that stands for the problems a file has beyond the ones listed."""
    return f"and {n:,} more problem{'s' * (n != 1)} (not listed)"


def _bad(message: str) -> PydanticCustomError:
    """A validation error whose message reaches the user as it is."""
    return PydanticCustomError("vmemplan_value", "{message}", {"message": message})


def _conflict(message: str) -> PydanticCustomError:
    return PydanticCustomError("vmemplan_conflict", "{message}", {"message": message})


def _brief(value: object, depth: int = 0) -> str:
    """A short, safe rendering of a file value for messages (bounded depth and length)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 128 else f"a {value.bit_length()}-bit integer"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):  # a value of a file: a short excerpt, never a secret in full
        if len(value) <= VALUE_EXCERPT:
            return repr(value)
        return f"{value[:VALUE_EXCERPT]!r}... ({len(value):,} characters)"
    if isinstance(value, list | tuple | set | frozenset | dict):
        if depth >= 2:
            return "[...]" if not isinstance(value, dict) else "{...}"
        if isinstance(value, dict):
            first = itertools.islice(value.items(), 3)
            items = [f"{_brief(k, depth + 1)}: {_brief(v, depth + 1)}" for k, v in first]
            more = ", ..." if len(value) > 3 else ""
            return "{" + ", ".join(items) + more + "}"
        parts = [_brief(v, depth + 1) for v in itertools.islice(value, 3)]
        more = ", ..." if len(value) > 3 else ""
        return "[" + ", ".join(parts) + more + "]"
    return f"a {type(value).__name__} value"


def _shown(value: object) -> str:
    """The value as the user wrote it: strings without quotes."""
    return value.strip() if isinstance(value, str) else _brief(value)


def _one_line(message: str) -> str:
    """Messages are one line each: ``str(ConfigError)`` is one line per problem."""
    return " ".join(message.split()) if "\n" in message or "\r" in message else message
