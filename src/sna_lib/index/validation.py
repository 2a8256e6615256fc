"""Does the risk index anticipate next year's serious violence? (beyond the reference SNA)

For an analysis year ``t`` the index is built from year-``t`` factor layers only; it is then
scored on the SV offences recorded in year ``t+1``:

``capture_rate``  share of year-``t+1`` SV offences located in the selected LSOAs
``area_share``    selected LSOAs / all LSOAs
``lift``          capture_rate / area_share — Chainey's Predictive Accuracy Index (PAI):
                  how many times more SV per LSOA the selection holds than an average LSOA
``precision``     share of selected LSOAs that are year-``t+1`` SV hot spots (configured
                  hot-spot method on the t+1 SV offence counts)
``recall``        share of year-``t+1`` SV hot spots that were selected

Baselines from year ``t`` alone, "naive" in that they simply project last year forward:

* ``last_year_hotspots`` — LSOAs that were year-``t`` SV hot spots;
* ``last_year_top_counts`` — exactly as many LSOAs as the index selected, chosen by
  year-``t`` SV count (ties by ``lsoa_code``): the fair same-size comparison.

``lift_vs_baseline`` is the index's capture rate divided by the same-size baseline's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from sna_lib.index.factors import build_factor_layers, crimes_by_lsoa, lsoa_population
from sna_lib.index.risk_index import risk_index, select_top


def evaluate_selection(selected: pd.Series, outcome: pd.Series, outcome_hot: pd.Series | None = None) -> dict:
    """Capture rate, PAI lift, precision and recall of one LSOA selection.

    Parameters
    ----------
    selected : pandas.Series of bool
        indexed by ``lsoa_code`` (all LSOAs).
    outcome : pandas.Series
        next-year SV offence counts, same index (missing → 0).
    outcome_hot : pandas.Series of bool, optional
        next-year SV hot spots (for precision/recall).

    Examples
    --------
    >>> import pandas as pd
    >>> sel = pd.Series({"a": True, "b": False, "c": False, "d": False})
    >>> out = pd.Series({"a": 6, "b": 2, "c": 2, "d": 0})
    >>> r = evaluate_selection(sel, out)
    >>> r["capture_rate"], r["area_share"], r["lift"]
    (0.6, 0.25, 2.4)
    """
    selected = selected.astype(bool)
    outcome = outcome.reindex(selected.index).fillna(0).astype(float)
    n_selected = int(selected.sum())
    total = float(outcome.sum())
    captured = float(outcome[selected].sum())
    area_share = n_selected / len(selected) if len(selected) else float("nan")
    capture = captured / total if total else float("nan")
    result = {
        "lsoas": n_selected, "area_share": area_share, "captured": captured, "total": total,
        "capture_rate": capture,
        "lift": capture / area_share if area_share else float("nan"),
        "precision": float("nan"), "recall": float("nan"),
    }
    if outcome_hot is not None:
        hot = outcome_hot.reindex(selected.index).fillna(False).astype(bool)
        hits = int((selected & hot).sum())
        result["precision"] = hits / n_selected if n_selected else float("nan")
        result["recall"] = hits / int(hot.sum()) if hot.sum() else float("nan")
    return result


def compare_to_baselines(index_top: pd.Series, year_layers: pd.DataFrame, next_counts: pd.Series,
                         next_hot: pd.Series | None = None) -> pd.DataFrame:
    """Evaluate the index selection and the two naive baselines on next year's SV.

    Parameters
    ----------
    index_top : pandas.Series of bool
        the index's selection built from year-``t`` layers.
    year_layers : pandas.DataFrame
        year-``t`` layers with ``sv_offences`` and ``sv_offences_hot``.
    next_counts, next_hot : pandas.Series
        year-``t+1`` SV offence counts and hot spots.

    Returns
    -------
    pandas.DataFrame
        rows ``risk_index``, ``last_year_hotspots``, ``last_year_top_counts``; columns of
        :func:`evaluate_selection` plus ``lift_vs_baseline`` (capture rate ÷ the same-size
        baseline's).

    Examples
    --------
    >>> import pandas as pd
    >>> layers = pd.DataFrame({"sv_offences": [5, 0, 1, 0], "sv_offences_hot": [True, False, False, False]},
    ...                       index=list("abcd"))
    >>> top = pd.Series([False, True, False, False], index=list("abcd"))
    >>> res = compare_to_baselines(top, layers, pd.Series([1, 6, 1, 0], index=list("abcd")))
    >>> res["capture_rate"].round(3).tolist()
    [0.75, 0.125, 0.125]
    """
    same_size = top_n(year_layers["sv_offences"].astype(float), int(index_top.sum()))
    rows = {
        "risk_index": evaluate_selection(index_top, next_counts, next_hot),
        "last_year_hotspots": evaluate_selection(year_layers["sv_offences_hot"], next_counts, next_hot),
        "last_year_top_counts": evaluate_selection(same_size, next_counts, next_hot),
    }
    out = pd.DataFrame(rows).T
    base = out.loc["last_year_top_counts", "capture_rate"]
    out["lift_vs_baseline"] = out["capture_rate"] / base if base else float("nan")
    return out


def top_n(values: pd.Series, n: int) -> pd.Series:
    """Exactly ``n`` LSOAs with the highest values (ties broken by ``lsoa_code``).

    The same-size baseline must match the index's size exactly, and sparse SV counts tie
    heavily, so the ``stable`` rule is used whatever the index's tie rule.

    Examples
    --------
    >>> import pandas as pd
    >>> top_n(pd.Series({"b": 3, "a": 3, "c": 1}), 1).tolist()
    [False, True, False]
    """
    if n <= 0 or not len(values):
        return pd.Series(False, index=values.index)
    return select_top(values, share=n / len(values), tie_rule="stable")


def validate_index(dataset, years: Iterable[int] | None = None, *, sv_ids=None, settings: Mapping | None = None,
                   weights=None, offences_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Out-of-time validation of the risk index for every year ``t`` with a following year.

    Parameters
    ----------
    dataset : Dataset
    years : iterable of int, optional
        analysis years ``t`` (default: the ``persistence.window − 1`` years before
        ``reporting_year``, so that ``t+1 ≤ reporting_year``; earlier years need a full
        DA persistence window inside the data).

    Returns
    -------
    pandas.DataFrame
        long format: ``year`` (t), ``selection`` and the metrics of
        :func:`compare_to_baselines`.

    Examples
    --------
    >>> validate_index(ds, [2021])   # doctest: +SKIP
    """
    from sna_lib.index.hotspots import hotspots, index_settings, weights_for

    config = dataset.config
    settings = settings or index_settings(config)
    if years is None:
        last = int(config.reporting_year) - 1
        first = max(int(config.first_year) + int(settings["persistence"]["window"]) - 1, last - 3)
        years = range(first, last + 1)
    weights = weights or weights_for(dataset.geography, settings)
    if sv_ids is None:
        from sna_lib.measures.classify import serious_violence_ids

        sv_ids = serious_violence_ids(dataset.crimes)
    frames = []
    for year in years:
        layers = build_factor_layers(dataset, year, sv_ids=sv_ids, settings=settings, weights=weights,
                                     offences_table=offences_table)
        index = risk_index(layers, settings)
        next_counts = crimes_by_lsoa(dataset.crimes, sv_ids, lsoa_codes=weights.ids, year=year + 1)
        base = lsoa_population(dataset.population, year + 1).reindex(weights.ids, fill_value=0.0)
        next_hot = hotspots(next_counts, weights=weights, base=base, settings=settings)["hot"]
        res = compare_to_baselines(index["top_county"], layers, next_counts, next_hot)
        res.insert(0, "year", year)
        frames.append(res.rename_axis("selection").reset_index())
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
