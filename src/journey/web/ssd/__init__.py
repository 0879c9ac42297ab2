"""Monthly reads of the council's Standard Safeguarding Dataset, left as proposals (docs/ssd.md)."""
