"""LSOA risk index: combine factor layers into one score and select the top 5%.

Score
-----
Each factor named in ``risk_index.factors`` (``sna_lib/config/index.yaml``) is turned into
a component in [0, 1] by its ``normalisation``:

``bin``       ``max(bin, 0) / 3`` — Gi*/Poisson confidence bin (90% → ⅓, 95% → ⅔, 99% → 1;
              cold spots count as 0, not as protective)
``flag``      1 if the layer's flag is true, else 0
``fraction``  ``value / denominator`` clipped to [0, 1] (e.g. DA hot-spot years / 5)
``rank``      percentile rank of the raw value (ties share the average rank)
``minmax``    ``(value − min) / (max − min)``

and ``score = Σ weight_f · component_f / Σ weight_f`` (so the score is in [0, 1]).
Weights default to 1 (equal) and are overridden by ``risk_index.weights`` in config.yaml.

Top share and ties
------------------
Scores are compared after rounding to 10 decimals (so that sums of fractions that are
equal on paper tie). ``tie_rule`` (config ``risk_index.tie_rule``):

``at_most`` (default)
    ``k = floor(top_share · n)``; select every LSOA whose score is strictly greater than
    the (k+1)-th highest score. Never more than ``k`` LSOAs; a tied group straddling the
    cut-off is left out whole. (1,111 LSOAs → at most 55; the reference's 54 fits.)
``include_ties``
    ``k = ceil(top_share · n)``; select every LSOA scoring at least the k-th highest score.
``stable``
    exactly ``k = ceil(top_share · n)`` LSOAs: sort by score descending, then
    ``lsoa_code`` ascending.

Missing scores (NaN) are never selected, but ``n`` counts every LSOA (NaN scores too), so
``k`` does not shrink when some scores are missing. The same rule is applied county-wide and
within each CSP (``area``); :func:`tie_summary` reports what the rule did at the cut-off (e.g.
"3 top scores + 60 tied of 1,100 selects 3"). ``rank`` gives tied scores the same (minimum)
rank.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

TIE_RULES = ("at_most", "include_ties", "stable")
NORMALISATIONS = ("bin", "flag", "fraction", "rank", "minmax")


def component(values: pd.Series, normalisation: str, *, denominator: float | None = None) -> pd.Series:
    """One factor layer scaled to [0, 1].

    Examples
    --------
    >>> import pandas as pd
    >>> component(pd.Series([-3, 0, 1, 3]), "bin").round(3).tolist()
    [0.0, 0.0, 0.333, 1.0]
    >>> component(pd.Series([0, 2, 5]), "fraction", denominator=5).tolist()
    [0.0, 0.4, 1.0]
    """
    if normalisation == "bin":
        return values.astype(float).clip(lower=0, upper=3) / 3.0
    if normalisation == "flag":
        return values.astype("boolean").fillna(False).astype(float)
    if normalisation == "fraction":
        if not denominator:
            raise ValueError("normalisation 'fraction' needs a positive 'denominator'")
        return (values.astype(float) / float(denominator)).clip(0, 1)
    if normalisation == "rank":
        return values.astype(float).rank(pct=True, method="average")
    if normalisation == "minmax":
        v = values.astype(float)
        spread = v.max() - v.min()
        return (v - v.min()) / spread if spread > 0 else v * 0.0
    raise ValueError(f"unknown normalisation {normalisation!r}; use one of {NORMALISATIONS}")


def risk_scores(layers: pd.DataFrame, factors: Mapping[str, Mapping]) -> pd.DataFrame:
    """Components and weighted score for every LSOA.

    Parameters
    ----------
    layers : pandas.DataFrame
        factor layers indexed by ``lsoa_code`` (:func:`sna_lib.index.factors.build_factor_layers`).
    factors : mapping
        ``{factor: {column, normalisation, weight[, denominator]}}``, e.g.
        ``index_settings()["risk_index"]["factors"]``. Factors with weight 0 are ignored.

    Returns
    -------
    pandas.DataFrame
        one ``<factor>`` component column per factor and ``score``.

    Examples
    --------
    >>> import pandas as pd
    >>> layers = pd.DataFrame({"a_bin": [3, 0], "b_flag": [True, True]}, index=["x", "y"])
    >>> spec = {"a": {"column": "a_bin", "normalisation": "bin", "weight": 3},
    ...         "b": {"column": "b_flag", "normalisation": "flag", "weight": 1}}
    >>> risk_scores(layers, spec)["score"].tolist()
    [1.0, 0.25]
    """
    used = {name: spec for name, spec in factors.items() if float(spec.get("weight", 1.0)) != 0}
    if not used:
        raise ValueError("risk index has no factor with a non-zero weight")
    missing = [spec["column"] for spec in used.values() if spec.get("column") not in layers.columns]
    if missing:
        raise ValueError(f"factor layers lack column(s) {missing}")
    if any(float(spec.get("weight", 1.0)) < 0 for spec in used.values()):
        raise ValueError("risk index weights must be non-negative")
    out = pd.DataFrame(index=layers.index)
    total = 0.0
    score = pd.Series(0.0, index=layers.index)
    for name, spec in used.items():
        weight = float(spec.get("weight", 1.0))
        out[name] = component(layers[spec["column"]], spec["normalisation"], denominator=spec.get("denominator"))
        score = score + weight * out[name]
        total += weight
    out["score"] = score / total
    return out


def select_top(scores: pd.Series, *, share: float = 0.05, tie_rule: str = "at_most") -> pd.Series:
    """Boolean flag of the top ``share`` of scores under an explicit tie rule.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series([9, 8, 8, 7, 1, 1, 1, 1, 1, 1], index=list("abcdefghij"), dtype=float)
    >>> [s.index[select_top(s, share=0.2, tie_rule=r)].tolist() for r in ("at_most", "include_ties", "stable")]
    [['a'], ['a', 'b', 'c'], ['a', 'b']]
    """
    if tie_rule not in TIE_RULES:
        raise ValueError(f"tie_rule must be one of {TIE_RULES}, not {tie_rule!r}")
    if not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    values = scores.astype(float).round(10)
    valid = values.dropna()
    n = len(scores)
    selected = pd.Series(False, index=scores.index)
    if not len(valid):
        return selected
    ordered = np.sort(valid.to_numpy())[::-1]
    k = _target_size(share, n, tie_rule)
    if tie_rule == "at_most":
        if k <= 0:
            return selected
        if k >= len(ordered):
            return values.notna()
        return (values > ordered[k]).fillna(False).astype(bool)
    k = min(k, len(ordered))
    if tie_rule == "include_ties":
        return (values >= ordered[k - 1]).fillna(False).astype(bool)
    frame = pd.DataFrame({"score": values, "code": scores.index.astype(str)}).dropna(subset=["score"])
    chosen = frame.sort_values(["score", "code"], ascending=[False, True], kind="mergesort").index[:k]
    selected.loc[chosen] = True
    return selected


def tie_summary(scores: pd.Series, *, share: float = 0.05, tie_rule: str = "at_most") -> dict:
    """What the tie rule did at the top-``share`` cut-off, as numbers a page can show.

    Returns
    -------
    dict
        ``n`` (LSOAs, NaN scores included), ``k`` (the rule's target size: ``floor`` for
        ``at_most``, else ``ceil``), ``selected``, ``above`` (LSOAs scoring strictly more than the
        k-th highest score), ``tied`` (LSOAs sharing the k-th highest score), ``straddles`` (that
        tied group crosses the cut-off), ``tie_groups`` (tied groups, size ≥ 2, among the
        ``k + tied`` highest scores, as ``(score, size)`` from the top) and ``sentence``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series([0.9, 0.8, 0.7] + [0.5] * 60 + [0.1] * 1037)
    >>> t = tie_summary(s, share=0.05)
    >>> t["k"], t["above"], t["tied"], t["selected"], t["straddles"]
    (55, 3, 60, 3, True)
    >>> t["sentence"]
    '3 top scores + 60 tied at the cut-off, of 1,100 neighbourhoods: the at_most rule selects 3 (target 55)'
    """
    values = scores.astype(float).round(10)
    ordered = np.sort(values.dropna().to_numpy())[::-1]
    n = len(scores)
    k = _target_size(share, n, tie_rule)
    selected = int(select_top(scores, share=share, tie_rule=tie_rule).sum())
    out = {"n": n, "k": k, "selected": selected, "above": 0, "tied": 0, "straddles": False, "tie_groups": [],
           "tie_rule": tie_rule}
    if k > 0 and len(ordered):
        cut = ordered[min(k, len(ordered)) - 1]
        out["above"] = int((ordered > cut).sum())
        out["tied"] = int((ordered == cut).sum())
        out["straddles"] = bool(out["above"] < k < out["above"] + out["tied"])
        head = pd.Series(ordered[: out["above"] + out["tied"]]).value_counts(sort=False)
        out["tie_groups"] = [(float(v), int(c)) for v, c in sorted(head.items(), reverse=True) if c > 1]
    if out["tied"] > 1:
        out["sentence"] = (f"{out['above']:,} top scores + {out['tied']:,} tied at the cut-off, of {n:,} "
                           f"neighbourhoods: the {tie_rule} rule selects {selected:,} (target {k:,})")
    else:
        out["sentence"] = (f"no tie at the cut-off, of {n:,} neighbourhoods: the {tie_rule} rule selects "
                           f"{selected:,} (target {k:,})")
    return out


def _target_size(share: float, n: int, tie_rule: str) -> int:
    if tie_rule == "at_most":
        return math.floor(share * n + 1e-9)
    return max(1, math.ceil(share * n - 1e-9)) if n else 0


def risk_index(layers: pd.DataFrame, settings: Mapping | None = None) -> pd.DataFrame:
    """Risk score, rank and top-share flags (county-wide and per CSP) for every LSOA.

    Parameters
    ----------
    layers : pandas.DataFrame
        factor layers with an ``area`` column (CSP).
    settings : mapping, optional
        :func:`sna_lib.index.hotspots.index_settings` (defaults when omitted).

    Returns
    -------
    pandas.DataFrame
        components, ``score``, ``rank`` (1 = highest; ties share the minimum rank),
        ``area``, ``top_county`` and ``top_csp``; ``attrs`` records ``top_share``,
        ``tie_rule``, ``n`` and ``selected``.

    Examples
    --------
    >>> from sna_lib.index.factors import build_factor_layers              # doctest: +SKIP
    >>> idx = risk_index(build_factor_layers(ds, 2022))               # doctest: +SKIP
    >>> idx["top_county"].sum()                                       # doctest: +SKIP
    """
    from sna_lib.index.hotspots import index_settings

    settings = settings or index_settings()
    cfg = settings["risk_index"]
    share = float(cfg.get("top_share", 0.05))
    tie_rule = cfg.get("tie_rule", "at_most")
    out = risk_scores(layers, cfg["factors"])
    out["rank"] = out["score"].round(10).rank(ascending=False, method="min").astype("Int64")
    out["area"] = layers["area"] if "area" in layers else "all"
    out["top_county"] = select_top(out["score"], share=share, tie_rule=tie_rule)
    out["top_csp"] = False
    for _, group in out.groupby("area", sort=True):
        out.loc[group.index, "top_csp"] = select_top(group["score"], share=share, tie_rule=tie_rule)
    out["top_csp"] = out["top_csp"].astype(bool)
    out.attrs.update({"top_share": share, "tie_rule": tie_rule, "n": len(out),
                      "selected": int(out["top_county"].sum())})
    return out


def risk_score(layers: pd.DataFrame) -> pd.Series:
    """Equal-weight mean of the layers' percentile ranks (:func:`risk_scores`, ``rank``)."""
    spec = {name: {"column": name, "normalisation": "rank", "weight": 1.0} for name in layers.columns}
    return risk_scores(layers.fillna(layers.median()), spec)["score"]
