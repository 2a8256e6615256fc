"""Builders for a tiny valid data folder and the malformed variants in the hostile-input corpus."""
