"""Fitted next-year model: planted coefficients, ridge shrinkage, dropped predictors, bad config."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sna_lib.index.risk_model import fit_predictive_model


def planted(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    layers = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 6, n), "const_col": 1.0,
                           "population": rng.integers(1000, 3000, n).astype(float)})
    mu = layers["population"] * np.exp(-6.5 + 0.6 * layers["a"] + 0.25 * layers["b"])
    # NB2 with alpha = 0.5: gamma-Poisson mixture
    y = rng.poisson(mu * rng.gamma(shape=2.0, scale=0.5, size=n))
    return layers, pd.Series(y, index=layers.index)


def spec(**model):
    return {"risk_index": {"model": {"family": "negative_binomial", "penalty": 0,
                                     "predictors": {"a": {}, "b": {}, "const_col": {}}, **model}}}


def test_negative_binomial_recovers_planted_coefficients_and_dispersion():
    layers, y = planted()
    m = fit_predictive_model(layers, y, spec())
    assert m.params["a"] == pytest.approx(0.6, abs=0.08)
    assert m.params["b"] == pytest.approx(0.25, abs=0.05)
    assert m.alpha == pytest.approx(0.5, abs=0.15)
    assert m.dropped == ["const_col"]          # does not vary: left out and listed
    # predictions are the fitted mean: exp(linear predictor) * population
    p = m.predict(layers, layers["population"])
    expected = layers["population"] * np.exp(m.params["const"] + m.params["a"] * layers["a"] + m.params["b"] * layers["b"])
    np.testing.assert_allclose(p, expected, rtol=1e-10)


def test_ridge_shrinks_standardised_coefficients():
    layers, y = planted(n=400, seed=2)
    plain = fit_predictive_model(layers, y, spec(family="poisson"))
    ridge = fit_predictive_model(layers, y, spec(family="poisson", penalty=0.05))
    sd = layers[["a", "b"]].std(ddof=0)
    # ridge works on standardised predictors: compare like with like
    for col in ("a", "b"):
        assert 0 < abs(ridge.params[col]) < abs(plain.params[col] * sd[col])
    assert ridge.penalty == 0.05


def test_bad_family_and_no_varying_predictor():
    layers, y = planted(n=100)
    with pytest.raises(ValueError, match="family"):
        fit_predictive_model(layers, y, spec(family="gaussian"))
    with pytest.raises(ValueError, match="varies"):
        fit_predictive_model(layers, y, spec(predictors={"const_col": {}}))


def test_configured_index_switches_the_top_share_to_the_model():
    from sna_lib.index.hotspots import index_settings
    from sna_lib.index.risk_model import configured_index

    rng = np.random.default_rng(5)
    n = 200
    codes = [f"E{i:04d}" for i in range(n)]
    x = rng.normal(size=n)

    def layers(seed):
        y = np.random.default_rng(seed).poisson(np.exp(0.5 + x))
        return pd.DataFrame({"x": x, "population": 1000.0, "sv_offences": y, "flag": np.arange(n) < 10,
                             "area": np.where(np.arange(n) < 100, "North", "South")}, index=codes)

    settings = index_settings({"risk_index": {"method": "model", "tie_rule": "stable"}})
    settings["risk_index"]["factors"] = {"flag": {"column": "flag", "normalisation": "flag", "weight": 1.0}}
    settings["risk_index"]["model"] = {"family": "poisson", "predictors": {"x": {}}}
    res = configured_index(layers(2), settings, previous_layers=layers(1))
    assert res.attrs["method"] == "model" and res["top_county"].sum() == 10
    # the model's top 10 are the 10 highest x (the planted risk), not the 10 flagged LSOAs
    assert set(res.index[res["top_county"]]) == set(pd.Series(x, index=codes).nlargest(10).index)
    assert res.loc[res["top_county"], "rank"].max() == 10
    assert res.groupby("area")["top_csp"].sum().tolist() == [5, 5]
    with pytest.raises(ValueError, match="previous year"):
        configured_index(layers(2), settings)
    settings["risk_index"]["method"] = "score"
    assert configured_index(layers(2), settings)["top_county"].sum() == 10     # the flagged ten
