"""Deterministic synthetic demo county ("Demoshire (synthetic)") in the input-data contract.

``generate_demo(out_dir, seed=2024, scale=1.0, fmt="parquet")`` writes every table of
``data/README.md`` plus ``config.yaml``; volumes, shares and shapes come from the packaged
``profile.yaml``. All layers share one spatially smooth latent risk surface, so hotspots,
deprivation, disorder, domestic abuse, drugs, ambulance calls and serious violence co-locate.
"""

from sna_lib.synthetic.generate import generate_demo

__all__ = ["generate_demo"]
