"""``python -m vmemplan`` and the ``vmemplan`` console script."""

import gc


def main() -> None:
    """Import the CLI with the cyclic garbage collector off, then run it.

    Importing click, the model (and, for text, rich) allocates some 100,000 objects and
    frees almost none, so the collections the allocations trigger find nothing; they cost
    ~6 ms of a ~70 ms `estimate --json`. After the imports the collector is back on, and
    gc.freeze() keeps the import-time objects out of the collections the command triggers.
    """
    gc.disable()
    try:
        from vmemplan.cli import main as cli_main  # noqa: PLC0415
    finally:
        gc.enable()
    gc.freeze()
    cli_main()


if __name__ == "__main__":
    main()
