"""Negative-binomial regression of LSOA serious-violence counts on the risk factors.

Model: ``y_i ~ NB2(μ_i, α)``, ``log μ_i = log(pop_i) + β₀ + Σ β_k x_ik`` — a rate model with
the log population as offset. α is estimated by maximum likelihood
(``statsmodels.discrete.NegativeBinomial``); the coefficients, their Wald 95% confidence
intervals and the Pearson residuals come from the GLM with that α
(``statsmodels.genmod.families.NegativeBinomial``), so the GLM's standard errors are
conditional on α̂. ``exp(β)`` is the incidence-rate ratio (IRR): the multiplicative change in
the SV rate per unit of the predictor, others held fixed.

Residual spatial autocorrelation is measured by Moran's I (esda) of the Pearson residuals with
row-standardised queen weights; a significant positive I means the factors leave spatially
clustered variation unexplained (standard errors are then optimistic).

LSOAs with zero population cannot enter a rate model: they are excluded and counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class NBResult:
    """Fitted model summary.

    Attributes
    ----------
    table : pandas.DataFrame
        per term: ``coef, se, irr, irr_low, irr_high, p_value`` (95% Wald intervals).
    alpha : float
        NB2 dispersion (variance = μ + α μ²).
    n, excluded : int
        LSOAs used, LSOAs excluded (zero or missing exposure, missing predictors).
    aic : float
    pearson_residuals : pandas.Series
    moran : dict or None
        ``I, expected, z, p_value`` (permutation, two-sided) of the Pearson residuals.
    labels : dict
        predictor → readable label (every configured predictor, the dropped ones too).
    dropped : list
        configured predictors left out: those that did not vary, then those that add nothing
        to the design (a linear combination of the constant and the predictors kept before
        them, e.g. two layers identical in that year), in configured order.
    collinear : dict
        the second kind of ``dropped``: predictor → the kept predictors it is a combination of.
    """

    table: pd.DataFrame
    alpha: float
    n: int
    excluded: int
    aic: float
    pearson_residuals: pd.Series
    moran: dict | None = None
    labels: dict = field(default_factory=dict)
    dropped: list = field(default_factory=list)
    collinear: dict = field(default_factory=dict)

    def left_out(self) -> dict:
        """Label of each dropped predictor → the labels of the kept ones it is a combination of
        (empty: it did not vary), for :func:`sna_lib.book.describe.left_out_sentence`."""
        return {self.labels.get(c, c): [self.labels.get(k, k) for k in self.collinear.get(c, [])]
                for c in self.dropped}


def usable_rows(counts: pd.Series, exposure: pd.Series, predictors: pd.DataFrame) -> pd.Series:
    """LSOAs a rate model can use: outcome, exposure and every predictor known, exposure > 0."""
    frame = pd.concat([counts.rename("__y"), exposure.rename("__exposure"), predictors], axis=1)
    return frame.notna().all(axis=1) & (frame["__exposure"] > 0)


def independent_columns(X: pd.DataFrame, *, tol: float = 1e-9) -> tuple[list, dict]:
    """The columns of ``X`` that, with a constant, keep the design of full column rank.

    Columns are taken in order; one is kept only when it is not a linear combination of the
    constant and the columns kept before it (least-squares residual relative to its norm
    ``<= tol``). A rank-deficient design has a singular information matrix: the model
    cannot tell such columns apart, so the later one is left out and reported.

    Returns
    -------
    kept : list
    collinear : dict
        left-out column → the kept columns it is a combination of (those with a non-zero
        coefficient).

    Examples
    --------
    >>> X = pd.DataFrame({"a": [0, 1, 0, 1.0], "b": [0, 1, 0, 1.0], "c": [1, 2, 3, 4.0], "d": [2, 4, 4, 6.0]})
    >>> independent_columns(X)
    (['a', 'c'], {'b': ['a'], 'd': ['a', 'c']})
    """
    kept: list = []
    collinear: dict = {}
    ones = np.ones((len(X), 1))
    for column in X.columns:
        x = X[column].to_numpy(dtype=float)
        basis = np.hstack([ones, X[kept].to_numpy(dtype=float)]) if kept else ones
        coef, *_ = np.linalg.lstsq(basis, x, rcond=None)
        residual = np.linalg.norm(x - basis @ coef)
        if residual <= tol * max(np.linalg.norm(x), 1.0):
            collinear[column] = [k for k, c in zip(kept, coef[1:]) if abs(c) > tol]
        else:
            kept.append(column)
    return kept, collinear


def design_matrix(layers: pd.DataFrame, predictors: Mapping[str, Mapping]) -> pd.DataFrame:
    """Predictor columns transformed as configured (``scale``, ``log1p`` or as is; booleans → 0/1).

    Examples
    --------
    >>> import pandas as pd
    >>> layers = pd.DataFrame({"share": [0.1, 0.35], "n": [0, 9], "hot": [True, False]})
    >>> design_matrix(layers, {"share": {"transform": "scale", "scale": 10}, "n": {"transform": "log1p"},
    ...                        "hot": {}}).round(3).values.tolist()
    [[1.0, 0.0, 1.0], [3.5, 2.303, 0.0]]
    """
    missing = [c for c in predictors if c not in layers.columns]
    if missing:
        raise ValueError(f"layers lack predictor column(s) {missing}")
    out = pd.DataFrame(index=layers.index)
    for column, spec in predictors.items():
        values = layers[column]
        values = values.astype("Float64").astype(float)
        transform = (spec or {}).get("transform")
        if transform == "scale":
            values = values * float(spec.get("scale", 1.0))
        elif transform == "log1p":
            values = np.log1p(values)
        elif transform not in (None, "none"):
            raise ValueError(f"unknown transform {transform!r} for {column}")
        out[column] = values
    return out


def fit_negative_binomial(counts: pd.Series, predictors: pd.DataFrame, exposure: pd.Series, *,
                          weights=None, moran_permutations: int = 999, seed: int = 12345) -> NBResult:
    """Fit the NB2 rate model and (optionally) Moran's I of its Pearson residuals.

    Parameters
    ----------
    counts : pandas.Series
        SV counts per LSOA.
    predictors : pandas.DataFrame
        numeric predictors, same index (see :func:`design_matrix`).
    exposure : pandas.Series
        population per LSOA (offset ``log(exposure)``).
    weights : SpatialWeights, optional
        LSOA contiguity (:func:`sna_lib.index.hotspots.contiguity_weights`); Moran's I is skipped
        when omitted.
    moran_permutations, seed : int

    Returns
    -------
    NBResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = pd.DataFrame({"x": rng.normal(size=500)})
    >>> pop = pd.Series(1000.0, index=x.index)
    >>> y = pd.Series(rng.poisson(np.exp(np.log(1000) - 5 + 0.5 * x["x"])), index=x.index)
    >>> res = fit_negative_binomial(y, x, pop)
    >>> bool(res.table.loc["x", "irr_low"] < np.exp(0.5) < res.table.loc["x", "irr_high"])
    True
    """
    import warnings

    import statsmodels.api as sm
    from statsmodels.discrete.discrete_model import NegativeBinomial

    frame = pd.concat([counts.rename("__y"), exposure.rename("__exposure"), predictors], axis=1)
    usable = usable_rows(counts, exposure, predictors)
    data = frame[usable]
    y = data["__y"].astype(float)
    X = sm.add_constant(data[predictors.columns].astype(float), has_constant="add")
    offset = np.log(data["__exposure"].astype(float))
    constant = [c for c in predictors.columns if np.ptp(X[c].to_numpy()) == 0]
    if constant:
        raise ValueError(f"predictor(s) {constant} do not vary across LSOAs; drop them from the model")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ml = NegativeBinomial(y, X, offset=offset, loglike_method="nb2").fit(disp=0, maxiter=200)
        alpha = float(ml.params["alpha"])
        glm = sm.GLM(y, X, family=sm.families.NegativeBinomial(alpha=alpha), offset=offset).fit()
    ci = glm.conf_int(alpha=0.05)
    table = pd.DataFrame({
        "coef": glm.params, "se": glm.bse, "irr": np.exp(glm.params),
        "irr_low": np.exp(ci[0]), "irr_high": np.exp(ci[1]), "p_value": glm.pvalues,
    })
    resid = pd.Series(np.asarray(glm.resid_pearson), index=data.index, name="pearson_residual")
    moran = None
    if weights is not None:
        moran = residual_moran(resid, weights, permutations=moran_permutations, seed=seed)
    return NBResult(table=table, alpha=alpha, n=int(len(data)), excluded=int((~usable).sum()),
                    aic=float(glm.aic), pearson_residuals=resid, moran=moran)


def residual_moran(residuals: pd.Series, weights, *, permutations: int = 999, seed: int = 12345) -> dict:
    """Moran's I of residuals with row-standardised contiguity weights (subset to their LSOAs).

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, pandas as pd
    >>> from shapely.geometry import box
    >>> from sna_lib.index.hotspots import contiguity_weights
    >>> g = gpd.GeoDataFrame({"lsoa_code": [f"c{i}" for i in range(100)]},
    ...                      geometry=[box(i % 10, i // 10, i % 10 + 1, i // 10 + 1) for i in range(100)])
    >>> trend = pd.Series([float(i % 10) for i in range(100)], index=g["lsoa_code"])
    >>> residual_moran(trend, contiguity_weights(g), permutations=99)["I"] > 0.5
    True
    """
    import warnings

    from esda import Moran
    from libpysal.weights import WSP
    from scipy import sparse

    codes = pd.Index(residuals.index.astype(str))
    position = pd.Series(np.arange(weights.n), index=weights.ids)
    idx = position.reindex(codes)
    if idx.isna().any():
        raise ValueError("residuals include LSOAs that are not in the weights")
    sub = weights.adjacency[idx.to_numpy()][:, idx.to_numpy()]
    w = WSP(sparse.csr_matrix(sub), id_order=list(codes)).to_W(silence_warnings=True)
    w.transform = "R"
    state = np.random.get_state()
    np.random.seed(seed)  # esda.Moran draws from the global NumPy generator
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mi = Moran(residuals.to_numpy(dtype=float), w, permutations=permutations)
    finally:
        np.random.set_state(state)
    return {"I": float(mi.I), "expected": float(mi.EI), "z": float(mi.z_norm),
            "p_value": float(2 * mi.p_sim) if permutations else float(mi.p_norm),
            "permutations": int(permutations)}


def _label(spec: Mapping | None, column: str, layers: pd.DataFrame, settings: Mapping) -> str:
    """A predictor's readable label; ``{da_years}`` in it becomes the number of years of the DA
    persistence window the layers analysed (``layers.attrs["da_years"]``: 3 for a record that starts
    two years before the reporting year), else the configured window.

    Examples
    --------
    >>> import pandas as pd
    >>> layers = pd.DataFrame({"x": [1]}); layers.attrs["da_years"] = (2021, 2023)
    >>> _label({"label": "years hot (of {da_years})"}, "x", layers, {"persistence": {"window": 5}})
    'years hot (of 3)'
    >>> _label(None, "x", pd.DataFrame(), {"persistence": {"window": 5}})
    'x'
    """
    label = str((spec or {}).get("label", column))
    if "{da_years}" in label:
        span = layers.attrs.get("da_years")
        n = int(span[1]) - int(span[0]) + 1 if span else int(settings["persistence"]["window"])
        label = label.replace("{da_years}", str(n))
    return label


def sv_regression(layers: pd.DataFrame, settings: Mapping | None = None, *, weights=None) -> NBResult:
    """The configured model (``regression`` in ``index.yaml``) fitted to one year's layers.

    Examples
    --------
    >>> res = sv_regression(build_factor_layers(ds, 2022), weights=w)   # doctest: +SKIP
    >>> res.table[["irr", "irr_low", "irr_high"]]                      # doctest: +SKIP
    """
    from sna_lib.index.hotspots import index_settings

    settings = settings or index_settings()
    cfg = settings["regression"]
    predictors = dict(cfg["predictors"])
    X = design_matrix(layers, predictors)
    used = usable_rows(layers[cfg["outcome"]], layers[cfg["exposure"]], X).reindex(X.index, fill_value=False)
    varying = [c for c in X.columns if np.ptp(X.loc[used, c].to_numpy(dtype=float)) > 0]
    varying, collinear = independent_columns(X.loc[used, varying])
    dropped = [c for c in X.columns if c not in varying]
    result = fit_negative_binomial(layers[cfg["outcome"]], X[varying], layers[cfg["exposure"]], weights=weights,
                                   moran_permutations=int(cfg.get("moran_permutations", 999)),
                                   seed=int(cfg.get("seed", 12345)))
    result.labels = {c: _label(predictors[c], c, layers, settings) for c in X.columns}
    result.dropped = dropped
    result.collinear = collinear
    return result
