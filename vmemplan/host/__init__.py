"""The host: one description of a machine as the kernel sees it (description.py), the one
accounting that costs it in the kernel's order (accounting.py), and the ``host`` command's
summary of that accounting (summary.py)."""
