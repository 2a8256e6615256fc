"""Negative-binomial GLM recovers simulated coefficients; Moran's I of residuals."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from sna_lib.index.hotspots import contiguity_weights, index_settings
from sna_lib.index.regression import design_matrix, fit_negative_binomial, residual_moran, sv_regression

TRUE = {"const": -6.0, "x1": 0.4, "x2": -0.3, "flag": 0.7}
ALPHA = 0.5


def grid(side):
    cells = [box(x, y, x + 1, y + 1) for y in range(side) for x in range(side)]
    return gpd.GeoDataFrame({"lsoa_code": [f"G{i:04d}" for i in range(side * side)]}, geometry=cells)


def simulate(n, seed, extra_log_mu=None):
    rng = np.random.default_rng(seed)
    index = pd.Index([f"G{i:04d}" for i in range(n)], name="lsoa_code")
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.uniform(0, 3, size=n),
                      "flag": rng.random(n) < 0.3}, index=index)
    pop = pd.Series(rng.integers(1200, 2500, size=n).astype(float), index=index)
    log_mu = np.log(pop) + TRUE["const"] + TRUE["x1"] * X["x1"] + TRUE["x2"] * X["x2"] + TRUE["flag"] * X["flag"]
    if extra_log_mu is not None:
        log_mu = log_mu + extra_log_mu
    mu = np.exp(log_mu)
    # NB2 as a gamma-Poisson mixture: lambda ~ Gamma(shape 1/alpha, scale alpha*mu)
    lam = rng.gamma(1 / ALPHA, ALPHA * mu)
    y = pd.Series(rng.poisson(lam), index=index)
    return y, X.astype(float), pop


def test_recovers_known_coefficients_within_ci():
    y, X, pop = simulate(3000, seed=42)
    res = fit_negative_binomial(y, X, pop)
    for term, beta in TRUE.items():
        row = res.table.loc[term]
        assert row["irr_low"] < np.exp(beta) < row["irr_high"], term
        assert row["irr"] == pytest.approx(np.exp(row["coef"]))
    assert 0.35 < res.alpha < 0.65
    assert res.n == 3000 and res.excluded == 0
    # Pearson residuals by hand: (y - mu) / sqrt(mu + alpha mu^2)
    mu = np.exp(np.log(pop) + res.table.loc["const", "coef"] + X @ res.table.loc[X.columns, "coef"])
    expected = (y - mu) / np.sqrt(mu + res.alpha * mu**2)
    np.testing.assert_allclose(res.pearson_residuals, expected, rtol=1e-6)


def test_zero_population_excluded_and_counted():
    y, X, pop = simulate(400, seed=1)
    pop.iloc[:5] = 0
    res = fit_negative_binomial(y, X, pop)
    assert res.n == 395 and res.excluded == 5
    with pytest.raises(ValueError, match="do not vary"):
        fit_negative_binomial(y, X.assign(c=1.0), pop)


def test_moran_of_residuals_detects_omitted_spatial_trend():
    side = 20
    g = grid(side)
    w = contiguity_weights(g)
    east_west = pd.Series([(i % side) / side * 3.0 for i in range(side * side)], index=w.ids)
    y, X, pop = simulate(side * side, seed=7, extra_log_mu=east_west.to_numpy())
    res = fit_negative_binomial(y, X, pop, weights=w, moran_permutations=199, seed=3)
    assert res.moran["I"] > 0.2 and res.moran["p_value"] < 0.05
    y0, X0, pop0 = simulate(side * side, seed=7)
    res0 = fit_negative_binomial(y0, X0, pop0, weights=w, moran_permutations=199, seed=3)
    assert abs(res0.moran["I"]) < 0.1 and res0.moran["p_value"] > 0.05


def test_moran_matches_direct_formula_and_is_deterministic():
    g = grid(6)
    w = contiguity_weights(g)
    r = pd.Series(np.random.default_rng(0).normal(size=36), index=w.ids)
    res = residual_moran(r, w, permutations=99, seed=1)
    W = w.adjacency.toarray()
    W = W / W.sum(axis=1, keepdims=True)
    z = r.to_numpy() - r.mean()
    direct = len(z) / W.sum() * (z @ W @ z) / (z @ z)
    assert res["I"] == pytest.approx(direct)
    assert res == residual_moran(r, w, permutations=99, seed=1)


def test_design_matrix_and_configured_model():
    layers = pd.DataFrame({
        "sv_offences": [0, 3, 1, 7, 2, 0, 4, 1] * 25,
        "population": [1500.0] * 200,
        "deprivation_share": np.linspace(0.05, 0.5, 200),
        "da_victim_homes_years_hot": [0, 1, 2, 5] * 50,
        "disorganisation": [0, 10, 3, 40] * 50,
        "class_a_possession_homes_hot": [False, True] * 100,
        "class_a_supply_homes_hot": [False] * 200,               # constant -> dropped, reported
        "unemployment_hot": [True, False, False, False, False] * 40,  # period 5: not a combination of the period-4 layers
    })
    X = design_matrix(layers, index_settings()["regression"]["predictors"])
    assert X["deprivation_share"].iloc[-1] == pytest.approx(5.0)
    assert X["disorganisation"].iloc[1] == pytest.approx(np.log(11))
    res = sv_regression(layers)
    assert res.dropped == ["class_a_supply_homes_hot"]
    assert "class_a_supply_homes_hot" not in res.table.index and res.n == 200


def test_identical_layers_in_a_year_are_left_out_not_a_singular_fit():
    """Two layers equal in one year (the demo's class A possession and supply flags in 2022 at
    scale 0.05) made the information matrix singular and the whole publication stage fail. The
    later one is left out and reported; the fit equals the model fitted without it."""
    rng = np.random.default_rng(3)
    n = 200
    flag = rng.random(n) < 0.2
    layers = pd.DataFrame({
        "sv_offences": rng.poisson(2.0, size=n),
        "population": rng.integers(1200, 2500, size=n).astype(float),
        "deprivation_share": rng.uniform(0.05, 0.5, size=n),
        "da_victim_homes_years_hot": rng.integers(0, 6, size=n),
        "disorganisation": rng.integers(0, 40, size=n),
        "class_a_possession_homes_hot": flag,
        "class_a_supply_homes_hot": flag,                         # identical this year
        "unemployment_hot": rng.random(n) < 0.3,
    })
    predictors = index_settings()["regression"]["predictors"]
    X = design_matrix(layers, predictors)
    full = np.column_stack([np.ones(n), X.to_numpy(dtype=float)])
    assert np.linalg.matrix_rank(full) == full.shape[1] - 1      # rank-deficient by exactly one column
    res = sv_regression(layers)
    assert res.dropped == ["class_a_supply_homes_hot"]
    assert res.collinear == {"class_a_supply_homes_hot": ["class_a_possession_homes_hot"]}
    kept = [c for c in X.columns if c != "class_a_supply_homes_hot"]
    direct = fit_negative_binomial(layers["sv_offences"], X[kept], layers["population"])
    pd.testing.assert_frame_equal(res.table, direct.table)


def test_independent_columns_matches_the_rank_of_the_design():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=50), rng.normal(size=50)
    X = pd.DataFrame({"a": a, "b": b, "ab": 2 * a - b + 1, "c": rng.normal(size=50), "a2": a.copy()})
    from sna_lib.index.regression import independent_columns

    kept, collinear = independent_columns(X)
    assert kept == ["a", "b", "c"]
    assert collinear == {"ab": ["a", "b"], "a2": ["a"]}
    design = np.column_stack([np.ones(50), X.to_numpy()])
    assert np.linalg.matrix_rank(design) == 1 + len(kept)
