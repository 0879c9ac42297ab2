"""Improvement Journey: children's services improvement plans from case data to board pack."""

__version__ = "0.1.0"
