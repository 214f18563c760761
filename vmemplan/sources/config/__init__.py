"""The host config file that ``vmemplan check host.toml`` reads: schema, parser, error report.

One file describes one host: defaults (``[host]``), budgets over all namespaces
(``[budgets]``) and the namespaces (``[[namespaces]]``), each with optional budgets of its
own. TOML is the primary format; YAML and JSON with the same schema are accepted.

The pydantic models hold already-parsed exact values: sizes and addresses in bytes, ranges
as half-open ``(start, end)`` byte tuples, budgets as ``Limit`` (bytes or parts per
million), times in ns, ``ns_per_page`` in picoseconds. A field that is ``None`` was not
given: the consumer applies vmemplan's default (the CLI's). The annotated types accept what
the file may spell (``"64G"`` or ``68719476736``) and carry a JSON Schema describing exactly
that, so ``ConfigFile.model_json_schema()`` is the published schema of the file.

``parse_config()`` never lets another exception out: every problem of a file (syntax,
unknown keys, bad values, conflicting keys) becomes one ``Problem`` with the dotted
location of the value and, where it can be found, its line; they are raised together as one
``ConfigError``.

The package, one module per concern (callers import from here):

- ``problems``: ``Problem`` and ``ConfigError``, the diagnostics;
- ``values``: what a value may spell (sizes, ranges, times, names) and its JSON Schema;
- ``model``: the pydantic schema (``ConfigFile`` and its sections, key conflicts);
- ``loaders``: TOML / YAML / JSON text to a document, with its key lines;
- ``locations``: key path -> line, and the dotted locations the messages print;
- ``parse``: ``parse_config()``, the pipeline that ties them together.
"""

from vmemplan.sources.config.loaders import (
    CONFIG_FORMATS,
    ConfigFormat,
    detect_format,
    format_of_path,
)
from vmemplan.sources.config.model import (
    BudgetSection,
    ConfigFile,
    HostSection,
    Limit,
    NamespaceEntry,
)
from vmemplan.sources.config.parse import parse_config, parse_config_located
from vmemplan.sources.config.problems import ConfigError, Problem
from vmemplan.sources.config.values import CONFIG_SCHEMA_VERSION

__all__ = [
    "CONFIG_FORMATS",
    "CONFIG_SCHEMA_VERSION",
    "BudgetSection",
    "ConfigError",
    "ConfigFile",
    "ConfigFormat",
    "HostSection",
    "Limit",
    "NamespaceEntry",
    "Problem",
    "detect_format",
    "format_of_path",
    "parse_config",
    "parse_config_located",
]
