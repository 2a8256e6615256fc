"""Aggregate tables: hospital admissions, school exclusions, community survey, comparators."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sna_lib.synthetic.crime import Crimes
from sna_lib.synthetic.sampling import stochastic_round


def hospital_admissions(rng: np.random.Generator, profile: dict, scale: float) -> pa.Table:
    """Admissions for assault with a sharp object by financial year and age band.

    Examples
    --------
    >>> from sna_lib.synthetic.profile import load_profile
    >>> t = hospital_admissions(np.random.default_rng(0), load_profile(), 1.0)
    >>> t.column_names
    ['financial_year', 'age_band', 'admissions']
    """
    agg = profile["aggregates"]
    fy, band, n = [], [], []
    for label, key in (("under_25", "hospital_under_25"), ("25_plus", "hospital_25_plus")):
        for year, value in agg[key].items():
            fy.append(str(year)); band.append(label)
            n.append(int(stochastic_round(value * scale, rng)))
    order = np.lexsort((np.array(band), np.array(fy)))
    return pa.table({"financial_year": pa.array(np.array(fy)[order]),
                     "age_band": pa.array(np.array(band)[order]),
                     "admissions": pa.array(np.array(n, dtype=np.int64)[order])})


def school_exclusions(rng: np.random.Generator, profile: dict, scale: float) -> pa.Table:
    """Permanent exclusions and suspensions by local authority, academic year and reason.

    Permanent exclusions lean towards assault and weapon reasons; volumes dip in the pandemic
    years 2019/20 and 2020/21 and rise after.
    """
    agg = profile["aggregates"]
    reasons = list(agg["exclusion_reasons"])
    p_susp = np.array(list(agg["exclusion_reasons"].values()), dtype=float)
    severe = np.array([("assault" in r.lower()) or ("weapon" in r.lower()) or ("drug" in r.lower())
                       for r in reasons])
    p_perm = p_susp * np.where(severe, 3.0, 1.0)
    p_susp, p_perm = p_susp / p_susp.sum(), p_perm / p_perm.sum()
    rows = {"local_authority": [], "academic_year": [], "reason": [],
            "permanent_exclusions": [], "suspensions": []}
    for la, share in agg["local_authorities"].items():
        for year, index in agg["exclusions_year_index"].items():
            s = rng.multinomial(int(stochastic_round(agg["exclusions_suspensions_per_year"] * share * index * scale, rng)), p_susp)
            p = rng.multinomial(int(stochastic_round(agg["exclusions_permanent_per_year"] * share * index * scale, rng)), p_perm)
            rows["local_authority"] += [la] * len(reasons)
            rows["academic_year"] += [str(year)] * len(reasons)
            rows["reason"] += reasons
            rows["permanent_exclusions"] += p.tolist()
            rows["suspensions"] += s.tolist()
    return pa.table({k: pa.array(v, type=pa.int64() if k in ("permanent_exclusions", "suspensions") else pa.string())
                     for k, v in rows.items()})


def community_survey(rng: np.random.Generator, profile: dict, csp_names, scale: float) -> pa.Table:
    """Theme counts from the youth listening project, per year and CSP.

    Each CSP's theme mix is the county mix perturbed (Dirichlet), so areas differ a little.
    """
    agg = profile["aggregates"]
    themes = list(agg["survey_themes"])
    base = np.array(list(agg["survey_themes"].values()), dtype=float)
    base /= base.sum()
    per_csp = max(20, int(round(agg["survey_responses_per_year"] * scale / len(csp_names))))
    mix = rng.dirichlet(base * 60, len(csp_names))
    year, area, theme, n = [], [], [], []
    for y in agg["survey_years"]:
        for i, csp in enumerate(csp_names):
            counts = rng.multinomial(int(rng.poisson(per_csp)), mix[i])
            year += [int(y)] * len(themes); area += [csp] * len(themes)
            theme += themes; n += counts.tolist()
    return pa.table({"year": pa.array(year, type=pa.int64()), "area": pa.array(area),
                     "theme": pa.array(theme), "responses": pa.array(n, type=pa.int64())})


def comparators(profile: dict, county: str, crimes: Crimes, pop_totals: np.ndarray,
                years: tuple[int, ...]) -> pa.Table:
    """External series: England and Wales knife offences; VRU robbery + serious wounding rates.

    The demo county's own robbery + serious wounding rate per 1,000 is computed from the
    generated crimes, so it is consistent with the rest of the data.
    """
    agg = profile["aggregates"]
    series, area, year, value = [], [], [], []
    for y, v in agg["knife_offences_england_wales"].items():
        series.append("knife_offences"); area.append("England and Wales"); year.append(int(y)); value.append(float(v))
    codes = np.flatnonzero(np.isin(crimes.offences.code, agg["robbery_wounding_codes"]))
    hit = np.isin(crimes.code, codes)
    first_vru_year = min(min(v) for v in agg["vru_robbery_wounding_per_1000"].values())
    last_vru_year = max(max(v) for v in agg["vru_robbery_wounding_per_1000"].values())
    for i, y in enumerate(years):
        if first_vru_year <= y <= last_vru_year:
            n = int((hit & (crimes.year == y)).sum())
            series.append("robbery_serious_wounding_per_1000"); area.append(county); year.append(int(y))
            value.append(round(1000.0 * n / float(pop_totals[i].sum()), 3))
    for name, values in agg["vru_robbery_wounding_per_1000"].items():
        for y, v in values.items():
            series.append("robbery_serious_wounding_per_1000"); area.append(name); year.append(int(y)); value.append(float(v))
    return pa.table({"series": pa.array(series), "area": pa.array(area),
                     "year": pa.array(year, type=pa.int64()), "value": pa.array(value, type=pa.float64())})
