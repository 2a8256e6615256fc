"""The index: hotspots, persistence, factor layers, risk index, its validation, regression."""
