"""Book pipeline: notebook execution, assembly, offline maps, charts and notebook helpers."""
