"""Data contract: schemas, validation, loading, importers."""
