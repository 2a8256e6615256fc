"""A fitted predictive alternative to the risk score: next year's SV from this year's layers.

Model
-----
A count GLM of LSOA serious-violence offences with a log-population offset::

    y_i(t) ~ NB2(μ_i, α)  (or Poisson),   log μ_i = log(pop_i) + β₀ + Σ_k β_k x_ik(t − 1)

fitted on pairs (layers of year ``t − 1``, SV offences of year ``t``) and applied to the layers
of year ``t`` to predict year ``t + 1``. Training therefore uses nothing later than year ``t``:
validated this way (:mod:`sna_lib.index.validation`) the model is strictly out of time.

Predictors (``risk_index.model.predictors`` in ``index.yaml``) are factor-layer columns with the
transforms of :func:`sna_lib.index.regression.design_matrix`, previous SV offences included.
``family`` is ``negative_binomial`` (α by maximum likelihood, as :mod:`sna_lib.index.regression`) or
``poisson``. ``penalty > 0`` fits a ridge-regularised GLM (``statsmodels``
``fit_regularized``, ``L1_wt = 0``) on predictors standardised with the training mean and
standard deviation; the NB α is then the unpenalised estimate. Predictors that do not vary in
the training year are dropped (and listed). LSOAs with no population use a population of 1 in
the offset, so they are fitted and predicted like the others rather than dropped.

The top share is chosen on the predicted count ``μ`` (not the rate: capture is about where the
offences are) with the risk index's configured tie rule.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sna_lib.index.regression import design_matrix

FAMILIES = ("negative_binomial", "poisson")


@dataclass
class PredictiveModel:
    """A fitted next-year model.

    Attributes
    ----------
    params : pandas.Series
        coefficients on the (standardised when penalised) predictors, ``const`` first.
    family : str
    alpha : float
        NB2 dispersion (0 for Poisson).
    predictors : dict
        the predictor specs used (after dropping constant ones).
    dropped : list
        configured predictors left out because they did not vary in the training year.
    centre, spread : pandas.Series
        standardisation of the predictors (0 and 1 when unpenalised).
    penalty : float
    """

    params: pd.Series
    family: str
    alpha: float
    predictors: dict
    dropped: list = field(default_factory=list)
    centre: pd.Series | None = None
    spread: pd.Series | None = None
    penalty: float = 0.0

    def predict(self, layers: pd.DataFrame, exposure: pd.Series) -> pd.Series:
        """Expected SV offences per LSOA for the year after ``layers``' year."""
        X = (design_matrix(layers, self.predictors) - self.centre) / self.spread
        eta = self.params["const"] + X[self.params.index[1:]].to_numpy(dtype=float) @ self.params.iloc[1:].to_numpy()
        offset = np.log(exposure.reindex(layers.index).astype(float).clip(lower=1.0).to_numpy())
        return pd.Series(np.exp(eta + offset), index=layers.index, name="predicted_sv")


def fit_predictive_model(layers: pd.DataFrame, outcome: pd.Series, settings: Mapping | None = None) -> PredictiveModel:
    """Fit the configured model on one training pair (year ``t − 1`` layers, year ``t`` SV).

    Parameters
    ----------
    layers : pandas.DataFrame
        factor layers of the earlier year (:func:`sna_lib.index.factors.build_factor_layers`) with
        ``population``.
    outcome : pandas.Series
        SV offences per LSOA of the following year.
    settings : mapping, optional
        :func:`sna_lib.index.hotspots.index_settings`; reads ``risk_index.model``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> layers = pd.DataFrame({"x": rng.normal(size=800), "population": 1500.0})
    >>> y = pd.Series(rng.poisson(np.exp(np.log(1500) - 6 + 0.8 * layers["x"])))
    >>> spec = {"risk_index": {"model": {"family": "poisson", "penalty": 0, "predictors": {"x": {}}}}}
    >>> model = fit_predictive_model(layers, y, spec)
    >>> bool(abs(model.params["x"] - 0.8) < 0.1)
    True
    """
    import statsmodels.api as sm

    cfg = _config(settings)
    family = cfg.get("family", "negative_binomial")
    if family not in FAMILIES:
        raise ValueError(f"risk_index.model.family must be one of {FAMILIES}, not {family!r}")
    penalty = float(cfg.get("penalty", 0) or 0)
    predictors = dict(cfg["predictors"])
    X = design_matrix(layers, predictors)
    dropped = [c for c in X.columns if not np.ptp(X[c].to_numpy(dtype=float)) > 0]
    kept = {c: predictors[c] for c in X.columns if c not in dropped}
    if not kept:
        raise ValueError("no risk_index.model predictor varies across LSOAs in the training year")
    X = X[list(kept)]
    centre = X.mean() if penalty > 0 else pd.Series(0.0, index=X.columns)
    spread = X.std(ddof=0) if penalty > 0 else pd.Series(1.0, index=X.columns)
    Xs = sm.add_constant((X - centre) / spread, has_constant="add")
    y = outcome.reindex(layers.index).fillna(0).astype(float)
    offset = np.log(layers["population"].astype(float).clip(lower=1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alpha = 0.0
        if family == "negative_binomial":
            from statsmodels.discrete.discrete_model import NegativeBinomial

            ml = NegativeBinomial(y, Xs, offset=offset, loglike_method="nb2").fit(disp=0, maxiter=200)
            alpha = float(ml.params["alpha"])
            glm_family = sm.families.NegativeBinomial(alpha=alpha)
        else:
            glm_family = sm.families.Poisson()
        model = sm.GLM(y, Xs, family=glm_family, offset=offset)
        fitted = model.fit_regularized(alpha=penalty, L1_wt=0.0) if penalty > 0 else model.fit()
    params = pd.Series(np.asarray(fitted.params, dtype=float), index=Xs.columns)
    return PredictiveModel(params=params, family=family, alpha=alpha, predictors=kept, dropped=dropped,
                           centre=centre, spread=spread, penalty=penalty)


def predicted_next_year(train_layers: pd.DataFrame, train_outcome: pd.Series, layers: pd.DataFrame,
                        settings: Mapping | None = None) -> pd.Series:
    """Fit on (year ``t − 1`` layers → year ``t`` SV) and predict year ``t + 1`` from year ``t`` layers.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> old = pd.DataFrame({"x": rng.normal(size=500), "population": 1000.0})
    >>> y = pd.Series(rng.poisson(np.exp(np.log(1000) - 5 + old["x"])))
    >>> new = pd.DataFrame({"x": [-2.0, 0.0, 2.0], "population": 1000.0})
    >>> spec = {"risk_index": {"model": {"family": "poisson", "predictors": {"x": {}}}}}
    >>> p = predicted_next_year(old, y, new, spec)
    >>> bool(p.is_monotonic_increasing and 5 < p[1] < 9)     # 1000 * exp(-5) = 6.7
    True
    """
    model = fit_predictive_model(train_layers, train_outcome, settings)
    return model.predict(layers, layers["population"])


def _config(settings: Mapping | None) -> Mapping:
    if settings is None:
        from sna_lib.index.hotspots import index_settings

        settings = index_settings()
    return settings["risk_index"]["model"]


def configured_index(layers: pd.DataFrame, settings: Mapping | None = None, *,
                     previous_layers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The risk index with its top share chosen by ``risk_index.method``.

    ``score`` (default): :func:`sna_lib.index.risk_index.risk_index` unchanged. ``model``: the same
    frame (components and score kept for the map), plus ``predicted_sv`` (the fitted model's
    expected SV next year, trained on ``previous_layers`` → this year's ``sv_offences``), with
    ``rank``, ``top_county`` and ``top_csp`` taken from ``predicted_sv`` under the same share
    and tie rule. ``attrs["method"]`` says which was used.

    Examples
    --------
    >>> idx = configured_index(layers_2023, settings, previous_layers=layers_2022)   # doctest: +SKIP
    """
    from sna_lib.index.risk_index import risk_index, select_top

    if settings is None:
        from sna_lib.index.hotspots import index_settings

        settings = index_settings()
    cfg = settings["risk_index"]
    method = cfg.get("method", "score")
    out = risk_index(layers, settings)
    out.attrs["method"] = method
    if method == "score":
        return out
    if method != "model":
        raise ValueError(f"risk_index.method must be 'score' or 'model', not {method!r}")
    if previous_layers is None:
        raise ValueError("risk_index.method 'model' needs the previous year's layers to fit the model")
    share, rule = float(cfg.get("top_share", 0.05)), cfg.get("tie_rule", "at_most")
    predicted = predicted_next_year(previous_layers, layers["sv_offences"], layers, settings)
    out["predicted_sv"] = predicted
    out["rank"] = predicted.round(10).rank(ascending=False, method="min").astype("Int64")
    out["top_county"] = select_top(predicted, share=share, tie_rule=rule)
    out["top_csp"] = False
    for _, group in out.groupby("area", sort=True):
        out.loc[group.index, "top_csp"] = select_top(predicted[group.index], share=share, tie_rule=rule)
    out["top_csp"] = out["top_csp"].astype(bool)
    out.attrs["selected"] = int(out["top_county"].sum())
    return out


def index_for_year(dataset, layers: pd.DataFrame, settings: Mapping | None = None, *, sv_ids=None,
                   source=None) -> pd.DataFrame:
    """:func:`configured_index` for ``layers``' year, building the previous year's layers only
    when ``risk_index.method`` is ``model`` (from ``source``, a
    :class:`~sna_lib.index.factors.FactorSource`, when given).

    Examples
    --------
    >>> index = index_for_year(ds, build_factor_layers(ds, 2023), settings, sv_ids=ids)   # doctest: +SKIP
    """
    from sna_lib.index.factors import build_factor_layers
    from sna_lib.index.hotspots import index_settings

    settings = settings or index_settings(dataset.config)
    previous = None
    if settings["risk_index"].get("method", "score") == "model":
        year = int(layers.attrs["year"]) - 1
        previous = (source.layers(year) if source is not None
                    else build_factor_layers(dataset, year, sv_ids=sv_ids, settings=settings))
    return configured_index(layers, settings, previous_layers=previous)
