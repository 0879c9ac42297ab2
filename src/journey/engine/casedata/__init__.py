"""Child-level case data: the canonical schema, loaders, validation, snapshots, synthesis."""
