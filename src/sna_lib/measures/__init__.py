"""Measures: harm, classification, people, significance, key measures, context."""
