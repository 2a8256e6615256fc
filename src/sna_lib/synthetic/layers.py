"""Incident layers sharing the latent surface: ASB, fire and rescue, ambulance calls."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sna_lib.synthetic.crime import format_ids
from sna_lib.synthetic.geography import Geography
from sna_lib.synthetic.latent import Latent, intensity
from sna_lib.synthetic.sampling import random_dates, sample_index


def _incidents(rng, profile, geo: Geography, latent: Latent, pop_totals, kind: str,
               per_year: dict[int, float], sv_like: bool = False):
    """Years, dates and LSOA indices of incidents whose yearly volume is ``per_year``."""
    spatial = profile["spatial_kinds"][kind]
    nte = geo.frame["nte"].to_numpy()
    years, lsoas = [], []
    for yi, year in enumerate(latent.years):
        n = int(rng.poisson(per_year.get(year, 0.0)))
        z = latent.sv_z(year) if sv_like else latent.z[yi]
        w = intensity(pop_totals[yi], z, spatial["beta"], nte, spatial["nte_boost"])
        lsoas.append(sample_index(w, n, rng))
        years.append(np.full(n, year))
    year = np.concatenate(years)
    lsoa = np.concatenate(lsoas)
    date = random_dates(year, rng, profile["crime"]["seasonality_amplitude"])
    order = np.lexsort((lsoa, date))
    return date[order], lsoa[order]


def _table(id_name: str, prefix: str, date, lsoa, codes, extra: dict | None = None) -> pa.Table:
    cols = {id_name: format_ids(prefix, len(date), width=8),
            "date": pa.array(date, type=pa.date32()),
            "lsoa_code": codes.take(pa.array(lsoa))}
    cols.update(extra or {})
    return pa.table(cols)


def build_layers(rng: np.random.Generator, profile: dict, geo: Geography, latent: Latent,
                 pop_totals: np.ndarray, scale: float) -> dict[str, pa.Table]:
    """The ``asb``, ``fire`` and ``ambulance`` tables.

    Examples
    --------
    >>> from sna_lib.synthetic.profile import load_profile, Scaled
    >>> from sna_lib.synthetic.geography import build_geography
    >>> from sna_lib.synthetic.latent import build_latent
    >>> p = load_profile(); s = Scaled.from_profile(p, 0.05)
    >>> geo = build_geography(np.random.default_rng(1), p, s)
    >>> lat = build_latent(np.random.default_rng(2), p, s, geo)
    >>> from sna_lib.synthetic.population import build_population
    >>> _, totals = build_population(np.random.default_rng(3), p, geo, s.years)
    >>> sorted(build_layers(np.random.default_rng(4), p, geo, lat, totals, 0.05))
    ['ambulance', 'asb', 'fire']
    """
    cfg = profile["layers"]
    codes = pa.array(geo.frame["lsoa_code"].to_numpy().astype(str))
    years = latent.years
    asb_n = {y: cfg["asb_per_year"] * cfg["asb_trend"].get(y, 1.0) * scale for y in years}
    d, l = _incidents(rng, profile, geo, latent, pop_totals, "asb", asb_n)
    asb = _table("incident_id", "A", d, l, codes)

    fire_n = {y: cfg["fire_per_year"] * scale for y in years}
    d, l = _incidents(rng, profile, geo, latent, pop_totals, "fire", fire_n)
    types = np.array(list(cfg["fire_types"]))
    # more serious fire types lean further towards high-risk places
    year_of = d.astype("datetime64[Y]").astype(int) + 1970
    z = latent.z[np.searchsorted(np.array(years), year_of), l]
    p = np.array(list(cfg["fire_types"].values()), dtype=float)[None, :] * np.exp(
        np.array([0.0, 0.3, 0.6])[None, :] * z[:, None])
    cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    t = types[np.minimum((rng.random(len(d))[:, None] > cum).sum(axis=1), len(types) - 1)]
    fire = _table("incident_id", "F", d, l, codes, {"fire_type": pa.array(t.astype(str))})

    first = int(cfg["ambulance_first_year"])
    amb_years = [y for y in years if y >= first]
    parts = []
    for category, kind, volume in (("assault_sexual_assault", "ambulance_assault", cfg["ambulance_assault_per_year"]),
                                   ("stab_gunshot_penetrating_trauma", "ambulance_trauma", cfg["ambulance_trauma_per_year"])):
        n = {y: volume * scale for y in amb_years}
        d, l = _incidents(rng, profile, geo, latent, pop_totals, kind, n, sv_like=kind == "ambulance_trauma")
        parts.append((d, l, np.full(len(d), category)))
    d = np.concatenate([p[0] for p in parts]); l = np.concatenate([p[1] for p in parts])
    c = np.concatenate([p[2] for p in parts])
    order = np.lexsort((c, l, d))
    ambulance = _table("call_id", "M", d[order], l[order], codes, {"category": pa.array(c[order].astype(str))})
    return {"asb": asb, "fire": fire, "ambulance": ambulance}
