"""The publication stage: compute, disclosure control, store, leak scan, exports."""
