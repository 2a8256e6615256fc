"""Mid-year population by single year of age, and Census 2021 TS011 / TS065 tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sna_lib.synthetic.geography import Geography
from sna_lib.synthetic.latent import Latent

AGES = np.arange(91)  # 90 = 90+
CENSUS_YEAR = 2021


def base_age_pmf() -> np.ndarray:
    """A plausible England-like age structure over 0..90 (90 = 90+).

    Examples
    --------
    >>> p = base_age_pmf(); round(float(p.sum()), 6), bool(p[30] > p[85])
    (1.0, True)
    """
    a = AGES.astype(float)
    w = np.where(a < 55, 1.0, np.clip(1.0 - (a - 55) / 45, 0.08, 1.0))
    w = w * (1.0 - 0.08 * np.exp(-((a - 20) ** 2) / 30))  # student-age dip outside towns
    w[90] = 0.06 * 6  # the 90+ bucket
    return w / w.sum()


def build_population(rng: np.random.Generator, profile: dict, geo: Geography,
                     years: tuple[int, ...]) -> tuple[pd.DataFrame, np.ndarray]:
    """Population rows (lsoa_code, year, age, population) and the totals array [year, lsoa].

    Examples
    --------
    >>> from sna_lib.synthetic.profile import load_profile, Scaled
    >>> from sna_lib.synthetic.geography import build_geography
    >>> from sna_lib.synthetic.latent import build_latent
    >>> p = load_profile(); s = Scaled.from_profile(p, 0.05)
    >>> geo = build_geography(np.random.default_rng(1), p, s)
    >>> lat = build_latent(np.random.default_rng(2), p, s, geo)
    >>> pop, totals = build_population(np.random.default_rng(3), p, geo, s.years)
    >>> totals.shape, int(pop["age"].max())
    ((10, 60), 90)
    """
    cfg = profile["population"]
    n = len(geo.x)
    total = cfg["mean_per_lsoa"] * np.clip(1 + cfg["sd_share"] * rng.standard_normal(n), 0.6, 1.6)
    urban = geo.frame["urban"].to_numpy()
    a = AGES.astype(float)
    young = np.exp(-((a - 26) ** 2) / (2 * 7.0**2))
    pmf = base_age_pmf()[None, :] * (1 + cfg["urban_young_boost"] * urban[:, None] * young[None, :])
    pmf /= pmf.sum(axis=1, keepdims=True)
    last = years[-1]
    growth = (1 + cfg["annual_growth"]) ** (np.array(years) - last)
    expected = total[None, :, None] * growth[:, None, None] * pmf[None, :, :]  # year, lsoa, age
    counts = rng.poisson(expected).astype(np.int32)
    ny, nl, na = counts.shape
    frame = pd.DataFrame({
        "lsoa_code": pd.Categorical.from_codes(np.tile(np.repeat(np.arange(nl), na), ny),
                                               categories=geo.frame["lsoa_code"].to_numpy()),
        "year": np.repeat(np.array(years, dtype=np.int16), nl * na),
        "age": np.tile(AGES.astype(np.int16), ny * nl),
        "population": counts.reshape(-1),
    })
    return frame, counts.sum(axis=2)


def build_census(rng: np.random.Generator, profile: dict, geo: Geography, latent: Latent,
                 population: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """TS011 household deprivation dimensions and TS065 employment history, per LSOA.

    Deprivation follows the latent surface (plus LSOA noise) through an ordinal logistic model,
    so deprived LSOAs co-locate with crime; unemployment history follows deprivation and age.

    Examples
    --------
    >>> from sna_lib.synthetic.profile import load_profile, Scaled
    >>> from sna_lib.synthetic.geography import build_geography
    >>> from sna_lib.synthetic.latent import build_latent
    >>> p = load_profile(); s = Scaled.from_profile(p, 0.05)
    >>> geo = build_geography(np.random.default_rng(1), p, s)
    >>> lat = build_latent(np.random.default_rng(2), p, s, geo)
    >>> pop, _ = build_population(np.random.default_rng(3), p, geo, s.years)
    >>> dep, emp = build_census(np.random.default_rng(4), p, geo, lat, pop)
    >>> bool((dep.filter(like="deprived_").sum(axis=1) == dep["households"]).all())
    True
    """
    codes = geo.frame["lsoa_code"].to_numpy()
    year = CENSUS_YEAR if CENSUS_YEAR in latent.years else latent.years[-1]
    z = latent.z[latent.year_index(year)]
    dep = 0.7 * z + 0.7 * rng.standard_normal(len(z))
    pop_year = population[population["year"] == year]
    by_lsoa = pop_year.groupby("lsoa_code", observed=False)["population"].sum().to_numpy()
    adults = pop_year[pop_year["age"] >= 16].groupby("lsoa_code", observed=False)["population"].sum().to_numpy()
    older = pop_year[pop_year["age"] >= 66].groupby("lsoa_code", observed=False)["population"].sum().to_numpy()

    households = np.maximum(1, rng.poisson(by_lsoa / 2.38))
    cut = np.array([0.52, 0.19, 0.042, 0.0025])  # P(deprived in >= k dimensions), k = 1..4
    logit = np.log(cut / (1 - cut))
    ge = 1 / (1 + np.exp(-(logit[None, :] + 0.8 * dep[:, None])))
    ge = np.minimum.accumulate(ge, axis=1)
    p = np.column_stack([1 - ge[:, 0], ge[:, 0] - ge[:, 1], ge[:, 1] - ge[:, 2],
                         ge[:, 2] - ge[:, 3], ge[:, 3]])
    p = np.clip(p, 1e-9, None); p /= p.sum(axis=1, keepdims=True)
    dims = rng.multinomial(households, p)
    deprivation = pd.DataFrame({"lsoa_code": codes, "households": households.astype(np.int64)})
    for k in range(5):
        deprivation[f"deprived_{k}"] = dims[:, k].astype(np.int64)

    share_old = older / np.maximum(adults, 1)
    never = 1 / (1 + np.exp(-(np.log(0.08 / 0.92) + 0.55 * dep)))
    not12 = np.clip(0.08 + 0.85 * share_old + 0.05 * dep, 0.05, 0.75)
    worked12 = np.full_like(never, 0.04)
    employed = np.clip(1 - never - not12 - worked12, 0.05, None)
    p = np.column_stack([employed, worked12, not12, never]); p /= p.sum(axis=1, keepdims=True)
    emp = rng.multinomial(adults.astype(np.int64), p)
    employment = pd.DataFrame({
        "lsoa_code": codes,
        "residents_16_plus": adults.astype(np.int64),
        "in_employment": emp[:, 0].astype(np.int64),
        "not_in_employment_worked_last_12_months": emp[:, 1].astype(np.int64),
        "not_in_employment_not_worked_last_12_months": emp[:, 2].astype(np.int64),
        "never_worked": emp[:, 3].astype(np.int64),
    })
    return deprivation, employment
