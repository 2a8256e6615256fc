"""Data contract: configuration, schemas, validation, loading, importers."""
