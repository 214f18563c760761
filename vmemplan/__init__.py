"""vmemplan: the Linux vmemmap (struct page) cost of pmem, device-dax and CXL memory."""

# The single source of the version: pyproject.toml reads it (hatch dynamic version), so
# importing the package does not pay for an importlib.metadata scan at start-up.
__version__ = "0.1.0"
