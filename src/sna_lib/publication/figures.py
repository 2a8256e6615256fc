"""Every headline figure of the reference SNA sections 3, 5, 8 and 11 for one area.

:func:`compute_figures` returns a flat ``{key: value}`` mapping from a loaded
:class:`~sna_lib.data.dataset.Dataset`; :func:`export_figures` (used by ``sna figures``) loads a data
folder and writes the mapping as deterministic JSON or CSV text (sorted keys, floats with four
decimals). Keys are dotted paths, e.g. ``section5.harm.harm_ratio_rounded`` or
``section8.table_A.non_domestic_homicide.p_value``.

Area handling: ``"county"`` uses every crime; a CSP name keeps crimes whose ``lsoa_code`` lies
in that CSP (``geography.area``) and the people linked to them. People's histories (previous SV
involvement, domestic-abuse links) are looked up county-wide. Hospital admissions are county
data only and are omitted for a CSP.

Disclosure: the export holds aggregates only. Below county level, counts in the configured
range (default 1–7) are replaced by the suppression marker (``[c]``) and so are shares,
percentages and age-profile cells computed from them.
"""

from __future__ import annotations

import json
import math
import warnings
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna_lib.measures.classify import Definition, load_definition, load_definitions, qualifying_mask
from sna_lib.measures.context import crime_shares, crime_volumes
from sna_lib.errors import DataValidationError, Problem
from sna_lib.measures.cchi import weights_for_config, weights_label
from sna_lib.measures.harm import MissingHarmWeightWarning, harm_impact
from sna_lib.measures.key_measures import area_population_by_year, key_measures, significance_method
from sna_lib.measures.people import (
    age_profile,
    age_profile_features,
    domestic_abuse_link,
    isin_mask,
    origin_profile,
    person_counts,
    previous_involvement,
    share_under_age,
    victim_suspect_overlap,
)

__all__ = ["compute_figures", "export_figures", "filter_area", "primary_definition"]


def primary_definition(config: Any) -> Definition:
    """The serious-violence definition the book's SV figures use: the first non-Home-Office entry
    of ``config.definitions`` (default ``partnership``), so a partnership can substitute its own
    YAML definition without code.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> primary_definition(SimpleNamespace(definitions=("home_office", "partnership"))).id
    'partnership'
    """
    for entry in getattr(config, "definitions", ()) or ():
        d = load_definition(entry)
        if d.id != "home_office":
            return d
    return load_definition("partnership")


def filter_area(crimes: pd.DataFrame, persons: pd.DataFrame, geography: pd.DataFrame,
                area: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Crimes in ``area`` (a CSP, or ``"county"`` for all) and the person links of those crimes.

    Examples
    --------
    >>> import pandas as pd
    >>> g = pd.DataFrame({"lsoa_code": ["L1", "L2"], "area": ["North", "South"]})
    >>> c = pd.DataFrame({"crime_id": ["a", "b"], "lsoa_code": ["L1", "L2"]})
    >>> p = pd.DataFrame({"crime_id": ["a", "b"], "person_id": ["x", "y"]})
    >>> cc, pp = filter_area(c, p, g, "South")
    >>> cc["crime_id"].tolist(), pp["person_id"].tolist()
    (['b'], ['y'])
    """
    if area == "county":
        return crimes, persons
    areas = set(geography["area"].astype(str))
    if area not in areas:
        raise DataValidationError([Problem("config.yaml", "csps", None,
                                           f"unknown area {area!r}: use 'county' or one of {sorted(areas)}")])
    lsoas = pd.Index(geography.loc[geography["area"] == area, "lsoa_code"].astype("string"))
    keep = isin_mask(crimes["lsoa_code"], lsoas)
    c = crimes[keep]
    p = persons[isin_mask(persons["crime_id"], c["crime_id"])]
    return c, p


def _pct(x: float | None) -> float | None:
    return None if x is None else 100.0 * x


def compute_figures(dataset: Any, area: str = "county") -> dict[str, Any]:
    """All section 3, 5, 8 and 11 figures for ``area`` as a flat mapping (unsuppressed).

    Each value is an int, float, bool, str or ``None``. Keys ending in ``_count`` style names
    hold counts; see :func:`export_figures` for the disclosure applied on export.

    Parameters
    ----------
    dataset : Dataset
        From :func:`sna_lib.data.dataset.load_dataset`.
    area : str
        ``"county"`` or a CSP name.
    """
    cfg = dataset.config
    year = int(cfg.reporting_year)
    crimes_all, persons_all = dataset.crimes, dataset.persons
    crimes_area, persons_area = filter_area(crimes_all, persons_all, dataset.geography, area)
    in_year = (crimes_area["date"].dt.year == year).to_numpy(dtype=bool)
    crimes_year = crimes_area[in_year]
    f: dict[str, Any] = {
        "meta.area": area, "meta.county": cfg.county, "meta.reporting_year": year,
        "meta.synthetic": bool(cfg.synthetic), "meta.rolling_end": str(cfg.rolling_end),
    }

    # ---- section 3: context volumes and shares (reporting year)
    definitions = load_definitions(cfg.definitions)
    primary = primary_definition(cfg)
    f["meta.sv_definition"] = primary.id
    f["meta.definitions"] = ";".join(definitions)
    harm_table, harm_lacking = weights_for_config(cfg)
    f["meta.harm_weights_basis"] = ";".join(sorted(set(harm_table["cchi_basis"].astype(str))))
    f["meta.harm_weights"] = weights_label(harm_table)
    f["meta.harm_weights_fallback_codes"] = (";".join(harm_lacking)
                                             if getattr(cfg.harm, "cchi_workbook", None) else None)
    volume_defs: dict[str, Any] = {"All serious violence": "home_office", "Serious violence (partnership)": primary}
    for d in definitions.values():
        if d.id not in ("home_office", primary.id):
            volume_defs[f"Definition {d.id}"] = d
    for _, r in crime_volumes(crimes_year, volume_defs).iterrows():
        key = "section3.volumes." + _slug(r["measure"])
        f[key + ".volume"] = int(r["volume"])
        f[key + ".volume_rounded"] = int(r["volume_rounded"])
        f[key + ".pct_of_crime"] = r["pct_of_crime"]
    persons_year = persons_area[isin_mask(persons_area["crime_id"], crimes_year["crime_id"])]
    for _, r in crime_shares(crimes_year, persons_year, primary).iterrows():
        key = "section3.shares." + _slug(r["measure"])
        f[key + ".volume"] = int(r["volume"])
        f[key + ".pct_of_crime"] = r["pct_of_crime"]

    sv_mask_area = qualifying_mask(crimes_area, primary)
    sv_year_ids = crimes_area.loc[sv_mask_area & in_year, "crime_id"]
    sv_all_county = crimes_all[qualifying_mask(crimes_all, primary)]
    persons_sv = persons_year[isin_mask(persons_year["crime_id"], sv_year_ids)]
    for role in ("suspect", "victim"):
        pc = person_counts(persons_sv, sv_year_ids, role)
        base = f"section3.people.{role}s"
        f[base + ".records"] = pc.records
        f[base + ".unique"] = pc.unique
        f[base + ".repeat_records"] = pc.records - pc.unique
        f[base + ".repeat_within_year_pct"] = _pct(pc.repeat_share_records)
        f[base + ".repeat_people"] = pc.repeat_people
        history = isin_mask(sv_all_county["crime_id"], sv_year_ids) | (
            sv_all_county["date"].dt.year < year).to_numpy(dtype=bool)
        prev = previous_involvement(persons_all, sv_all_county[history], year, role,
                                    lookback_years=int(cfg.people.previous_years))
        f[base + ".previous_five_years"] = prev.count
        f[base + ".previous_five_years_pct"] = _pct(prev.share)
        f[base + ".previous_window"] = prev.window

    # ---- section 5: harm (reporting year)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MissingHarmWeightWarning)
        h = harm_impact(crimes_year[sv_mask_area[in_year]], crimes_year, persons_year, harm_table)
    for key, value in h.to_dict().items():
        f["section5.harm." + key] = value
    f["section5.harm.missing_weight_warning"] = "; ".join(sorted({str(w.message) for w in caught})) or None
    f["section5.sv_pct_of_crime"] = (100.0 * h.offences / len(crimes_year)) if len(crimes_year) else None

    # ---- section 8: key measures Tables A-E
    hospital = dataset.hospital_admissions if area == "county" else None
    population = area_population_by_year(getattr(dataset, "population", None), dataset.geography, area)
    km = key_measures(crimes_area, hospital, cfg, population_by_year=population)
    f["section8.significance_method"] = significance_method(km)
    for _, r in km.iterrows():
        base = f"section8.table_{r['table']}.{r['measure_id']}"
        for col in ("before_period", "after_period", "before", "after", "pct_change", "p_value",
                    "significant", "note", "method", "p_value_holm", "significant_holm"):
            value = r[col]
            if col == "pct_change" and not _isna(value):
                value = int(value)  # published as a whole percentage
            f[f"{base}.{col}"] = None if _isna(value) else value

    # ---- section 11: people (reporting year)
    for role in ("suspect", "victim"):
        prof = age_profile(persons_sv, sv_year_ids, role)
        feats = age_profile_features(prof.counts)
        base = f"section11.{role}s"
        for age, n in prof.counts.items():
            f[f"{base}.age_profile.{int(age):03d}"] = int(n)
        f[f"{base}.age_unknown"] = prof.unknown
        for key, value in feats.to_dict().items():
            f[f"{base}.age_features.{key}"] = ";".join(map(str, value)) if isinstance(value, list) else value
        u25 = share_under_age(persons_sv, sv_year_ids, 25, role)
        f[f"{base}.under_25"] = u25.count
        f[f"{base}.known_age"] = u25.of
        f[f"{base}.under_25_pct"] = _pct(u25.share)
        f[f"{base}.aged_25_plus_pct"] = None if u25.share is None else 100.0 - 100.0 * u25.share
    all_prof = age_profile(persons_sv, sv_year_ids, None)
    for key, value in age_profile_features(all_prof.counts).to_dict().items():
        f[f"section11.involved.age_features.{key}"] = ";".join(map(str, value)) if isinstance(value, list) else value
    origins = origin_profile(persons_sv, sv_year_ids, cfg.csps, "suspect")
    for place in ("in county", "outside county", "unknown"):
        f[f"section11.suspects.origin.{_slug(place)}"] = int(origins.loc[origins["place"] == place, "people"].sum())
    known = int(origins.loc[origins["place"] != "unknown", "people"].sum())
    outside = f["section11.suspects.origin.outside_county"]
    f["section11.suspects.origin.outside_county_pct"] = (100.0 * outside / known) if known else None
    for _, r in origins[origins["place"] == "outside county"].iterrows():
        f[f"section11.suspects.origin.by_area.{_slug(r['origin_area'])}"] = int(r["people"])
    people_cfg = cfg.people
    if int(people_cfg.overlap_years) == 1:
        ov = victim_suspect_overlap(persons_sv, sv_year_ids, crimes=crimes_area, year=year)
    else:
        sv_area = crimes_area[sv_mask_area]
        ov = victim_suspect_overlap(persons_area, sv_area["crime_id"], crimes=sv_area, year=year,
                                    window_years=int(people_cfg.overlap_years))
    f["section11.overlap.victims_also_suspects"] = ov.both
    f["section11.overlap.pct_of_victims"] = _pct(ov.share_of_victims)
    f["section11.overlap.pct_of_suspects"] = _pct(ov.share_of_suspects)
    f["section11.overlap.window"] = ov.window
    da = domestic_abuse_link(persons_all, crimes_all, sv_year_ids, year, "suspect",
                             window_years=int(people_cfg.da_link_years),
                             include_reporting_year=bool(people_cfg.da_link_include_reporting_year))
    f["section11.suspects.domestic_abuse_link"] = da.count
    f["section11.suspects.domestic_abuse_link_pct"] = _pct(da.share)
    f["section11.suspects.domestic_abuse_link_window"] = da.window
    return f


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _slug(text: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "_" for ch in str(text)).strip("_")
    while "__" in out:
        out = out.replace("__", "_")
    return out


# Figures whose value is a count of crimes or people (suppressed below county level when small),
# and derived figures -> the count they depend on.
def _count_keys(figures: Mapping[str, Any]) -> set[str]:
    suffixes = (".volume", ".records", ".unique", ".repeat_records", ".repeat_people", ".previous_five_years",
                ".offences", ".unique_suspects", ".unique_victims", ".before", ".after", ".under_25",
                ".known_age", ".age_unknown", ".victims_also_suspects", ".domestic_abuse_link")
    keys = {k for k in figures if k.endswith(suffixes) or ".age_profile." in k or ".origin." in k}
    return {k for k in keys if not k.endswith("_pct") and isinstance(figures[k], (int, np.integer))
            and not isinstance(figures[k], bool)}


def _dependants(key: str) -> list[str]:
    """Derived figures to hide when the count ``key`` is hidden."""
    stem, _, last = key.rpartition(".")
    deps = {
        "volume": [stem + ".volume_rounded", stem + ".pct_of_crime"],
        "records": [stem + ".repeat_within_year_pct"], "unique": [stem + ".previous_five_years_pct"],
        "repeat_records": [stem + ".repeat_within_year_pct"],
        "previous_five_years": [stem + ".previous_five_years_pct"],
        "offences": [stem + ".offences_equivalent", stem + ".offences_equivalent_exact"],
        "unique_suspects": [stem + ".suspects_equivalent", stem + ".suspects_equivalent_exact"],
        "unique_victims": [stem + ".victims_equivalent", stem + ".victims_equivalent_exact"],
        "before": [stem + ".pct_change", stem + ".p_value", stem + ".significant", stem + ".p_value_holm",
                   stem + ".significant_holm"],
        "after": [stem + ".pct_change", stem + ".p_value", stem + ".significant", stem + ".p_value_holm",
                  stem + ".significant_holm"],
        "under_25": [stem + ".under_25_pct", stem + ".aged_25_plus_pct"],
        "known_age": [stem + ".under_25_pct", stem + ".aged_25_plus_pct"],
        "outside_county": [stem + ".outside_county_pct"],
        "victims_also_suspects": [stem + ".pct_of_victims", stem + ".pct_of_suspects"],
        "domestic_abuse_link": [stem + ".domestic_abuse_link_pct"],
    }
    return deps.get(last, [])


_FIGURES_CACHE: dict[int, tuple[Any, dict[str, Mapping[str, Any]]]] = {}


def _figures_cache(dataset: Any) -> dict[str, Mapping[str, Any]]:
    """Unsuppressed figures by area for one loaded dataset (so exporting every CSP from one
    dataset computes each area once); forgets the previous dataset."""
    entry = _FIGURES_CACHE.get(id(dataset))
    if entry is None or entry[0]() is not dataset:
        _FIGURES_CACHE.clear()
        entry = (weakref.ref(dataset), {})
        _FIGURES_CACHE[id(dataset)] = entry
    return entry[1]


def _hidden_across_areas(dataset: Any, area: str, figures: Mapping[str, Any]) -> set[str]:
    """Counts of CSP ``area`` to withhold so no CSP's withheld count can be worked out as the
    (published) county figure minus the other CSPs' exports: secondary suppression
    (:func:`sna_lib.publication.disclosure.suppression_mask`) over one frame of every CSP's counts."""
    from sna_lib.publication.disclosure import area_level_of, disclosure_rules, suppression_mask

    rules = disclosure_rules(dataset.config)
    if not rules.applies(area_level_of(area)):
        return set()
    csps = list(dataset.config.csps)
    cache = _figures_cache(dataset)
    for a in [*csps, "county"]:
        if a not in cache:
            cache[a] = figures if a == area else compute_figures(dataset, a)
    by_area = {a: cache[a] for a in [*csps, "county"]}
    keys = [k for k in sorted(_count_keys(figures))
            if all(isinstance(by_area[a].get(k), (int, np.integer)) and not isinstance(by_area[a].get(k), bool)
                   for a in by_area)]
    if not keys:
        return set()
    frame = pd.DataFrame({k: [int(by_area[a][k]) for a in [*csps, "county"]] for k in keys}, index=[*csps, "county"])
    mask = suppression_mask(frame, keys, area_level="csp", config=rules, total_row="county",
                            assume_published_totals=False, total_published=True)
    return {k for k in keys if bool(mask.loc[area, k])}


def _apply_disclosure(figures: dict[str, Any], area: str, config: Any,
                      also_hide: set[str] = frozenset()) -> dict[str, Any]:
    from sna_lib.publication.disclosure import area_level_of, disclosure_rules

    rules = disclosure_rules(config)
    level = area_level_of(area)
    if not rules.applies(level):
        return figures
    out = dict(figures)
    for key in sorted(_count_keys(figures)):
        n = int(figures[key])
        if rules.is_small(n) or key in also_hide:
            out[key] = rules.marker
            for dep in _dependants(key):
                if dep in out:
                    out[dep] = rules.marker
        elif rules.rounding:
            out[key] = rules.round(n)
    if "section3.volumes.all_crime.volume" in out and out["section3.volumes.all_crime.volume"] == rules.marker:
        for key in [k for k in out if k.endswith(".pct_of_crime")]:
            out[key] = rules.marker
    out["meta.disclosure"] = (f"counts {rules.suppress_min}-{rules.suppress_max} shown as {rules.marker} "
                              "with the figures derived from them")
    return out


def _format(value: Any) -> Any:
    if value is None or _isna(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if not math.isfinite(v) else float(f"{v:.4f}")
    return str(value)


def export_figures(data_dir: Path | str, area: str = "county", fmt: str = "json", *,
                   reporting_year: int | None = None, as_of: str | None = None) -> str:
    """Every figure of sections 3, 5, 8 and 11 for ``area`` as deterministic text.

    Parameters
    ----------
    data_dir : Path or str
        Data folder (see ``data/README.md``); validated on load.
    area : str
        ``"county"`` or a CSP name from ``config.csps``.
    fmt : {"json", "csv"}
        JSON object ``{"figures": {...}}`` with sorted keys, or CSV ``figure,value`` rows sorted
        by figure. Floats carry four decimals; missing values are ``null`` / empty.
    reporting_year, as_of : optional
        The period (see :func:`sna_lib.period.apply_period`); default from ``config.yaml``.

    Returns
    -------
    str
    """
    if fmt not in ("json", "csv"):
        raise ValueError("fmt must be 'json' or 'csv'")
    from sna_lib.data.dataset import load_dataset

    dataset = load_dataset(Path(data_dir))
    if reporting_year is not None or as_of is not None:
        import dataclasses

        from sna_lib.period import apply_period

        dataset = dataclasses.replace(dataset, config=apply_period(dataset.config, reporting_year=reporting_year,
                                                                   as_of=as_of))
    if area != "county" and area not in dataset.config.csps:
        raise DataValidationError([Problem("config.yaml", "csps", None,
                                           f"unknown area {area!r}: use 'county' or one of "
                                           f"{', '.join(dataset.config.csps)}")])
    figures = compute_figures(dataset, area)
    figures = _apply_disclosure(figures, area, dataset.config, _hidden_across_areas(dataset, area, figures))
    clean = {k: _format(v) for k, v in sorted(figures.items())}
    if fmt == "json":
        return json.dumps({"figures": clean}, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    lines = ["figure,value"]
    for key, value in clean.items():
        if value is None:
            text = ""
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, float):
            text = f"{value:.4f}"
        else:
            text = str(value)
        if any(ch in text for ch in ',"\n'):
            text = '"' + text.replace('"', '""') + '"'
        lines.append(f"{key},{text}")
    return "\n".join(lines) + "\n"
