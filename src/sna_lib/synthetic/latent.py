"""The shared latent risk surface that makes every layer co-locate realistically.

``z[y, l]`` (standard-deviation units) for year ``y`` and LSOA ``l`` is the sum of
(1) town bumps weighted by each town's deprivation/risk, (2) a smooth random field of long
wavelength cosines, and (3) a little LSOA-level noise, standardised; it drifts slowly along a
second smooth field over the years, and a few "new hotspot" LSOAs heat up only in the last
year (for serious-violence-type layers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sna_lib.synthetic.geography import Geography
from sna_lib.synthetic.profile import Scaled


@dataclass(frozen=True)
class Latent:
    """Latent risk per year and LSOA, plus the planted new hotspots."""

    years: tuple[int, ...]
    z: np.ndarray               # shape (n_years, n_lsoas), standardised each year
    new_hotspots: np.ndarray    # LSOA indices heating up in the last year only
    new_hotspot_boost: float

    def year_index(self, year: int) -> int:
        return self.years.index(int(year))

    def sv_z(self, year: int) -> np.ndarray:
        """Latent for serious-violence-type layers (with the last year's new hotspots)."""
        z = self.z[self.year_index(year)].copy()
        if int(year) == self.years[-1]:
            z[self.new_hotspots] += self.new_hotspot_boost
        return z


def smooth_field(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, n_features: int,
                 wavelengths: tuple[float, float]) -> np.ndarray:
    """A standardised, spatially smooth random field (random Fourier features).

    Examples
    --------
    >>> x = np.linspace(0, 1000, 50); f = smooth_field(x, x * 0, np.random.default_rng(0), 20, (5000, 9000))
    >>> round(float(np.corrcoef(f[:-1], f[1:])[0, 1]), 2) > 0.9
    True
    """
    lam = rng.uniform(*wavelengths, n_features)
    angle = rng.uniform(0, np.pi, n_features)
    phase = rng.uniform(0, 2 * np.pi, n_features)
    k = 2 * np.pi / lam
    arg = (x[:, None] * (k * np.cos(angle))[None, :] + y[:, None] * (k * np.sin(angle))[None, :]
           + phase[None, :])
    f = np.cos(arg).sum(axis=1)
    return (f - f.mean()) / (f.std() or 1.0)


def _standardise(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / (v.std() or 1.0)


def build_latent(rng: np.random.Generator, profile: dict, scaled: Scaled, geo: Geography) -> Latent:
    """Generate the latent surface for every year.

    Examples
    --------
    >>> from sna_lib.synthetic.profile import load_profile
    >>> from sna_lib.synthetic.geography import build_geography
    >>> p = load_profile(); s = Scaled.from_profile(p, 0.05)
    >>> g = build_geography(np.random.default_rng(1), p, s)
    >>> lat = build_latent(np.random.default_rng(2), p, s, g)
    >>> lat.z.shape
    (10, 60)
    """
    cfg = profile["latent"]
    wl = tuple(float(w) for w in cfg["noise_wavelength_m"])
    t = geo.towns
    d2 = (geo.x[:, None] - t.x[None, :]) ** 2 + (geo.y[:, None] - t.y[None, :]) ** 2
    towns = (t.risk * np.exp(-d2 / (2 * (1.3 * t.sigma) ** 2))).sum(axis=1)
    base = (cfg["town_weight"] * _standardise(towns)
            + cfg["noise_weight"] * smooth_field(geo.x, geo.y, rng, cfg["noise_features"], wl)
            + cfg["iid_weight"] * rng.standard_normal(len(geo.x)))
    base = _standardise(base)
    drift = smooth_field(geo.x, geo.y, rng, cfg["noise_features"], wl)
    n_years = len(scaled.years)
    frac = np.linspace(-0.5, 0.5, n_years)[:, None]
    z = np.vstack([_standardise(base + cfg["drift_weight"] * f * drift) for f in frac[:, 0]])
    # new hotspots: small clusters (a seed LSOA and its nearest neighbours) of moderately risky
    # urban LSOAs that were never near the top before; they heat up in the last year only
    size = int(cfg["new_hotspot_cluster"])
    n_clusters = max(1, int(round(cfg["new_hotspots"] * scaled.scale / size)))
    urban = geo.frame["urban"].to_numpy()
    peak = z.max(axis=0)
    cand = np.flatnonzero(urban & (peak > 0.0) & (peak < 1.0))
    if len(cand) < n_clusters:
        cand = np.argsort(np.abs(peak - 0.5))[: max(3 * n_clusters, 1)]
    seeds = rng.choice(cand, size=min(n_clusters, len(cand)), replace=False)
    d2 = (geo.x[seeds, None] - geo.x[None, :]) ** 2 + (geo.y[seeds, None] - geo.y[None, :]) ** 2
    members = np.argsort(d2, axis=1)[:, :size]
    new = np.unique(members)
    return Latent(years=tuple(scaled.years), z=z, new_hotspots=new,
                  new_hotspot_boost=float(cfg["new_hotspot_boost"]))


def intensity(population: np.ndarray, z: np.ndarray, beta: float, nte: np.ndarray,
              nte_boost: float) -> np.ndarray:
    """Relative incident intensity per LSOA: population x exp(beta z) x NTE boost.

    Examples
    --------
    >>> intensity(np.array([100., 100.]), np.array([0., 1.]), 1.0, np.array([False, True]), 2.0).round(1).tolist()
    [100.0, 543.7]
    """
    return population * np.exp(beta * z) * np.where(nte, nte_boost, 1.0)
