"""``vmemplan explain``: the structure behind the figures, as data to draw (layout.py)."""
