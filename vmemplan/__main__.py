"""``python -m vmemplan``."""

from vmemplan.cli import main

main()
