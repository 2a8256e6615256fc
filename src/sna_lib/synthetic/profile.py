"""The generation profile: every volume, share and shape knob of the synthetic county.

Knobs live in ``profile.yaml`` beside this module (configuration as data); :func:`load_profile`
reads it and :class:`Scaled` derives the scale-dependent quantities.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml


def load_profile(path: str | Path | None = None) -> dict:
    """Read a generation profile (the packaged ``profile.yaml`` by default).

    Examples
    --------
    >>> p = load_profile()
    >>> len(p["csps"]), p["reporting_year"]
    (14, 2023)
    """
    if path is None:
        text = resources.files("sna_lib.synthetic").joinpath("profile.yaml").read_text("utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@dataclass(frozen=True)
class Scaled:
    """Scale-dependent sizes derived from a profile.

    Examples
    --------
    >>> s = Scaled.from_profile(load_profile(), 0.05)
    >>> s.n_lsoas, s.years[0], s.years[-1]
    (60, 2014, 2023)
    """

    scale: float
    n_lsoas: int
    radius_factor: float  # county size relative to scale 1 (constant LSOA density)
    years: tuple[int, ...]

    @classmethod
    def from_profile(cls, profile: dict, scale: float) -> "Scaled":
        if not scale > 0:
            raise ValueError(f"scale must be positive, got {scale!r}")
        geo = profile["geography"]
        n_lsoas = max(int(geo["min_lsoas"]), int(round(geo["lsoas"] * scale)),
                      int(geo["min_lsoas_per_csp"]) * len(profile["csps"]))
        last = int(profile["reporting_year"])
        first = int(profile["first_year"])
        if scale > float(profile["stress_scale"]):
            first = max(first, last - int(profile["stress_years"]) + 1)
        return cls(scale=float(scale), n_lsoas=n_lsoas,
                   radius_factor=(n_lsoas / float(geo["lsoas"])) ** 0.5,
                   years=tuple(range(first, last + 1)))
