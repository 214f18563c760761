"""Human output: rich renders, one module per kind of document, over one console
(``console``). ``render_*`` take a console and the JSON document (``output.report``)
and print it; rounding happens here and nowhere else."""

from vmemplan.output.render.compare import (
    render_compare,
    render_host_compare,
    render_host_plan,
    render_plan,
)
from vmemplan.output.render.console import FigureConsole, strip_trailing_blanks
from vmemplan.output.render.estimate import render_estimate, render_system_ram
from vmemplan.output.render.host import render_host, render_hugetlb
from vmemplan.output.render.inspect import render_inspect
from vmemplan.output.render.machine import render_machine

__all__ = [
    "FigureConsole",
    "render_compare",
    "render_estimate",
    "render_host",
    "render_host_compare",
    "render_host_plan",
    "render_hugetlb",
    "render_inspect",
    "render_machine",
    "render_plan",
    "render_system_ram",
    "strip_trailing_blanks",
]
