"""``python -m vmemplan`` and the ``vmemplan`` console script."""

import gc


def main() -> None:
    """Import the CLI with the cyclic garbage collector off, then run it.

    Importing click, the model (and, for text, rich) allocates some 100,000 objects and
    frees almost none, so the collections the allocations trigger find nothing; they cost
    ~6 ms of a ~70 ms `estimate --json`. After the imports the collector is back on, and
    gc.freeze() keeps the import-time objects out of the collections the command triggers.

    A large ``check`` or ``--batch`` builds some 100 objects per namespace that live until
    the end and form no cycles; at the default threshold (700 allocations) the young
    collections rescan them all the time, for nothing (0.1-0.2 s of a 10,000-namespace
    check). The command runs with a 200,000-allocation threshold, as mypy's main does.
    """
    gc.disable()
    try:
        from vmemplan.cli import main as cli_main  # noqa: PLC0415
    finally:
        gc.enable()
    gc.freeze()
    gc.set_threshold(200_000, 30, 30)
    cli_main()


if __name__ == "__main__":
    main()
