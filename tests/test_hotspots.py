"""Hot-spot statistics: planted clusters, an independent Gi* formula, Poisson by hand."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from sna_lib.errors import DataValidationError
from sna_lib.index.hotspots import (
    confidence_bins,
    contiguity_weights,
    gi_star,
    gi_star_z,
    hotspots,
    index_settings,
    poisson_hotspots,
    star_weights,
)


def grid(side: int, *, extra_island: bool = False) -> gpd.GeoDataFrame:
    cells = [box(x, y, x + 1, y + 1) for y in range(side) for x in range(side)]
    codes = [f"L{y:02d}{x:02d}" for y in range(side) for x in range(side)]
    if extra_island:
        cells.append(box(side + 5, 0, side + 6, 1))
        codes.append("ISLAND")
    return gpd.GeoDataFrame({"lsoa_code": codes}, geometry=cells, crs="EPSG:27700")


def block(side: int, x0: int, y0: int, size: int = 3) -> list[str]:
    return [f"L{y:02d}{x:02d}" for y in range(y0, y0 + size) for x in range(x0, x0 + size)]


def test_queen_weights_on_grid():
    w = contiguity_weights(grid(4))
    card = pd.Series(w.cardinalities, index=w.ids)
    assert card["L0000"] == 3  # corner: right, up, diagonal
    assert card["L0001"] == 5  # edge
    assert card["L0101"] == 8  # interior: queen = 8
    assert (w.adjacency != w.adjacency.T).nnz == 0
    assert w.adjacency.diagonal().sum() == 0


def test_weights_cached_per_geography():
    g = grid(3)
    assert contiguity_weights(g) is contiguity_weights(g.copy())
    assert contiguity_weights(g) is not contiguity_weights(grid(4))


def test_island_joined_to_nearest_or_kept():
    g = grid(3, extra_island=True)
    joined = contiguity_weights(g, islands="nearest")
    kept = contiguity_weights(g, islands="keep")
    assert joined.islands == ("ISLAND",) and kept.islands == ("ISLAND",)
    # nearest cell centre to (8.5, 0.5) is L0002 at (2.5, 0.5)
    assert joined.joined == (("ISLAND", "L0002"),)
    card = pd.Series(joined.cardinalities, index=joined.ids)
    assert card["ISLAND"] == 1 and card["L0002"] == 4
    assert pd.Series(kept.cardinalities, index=kept.ids)["ISLAND"] == 0


def planted_values(side: int = 10, seed: int = 3) -> pd.Series:
    rng = np.random.default_rng(seed)
    g = grid(side)
    values = pd.Series(rng.poisson(5, side * side).astype(float), index=g["lsoa_code"])
    values[block(side, 1, 1)] = 20.0   # planted hot cluster (centre L0202)
    values[block(side, 6, 6)] = 0.0    # planted cold cluster (centre L0707)
    return values


def test_gistar_recovers_planted_hot_and_cold_clusters():
    g = grid(10)
    res = gi_star(planted_values(), contiguity_weights(g), permutations=9999, seed=12345)
    assert res.loc["L0202", "bin"] == 3 and res.loc["L0202", "hot"]
    assert res.loc["L0707", "bin"] == -3 and not res.loc["L0707", "hot"]
    # the planted hot cluster is the only 99% hot region: every 99% hot cell touches the block
    hot99 = res.index[res["bin"] == 3]
    assert all(abs(int(c[1:3]) - 2) <= 2 and abs(int(c[3:5]) - 2) <= 2 for c in hot99)


def test_gistar_deterministic_with_seed():
    g = grid(10)
    w = contiguity_weights(g)
    a = gi_star(planted_values(), w, permutations=199, seed=7)
    b = gi_star(planted_values(), w, permutations=199, seed=7)
    pd.testing.assert_frame_equal(a, b)


def textbook_gi_star(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Ord & Getis (1995) Gi*, written out with plain loops."""
    n = len(x)
    xbar = x.sum() / n
    s = math.sqrt((x**2).sum() / n - xbar**2)
    z = np.empty(n)
    for i in range(n):
        wi = w[i].sum()
        s1 = (w[i] ** 2).sum()
        num = (w[i] * x).sum() - xbar * wi
        den = s * math.sqrt((n * s1 - wi**2) / (n - 1))
        z[i] = num / den
    return z


def test_gistar_z_matches_textbook_formula_and_esda():
    from esda import G_Local

    g = grid(6)
    w = contiguity_weights(g)
    x = np.random.default_rng(11).gamma(2.0, 3.0, len(g))
    dense = w.adjacency.toarray() + np.eye(len(g))  # binary, self included
    expected = textbook_gi_star(x, dense)
    esda_z = G_Local(x, w.to_libpysal(), transform="B", star=True, permutations=0).Zs
    np.testing.assert_allclose(esda_z, expected, rtol=1e-10)
    np.testing.assert_allclose(gi_star_z(x, star_weights(w, "B")), expected, rtol=1e-10)
    # row-standardising multiplies each row by a constant: z is unchanged with the exact variance
    np.testing.assert_allclose(gi_star_z(x, star_weights(w, "R")), expected, rtol=1e-10)


def test_analytical_p_and_bins():
    g = grid(10)
    res = gi_star(planted_values(), contiguity_weights(g), inference="analytical")
    from scipy.stats import norm

    z = res.loc["L0202", "gi_z"]
    assert res.loc["L0202", "p_value"] == pytest.approx(2 * norm.sf(abs(z)))
    expected_bins = np.select([res["gi_z"].abs() > 2.5758, res["gi_z"].abs() > 1.95996, res["gi_z"].abs() > 1.64485],
                              [3, 2, 1], 0) * np.sign(res["gi_z"])
    assert (res["bin"].to_numpy() == expected_bins.astype(int)).all()


def test_constant_layer_has_no_hotspots():
    g = grid(4)
    res = gi_star(pd.Series(0.0, index=g["lsoa_code"]), contiguity_weights(g), permutations=99)
    assert (res["bin"] == 0).all() and (res["p_value"] == 1).all() and (res["gi_z"] == 0).all()


def test_unknown_code_rejected():
    g = grid(3)
    with pytest.raises(ValueError, match="not in the geography"):
        gi_star(pd.Series({"NOPE": 1.0}), contiguity_weights(g))


def test_fdr_bins_by_hand():
    p = np.array([0.04, 0.045, 0.3, 0.6])
    z = np.array([1.0, -1.0, 1.0, 1.0])
    assert confidence_bins(z, p).tolist() == [2, -2, 0, 0]
    # Benjamini-Hochberg, m = 4, sorted p = .04, .045, .3, .6
    #   alpha .05: k*alpha/m = .0125, .025, .0375, .05 -> no p_(k) below its line -> nothing at 95%
    #   alpha .10: lines .025, .05, .075, .10 -> p_(2) = .045 <= .05 -> both smallest significant at 90%
    assert confidence_bins(z, p, fdr=True).tolist() == [1, -1, 0, 0]


def hand_poisson_sf(obs: int, lam: float) -> float:
    return 1.0 - sum(math.exp(-lam) * lam**k / math.factorial(k) for k in range(obs))


def test_poisson_pvalues_match_hand_computation():
    obs = pd.Series({"a": 9, "b": 1, "c": 2, "d": 0})
    base = pd.Series({"a": 1000.0, "b": 500.0, "c": 1500.0, "d": 1000.0})
    res = poisson_hotspots(obs, base, alpha=0.05)
    rate = 12 / 4000
    for code in "abc":
        lam = rate * base[code]
        assert res.loc[code, "expected"] == pytest.approx(lam)
        assert res.loc[code, "p_value"] == pytest.approx(hand_poisson_sf(int(obs[code]), lam), rel=1e-9)
    assert res.loc["d", "p_value"] == 1.0
    # a: lambda=3, P(X>=9)=0.0038 -> 99% bin and hot; b: P(X>=1 | 1.5) = 0.777
    assert res.loc["a", "bin"] == 3 and res.loc["a", "hot"]
    assert not res.loc["b", "hot"] and res.loc["b", "bin"] == 0


def test_poisson_zero_base_and_given_rate():
    res = poisson_hotspots(pd.Series({"a": 2, "b": 0}), pd.Series({"a": 0.0, "b": 0.0}), rate=0.01)
    assert res["zero_base"].all()
    assert res.loc["a", "p_value"] == 0.0 and res.loc["b", "p_value"] == 1.0
    res = poisson_hotspots(pd.Series({"a": 3}), pd.Series({"a": 100.0, "b": 100.0}), rate=0.01)
    assert res.loc["a", "p_value"] == pytest.approx(hand_poisson_sf(3, 1.0))


def test_dispatch_uses_configured_method():
    g = grid(10)
    w = contiguity_weights(g)
    settings = index_settings({"hotspots": {"method": "gistar", "inference": "analytical"}})
    res = hotspots(planted_values(), weights=w, settings=settings)
    assert "gi_z" in res and res.loc["L0202", "hot"]
    settings = index_settings({"hotspots": {"method": "poisson"}})
    res = hotspots(planted_values(), base=pd.Series(1000.0, index=g["lsoa_code"]), settings=settings)
    assert "expected" in res and res.loc["L0202", "hot"]
    with pytest.raises(ValueError):
        hotspots(planted_values(), settings=index_settings({"hotspots": {"method": "kde"}}))


def test_conditional_p_matches_exact_enumeration():
    """Conditional randomisation by hand: every k-subset of the other n - 1 values as neighbours."""
    import itertools

    from scipy import sparse

    from sna_lib.index.hotspots.gistar import conditional_p
    from sna_lib.index.hotspots.weights import SpatialWeights

    n = 8
    adjacency = np.zeros((n, n))
    for i in range(n - 1):
        adjacency[i, i + 1] = adjacency[i + 1, i] = 1
    x = np.array([9.0, 7.0, 1.0, 0.0, 2.0, 0.0, 3.0, 5.0])
    w = SpatialWeights(pd.Index([f"a{i}" for i in range(n)]), sparse.csr_array(adjacency))
    exact = np.empty(n)
    for i in range(n):
        k = int(adjacency[i].sum())
        others = np.delete(x, i)
        observed = x[i] + adjacency[i] @ x
        sums = np.array([x[i] + sum(c) for c in itertools.combinations(others, k)])
        upper, lower = (sums >= observed).mean(), (sums <= observed).mean()
        exact[i] = min(1.0, 2 * min(upper, lower))
    mc, direction = conditional_p(x, w, permutations=9999, seed=5)
    np.testing.assert_allclose(mc, exact, atol=0.03)
    assert direction[0] == 1 and direction[3] == -1


def esda_gi_star(x, w, permutations, seed):
    import warnings

    from esda import G_Local

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return G_Local(x, w.to_libpysal(), transform="B", star=True, permutations=permutations, seed=seed, n_jobs=1)


def test_permutation_p_is_esda_conditional_permutation():
    # continuous values (no ties): our two-sided p is exactly twice esda's directed p_sim, same seed
    g = grid(8)
    w = contiguity_weights(g)
    x = pd.Series(np.random.default_rng(4).gamma(1.5, 2.0, len(g)), index=g["lsoa_code"])
    x[block(8, 0, 0)] += 6.0
    res = gi_star(x, w, permutations=999, seed=321)
    lg = esda_gi_star(x.to_numpy(), w, 999, 321)
    np.testing.assert_allclose(res["p_value"].to_numpy(), np.minimum(1, 2 * lg.p_sim), rtol=1e-6)
    # the bin's sign is the tail the simulations put the observation in (esda's "directed" choice)
    above = (lg.rGs >= lg.Gs[:, None]).sum(axis=1)
    tail = np.where(above <= 999 - above, 1, -1)
    significant = res["bin"] != 0
    assert significant.sum() > 3
    assert (np.sign(res["bin"])[significant].to_numpy() == tail[significant.to_numpy()]).all()
    # a different seed is a different (valid) draw
    other = gi_star(x, w, permutations=999, seed=322)
    assert not np.array_equal(other["p_value"].to_numpy(), res["p_value"].to_numpy())


def test_conditional_p_counts_the_tails_of_esdas_simulations():
    """Sparse tied counts, an island kept, two seeds: p and direction are the tail counts of
    esda's own simulated neighbourhood sums (``rGs``, same draws), element for element."""
    from sna_lib.index.hotspots.gistar import conditional_p

    g = grid(9, extra_island=True)
    w = contiguity_weights(g, islands="keep")
    rng = np.random.default_rng(11)
    for seed, x in ((321, rng.poisson(0.4, len(g)).astype(float)),
                    (8, (rng.integers(0, 2, len(g)) * 3 + rng.poisson(0.2, len(g))).astype(float))):
        x[-1] = 4.0                                                     # the island
        lg = esda_gi_star(x, w, 999, seed)
        total = x.sum()
        observed, simulated = lg.Gs * total, lg.rGs * total
        tol = 1e-9 * max(1.0, float(np.abs(x).sum()))
        upper = (simulated >= observed[:, None] - tol).sum(axis=1)
        lower = (simulated <= observed[:, None] + tol).sum(axis=1)
        p, direction = conditional_p(x, w, permutations=999, seed=seed)
        np.testing.assert_array_equal(p, np.minimum(1.0, 2.0 * (np.minimum(upper, lower) + 1.0) / 1000.0))
        np.testing.assert_array_equal(direction, np.where(upper <= lower, 1.0, -1.0))
        assert len(np.unique(p)) > 5                                   # not a degenerate all-ties case


def test_analytical_p_is_twice_esda_p_norm():
    g = grid(8)
    w = contiguity_weights(g)
    x = np.random.default_rng(9).poisson(4, len(g)).astype(float)
    res = gi_star(pd.Series(x, index=g["lsoa_code"]), w, inference="analytical")
    lg = esda_gi_star(x, w, 0, 1)
    np.testing.assert_allclose(res["p_value"].to_numpy(), 2 * lg.p_norm, rtol=1e-10)
    np.testing.assert_allclose(res["gi_z"].to_numpy(), lg.Zs, rtol=1e-10)


def test_single_lsoa_spike_conditional_vs_normal_approximation():
    # 30 x 30 zeros with one LSOA of 12 events. Conditional permutation holds the spike fixed and
    # draws its neighbours from the other (all zero) LSOAs: every simulation ties -> p = 1, not hot.
    # Each of its 8 neighbours has the spike in its neighbourhood; the spike lands among a
    # neighbour's 8 random draws in 8/899 of permutations -> two-sided p ~ 0.018 -> hot.
    g = grid(30)
    values = pd.Series(0.0, index=g["lsoa_code"])
    values["L1515"] = 12.0
    res = gi_star(values, contiguity_weights(g), permutations=9999, seed=3)
    assert res.loc["L1515", "p_value"] == 1.0 and not res.loc["L1515", "hot"]
    ring = [c for c in block(30, 14, 14) if c != "L1515"]
    assert res.loc[ring, "hot"].all() and res["hot"].sum() == 8
    assert res.loc[ring, "p_value"].between(0.012, 0.025).all()
    # ArcGIS's normal approximation flags the spike itself as well
    analytical = gi_star(values, contiguity_weights(g), inference="analytical")
    assert analytical.loc["L1515", "hot"] and analytical.loc[ring, "hot"].all()


def test_permutations_leave_global_numpy_state_alone_and_islands_get_p_one():
    g = grid(4, extra_island=True)
    values = pd.Series(1.0, index=g["lsoa_code"])
    values["ISLAND"] = 50.0
    values["L0000"] = 9.0
    np.random.seed(99)
    expected = np.random.random_sample(3)
    np.random.seed(99)
    res = gi_star(values, contiguity_weights(g, islands="keep"), permutations=199, seed=1)
    np.testing.assert_array_equal(np.random.random_sample(3), expected)
    assert res.loc["ISLAND", "p_value"] == 1.0 and res.loc["ISLAND", "bin"] == 0


def test_default_inference_is_conditional_permutation_with_enough_permutations():
    s = index_settings()["hotspots"]
    assert s["inference"] == "permutation" and s["permutations"] >= 999   # stable flags: benchmarks/hotspot_stability.py


def test_index_settings_merge_data_config_sections():
    from types import MappingProxyType

    from sna_lib.data.config import Config, Hotspots, RiskIndex

    cfg = Config(county="Demo", csps=("A",), reporting_year=2023, first_year=2014,
                 hotspots=Hotspots(permutations=99, extra=MappingProxyType({"fdr": True})),
                 risk_index=RiskIndex(weights=MappingProxyType({"deprivation": 2.0}),
                                      extra=MappingProxyType({"tie_rule": "stable"})))
    s = index_settings(cfg)
    assert s["hotspots"]["permutations"] == 99 and s["hotspots"]["fdr"] is True
    assert s["hotspots"]["inference"] == "permutation"          # package default kept
    assert s["risk_index"]["tie_rule"] == "stable"
    assert s["risk_index"]["factors"]["deprivation"]["weight"] == 2.0
    assert s["risk_index"]["factors"]["unemployment"]["weight"] == 1.0
    assert index_settings()["hotspots"]["fdr"] is False         # defaults not mutated


def test_snap_tolerance_bridges_slivers():
    # two cells separated by a 0.5 m sliver: not queen neighbours, unless tolerance >= 0.5
    g = gpd.GeoDataFrame({"lsoa_code": ["a", "b"]}, geometry=[box(0, 0, 100, 100), box(100.5, 0, 200, 100)])
    assert contiguity_weights(g, islands="keep").cardinalities.tolist() == [0, 0]
    assert contiguity_weights(g, islands="keep", tolerance=1.0).cardinalities.tolist() == [1, 1]


def test_results_are_memoised_per_input_and_setting(monkeypatch):
    from sna_lib.index.hotspots import gistar

    g = grid(10)
    w = contiguity_weights(g)
    x = planted_values(10, seed=8)
    calls = []
    real = gistar.conditional_p
    monkeypatch.setattr(gistar, "conditional_p", lambda *a, **k: calls.append(k["seed"]) or real(*a, **k))
    a = gi_star(x, w, permutations=99, seed=11)
    a.loc[a.index[0], "hot"] = not a.loc[a.index[0], "hot"]          # callers get copies
    b = gi_star(x.copy(), w, permutations=99, seed=11)
    assert calls == [11]
    assert b.loc[b.index[0], "hot"] != a.loc[a.index[0], "hot"]
    gi_star(x, w, permutations=99, seed=12)
    gi_star(x + 1.0, w, permutations=99, seed=11)
    assert calls == [11, 12, 11]


# ------------------------------------------------------------------ mutation-testing survivors
def test_confidence_bins_edges_by_hand():
    from sna_lib.index.hotspots.bins import confidence_bins

    # p exactly at a level's alpha is significant at it; just above is not
    assert confidence_bins([1, 1, 1, -1], [0.01, 0.05, 0.1, 0.0100001]).tolist() == [3, 2, 1, -2]
    assert confidence_bins([1, -1], [0.1000001, 0.5]).tolist() == [0, 0]
    # no direction (z = 0 or NaN) or no p-value means no bin
    assert confidence_bins([0.0, np.nan, 2.0], [0.001, 0.001, np.nan]).tolist() == [0, 0, 0]
    # levels in any order; two levels -> bins 0..2
    assert confidence_bins([1, 1, 1], [0.005, 0.03, 0.2], levels=(0.99, 0.9)).tolist() == [2, 1, 0]
    assert confidence_bins([], []).tolist() == []


def test_hot_flag_levels():
    from sna_lib.index.hotspots.bins import hot_flag

    assert hot_flag([3, 2, 1, 0, -1], confidence=0.90).tolist() == [True, True, True, False, False]
    assert hot_flag([3, 2, 1], confidence=0.99).tolist() == [True, False, False]
    assert hot_flag([2, 1], confidence=0.99, levels=(0.99, 0.9)).tolist() == [True, False]
    with pytest.raises(ValueError, match="not one of the bin levels"):
        hot_flag([1], confidence=0.8)


def test_poisson_columns_and_bad_input_by_hand():
    obs = pd.Series({"a": 6, "b": 0})
    base = pd.Series({"a": 100.0, "b": 200.0, "c": 0.0})
    res = poisson_hotspots(obs, base, alpha=0.5)
    # pooled rate 6 / 300: expected a = 2, b = 4, c = 0 (zero base); c has no counts -> 0 and p = 1
    assert res.index.name == "lsoa_code" and res.index.tolist() == ["a", "b", "c"]
    assert res["value"].tolist() == [6, 0, 0] and res["base"].tolist() == [100, 200, 0]
    assert res["expected"].tolist() == pytest.approx([2, 4, 0])
    assert res.loc["a", "ratio"] == pytest.approx(3.0) and res.loc["b", "ratio"] == 0 and np.isnan(res.loc["c", "ratio"])
    assert res["zero_base"].tolist() == [False, False, True]
    assert res["p_value"].tolist() == pytest.approx([hand_poisson_sf(6, 2.0), 1.0, 1.0])
    # alpha is the hot cut-off: P(X >= 6 | 2) = 0.0166 is hot at 0.5 and at 0.0166, not at 0.01
    assert res["hot"].tolist() == [True, False, False]
    p_a = hand_poisson_sf(6, 2.0)
    assert poisson_hotspots(obs, base, alpha=p_a).loc["a", "hot"]
    assert not poisson_hotspots(obs, base, alpha=0.01).loc["a", "hot"]
    # nothing anywhere: rate 0, every LSOA a zero base with p = 1
    none = poisson_hotspots(pd.Series(dtype=float), pd.Series({"a": 0.0, "b": 0.0}))
    assert none["zero_base"].all() and (none["p_value"] == 1).all()
    with pytest.raises(ValueError, match="have counts but no base"):
        poisson_hotspots(pd.Series({"z": 1}), base)
    for bad in (pd.Series({"a": -1.0}), pd.Series({"a": np.nan})):
        with pytest.raises(ValueError, match="base must be non-negative and not missing"):
            poisson_hotspots(pd.Series({"a": 1}), bad)
    with pytest.raises(ValueError, match="observed counts must be non-negative"):
        poisson_hotspots(pd.Series({"a": -1}), pd.Series({"a": 10.0}))


def test_index_settings_plain_mapping_deep_merge():
    from types import SimpleNamespace

    defaults = index_settings()
    s = index_settings({"hotspots": {"permutations": 99}, "risk_index": {"weights": {"deprivation": 3, "new": 2}},
                        "disorganisation_weights": None, "not_overridable": {"x": 1}})
    # deep merge: one key replaced, its siblings kept; weights become floats, unknown factors added
    assert s["hotspots"]["permutations"] == 99 and s["hotspots"]["seed"] == defaults["hotspots"]["seed"]
    assert s["risk_index"]["factors"]["deprivation"]["weight"] == 3.0
    assert type(s["risk_index"]["factors"]["deprivation"]["weight"]) is float
    assert s["risk_index"]["factors"]["deprivation"]["column"] == defaults["risk_index"]["factors"]["deprivation"]["column"]
    assert s["risk_index"]["factors"]["new"] == {"weight": 2.0}
    assert s["disorganisation_weights"] == defaults["disorganisation_weights"] and "not_overridable" not in s
    # a mapping replaces a scalar and a scalar replaces a mapping; copies, never shared
    nested = index_settings({"hotspots": {"seed": {"a": 1}}})
    assert nested["hotspots"]["seed"] == {"a": 1}
    # attribute-style sections (dataclass-like objects) are read through vars()
    obj = index_settings(SimpleNamespace(hotspots=SimpleNamespace(permutations=49)))
    assert obj["hotspots"]["permutations"] == 49
    s["hotspots"]["permutations"] = 1
    assert index_settings()["hotspots"]["permutations"] == defaults["hotspots"]["permutations"]


def test_star_weights_transforms_and_gi_star_arguments():
    from scipy.stats import norm

    g = grid(3)
    w = contiguity_weights(g)
    b = star_weights(w, "b").toarray()
    # corner L0000: itself + 3 queen neighbours; centre L0101: itself + 8
    assert b[0].sum() == 4 and b[4].sum() == 9 and b[0, 0] == 1 and (np.diag(b) == 1).all()
    r = star_weights(w, "r").toarray()
    assert r[0].tolist() == pytest.approx((b[0] / 4).tolist()) and r.sum(axis=1) == pytest.approx(np.ones(9))
    with pytest.raises(ValueError, match="transform must be 'B' or 'R'"):
        star_weights(w, "X")
    y = pd.Series({"L0000": 9.0, "L0001": 7.0, "L0100": 6.0})      # the other six count 0
    rb = gi_star(y, w, inference="analytical")
    rr = gi_star(y, w, inference="analytical", transform="R")
    assert rb["value"].tolist() == [9, 7, 0, 6, 0, 0, 0, 0, 0]
    assert rr["gi_z"].to_numpy() == pytest.approx(rb["gi_z"].to_numpy())
    # no permutations: the normal approximation, p = 2 x P(Z > |z|)
    p0 = gi_star(y, w, permutations=0)
    assert p0["p_value"].to_numpy() == pytest.approx(2 * norm.sf(np.abs(p0["gi_z"].to_numpy())))
    with pytest.raises(ValueError, match="duplicate LSOA codes"):
        gi_star(pd.Series([1.0, 2.0], index=["L0000", "L0000"]), w)
    with pytest.raises(ValueError, match="inference must be one of"):
        gi_star(y, w, inference="bayes")


# ------------------------------------------------------------------ vectorised engine == esda
def _engines_agree(x, w, permutations, seed):
    """p-values and directions of the vectorised engine are exactly those from esda's own G_Local."""
    from sna_lib.index.hotspots.gistar import conditional_p

    fast = conditional_p(x, w, permutations=permutations, seed=seed)
    ref = conditional_p(x, w, permutations=permutations, seed=seed, engine="esda")
    np.testing.assert_array_equal(fast[0], ref[0])
    np.testing.assert_array_equal(fast[1], ref[1])
    return ref[0]


def _layers(n: int, rng) -> dict:
    """Counts with a planted cluster, sparse tied counts (mostly zeros), non-whole rates with ties."""
    counts = rng.poisson(1.5, n).astype(float)
    counts[: max(1, n // 20)] += 6
    rates = np.round(rng.poisson(0.3, n) / rng.choice([0.7, 1.3, 2.1], n), 3)
    return {"counts": counts, "zeros_and_ties": rng.poisson(0.15, n).astype(float), "rates": rates}


@pytest.mark.parametrize("islands", ["keep", "nearest"])
@pytest.mark.parametrize("permutations, seed", [(99, 7), (999, 12345), (999, 3)])
def test_vectorised_engine_equals_esda_on_grid_with_islands_ties_and_rates(islands, permutations, seed):
    g = grid(9, extra_island=True)
    g = pd.concat([g, gpd.GeoDataFrame({"lsoa_code": ["ISLAND2"]}, geometry=[box(-9, -9, -8, -8)],
                                       crs=g.crs)], ignore_index=True)                  # two islands
    w = contiguity_weights(g, islands=islands)
    assert (w.cardinalities == 0).sum() == (2 if islands == "keep" else 0)
    for name, x in _layers(len(g), np.random.default_rng(seed)).items():
        p = _engines_agree(x, w, permutations, seed)
        assert len(np.unique(p)) > 3, name                       # not a degenerate all-ties case


def test_vectorised_engine_equals_esda_on_demo_layers(demo_dir):
    """Scale-0.05 demo county: SV counts per LSOA in every year of the persistence window (the
    configured 999 permutations, seed 12345), the reporting year's rates and 99 permutations, seed 7."""
    from sna_lib.data.dataset import load_dataset
    from sna_lib.index.factors import crimes_by_lsoa, lsoa_population
    from sna_lib.index.hotspots import weights_for
    from sna_lib.measures.classify import serious_violence_ids

    ds = load_dataset(demo_dir, validate=False)
    settings = index_settings(ds.config)
    w = weights_for(ds.geography, settings)
    sv = serious_violence_ids(ds)
    year = int(ds.config.reporting_year)
    for y in range(year - int(settings["persistence"]["window"]) + 1, year + 1):
        counts = crimes_by_lsoa(ds.crimes, sv, lsoa_codes=w.ids, year=y).reindex(w.ids, fill_value=0)
        pop = lsoa_population(ds.population, y).reindex(w.ids, fill_value=0.0)
        rates = (1000.0 * counts / pop.where(pop > 0)).fillna(0.0)
        _engines_agree(counts.to_numpy(float), w, settings["hotspots"]["permutations"], settings["hotspots"]["seed"])
        if y == year:
            _engines_agree(rates.to_numpy(float), w, settings["hotspots"]["permutations"], settings["hotspots"]["seed"])
            _engines_agree(counts.to_numpy(float), w, 99, 7)


def test_vectorised_engine_equals_esda_on_real_essex_polygons(open_data_dir):
    """The real Essex LSOA polygons (1,000+ areas, two components, varying cardinality)."""
    from sna_lib.data.importers.boundaries import read_boundaries

    geo, _ = read_boundaries(open_data_dir / "geography" / "lsoa11_bsc_essex_pfa.geojson")
    w = contiguity_weights(geo)
    assert w.n > 1000 and len(np.unique(w.cardinalities)) > 8
    rng = np.random.default_rng(7)
    layers = _layers(w.n, rng)
    _engines_agree(layers["counts"], w, 99, 7)
    _engines_agree(layers["zeros_and_ties"], w, 99, 7)
    _engines_agree(layers["rates"], w, 999, 12345)


def test_permutation_draws_are_esdas_and_leave_global_state_alone():
    from esda.crand import vec_permutations

    from sna_lib.index.hotspots.gistar import permutation_ids

    np.random.seed(5)
    before = np.random.get_state()[1].copy()
    ids = permutation_ids(4, 30, 50, seed=9)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    state = np.random.get_state()
    try:
        np.testing.assert_array_equal(ids, vec_permutations(4, 30, 50, 9))     # esda's own table
        np.testing.assert_array_equal(permutation_ids(23, 1077, 99, 7), vec_permutations(23, 1077, 99, 7))
    finally:
        np.random.set_state(state)
    with pytest.raises(ValueError, match="engine"):
        from sna_lib.index.hotspots.gistar import conditional_p
        conditional_p([1.0, 2.0], contiguity_weights(grid(2)), permutations=9, seed=1, engine="numba")


# ----------------------------------------------------------------------------- session-6 mutation survivors
def test_method_and_inference_sentences_by_hand():
    from sna_lib.index.hotspots.settings import hotspot_inference_note, hotspot_method

    assert hotspot_method(index_settings()) == (
        "Getis–Ord Gi* at 95% confidence; conditional permutation test, 999 permutations, seed 12345")
    assert hotspot_method(index_settings({"hotspots": {"confidence": 0.99, "fdr": True}})) == (
        "Getis–Ord Gi* at 99% confidence; conditional permutation test, 999 permutations, seed 12345; "
        "false-discovery-rate corrected")
    assert hotspot_inference_note(index_settings()) == (
        "Each LSOA's own count is held fixed and its neighbourhood total is compared with 999 totals made from "
        "counts drawn at random from the other LSOAs (esda's conditional permutation); the same data and seed "
        "give the same hot spots.")
    # settings without an inference key: permutation, with the permutations given
    assert hotspot_inference_note({"hotspots": {"permutations": 1999}}).startswith(
        "Each LSOA's own count is held fixed and its neighbourhood total is compared with 1,999 totals")
    analytical = hotspot_inference_note({"hotspots": {"inference": "analytical", "permutations": 999}})
    assert analytical.startswith("Significance comes from the normal approximation of the Gi* z-score (as ArcGIS)")
    assert hotspot_inference_note({"hotspots": {}}) == analytical  # no permutations: normal approximation


def test_bins_accept_nullable_z():
    # a missing z (no direction) is bin 0, whether the z column is nullable or a plain list with None
    for z in (pd.array([2.5, None, -2.0], dtype="Float64"), [2.5, None, -2.0]):
        assert confidence_bins(z, [0.004, 0.004, 0.03]).tolist() == [3, 0, -2]


def test_hotspots_passes_the_configured_options_on():
    g = grid(10)
    w = contiguity_weights(g)
    values = planted_values()
    with pytest.raises(ValueError, match=r"^Gi\* needs spatial weights$"):
        hotspots(values)
    settings = index_settings({"hotspots": {"inference": "analytical", "fdr": True}})
    with_fdr = gi_star(values, w, inference="analytical", fdr=True)["bin"]
    assert not with_fdr.equals(gi_star(values, w, inference="analytical", fdr=False)["bin"])  # FDR matters here
    assert hotspots(values, weights=w, settings=settings)["bin"].equals(with_fdr)
    # Poisson with a configured alpha: 6 against an expected 3 (P(X >= 6) = 0.084) is hot at 0.2, not 0.05
    v, base = pd.Series({"a": 6, "b": 2, "c": 1}), pd.Series({"a": 1e3, "b": 1e3, "c": 1e3})
    assert hand_poisson_sf(6, 3.0) == pytest.approx(0.0839, abs=1e-4)
    loose = index_settings({"hotspots": {"method": "poisson", "poisson_alpha": 0.2}})
    assert hotspots(v, base=base, settings=loose)["hot"].tolist() == [True, False, False]
    assert hotspots(v, base=base, method="poisson")["hot"].tolist() == [False, False, False]


def test_memo_tells_different_weights_apart():
    # the same codes and values on two different neighbourhood structures: a 3 x 3 grid and a line
    g = grid(3)
    line = gpd.GeoDataFrame({"lsoa_code": g["lsoa_code"]}, geometry=[box(i, 0, i + 1, 1) for i in range(9)],
                            crs="EPSG:27700")
    values = pd.Series([9.0, 8, 0, 7, 0, 0, 0, 0, 1], index=g["lsoa_code"])
    on_grid = gi_star(values, contiguity_weights(g), inference="analytical")["gi_z"]
    on_line = gi_star(values, contiguity_weights(line), inference="analytical")["gi_z"]
    assert on_line.to_numpy() == pytest.approx(gi_star_z(values.to_numpy(), star_weights(contiguity_weights(line), "B")))
    assert not np.allclose(on_grid, on_line)


def test_index_settings_read_a_keys_and_getitem_section():
    class Section:  # not a Mapping, but keys() + [] (like a config section object)
        def __init__(self, **values):
            self._values = values

        def keys(self):
            return self._values.keys()

        def __getitem__(self, key):
            return self._values[key]

    s = index_settings({"hotspots": Section(permutations=99)})
    assert s["hotspots"]["permutations"] == 99 and s["hotspots"]["seed"] == 12345 and "_values" not in s["hotspots"]


def test_weights_duplicates_libpysal_cache_and_an_island_listed_first():
    g = grid(3)
    dup = pd.concat([g, g.iloc[[4]]], ignore_index=True)
    with pytest.raises(DataValidationError) as err:
        contiguity_weights(dup)
    assert [(p.file, p.column, p.reason) for p in err.value.problems] == [
        ("geography", "lsoa_code", "duplicate LSOA code 'L0101'")]
    w = contiguity_weights(g)
    assert w.to_libpysal() is w.to_libpysal()  # cached
    # an island first in the table is joined to its nearest LSOA (L0000, the closest corner cell)
    island = gpd.GeoDataFrame({"lsoa_code": ["ISLAND"]}, geometry=[box(-3, -3, -2, -2)], crs="EPSG:27700")
    joined = contiguity_weights(pd.concat([island, g], ignore_index=True), islands="nearest")
    assert joined.cardinalities.tolist()[:2] == [1, 4]  # L0000: its 3 queen neighbours + the island
    assert joined.adjacency.shape == (10, 10)


# ------------------------------------------------------------------ session-8 mutation survivors
def test_bins_accept_a_missing_p_value_as_not_significant():
    # a p-value given as None (a plain list) is NaN, i.e. bin 0, like a missing z
    assert confidence_bins([2.5, 2.5, -2.0], [0.004, None, 0.03]).tolist() == [3, 0, -2]


def test_hotspots_pass_the_configured_levels_on():
    w = contiguity_weights(grid(10))
    values = planted_values()
    two = index_settings({"hotspots": {"inference": "analytical", "levels": [0.95, 0.99]}})
    res = hotspots(values, weights=w, settings=two)
    # with two levels the strongest bin is 2 (99 %), not the default levels' 3
    expected = gi_star(values, w, inference="analytical", levels=(0.95, 0.99))
    assert res["bin"].equals(expected["bin"]) and res["bin"].max() == 2 and res.loc["L0202", "bin"] == 2
    assert res["hot"].equals(expected["hot"]) and res.loc["L0202", "hot"]


def test_an_island_is_never_hot_under_the_normal_approximation_either():
    # kept as an island, its only "neighbourhood" is itself: z = (50 - mean) / sd is huge, but an
    # LSOA with no neighbour has no hot-spot verdict (p = 1, bin 0)
    g = grid(4, extra_island=True)
    values = pd.Series(1.0, index=g["lsoa_code"])
    values["ISLAND"] = 50.0
    res = gi_star(values, contiguity_weights(g, islands="keep"), inference="analytical")
    assert res.loc["ISLAND", "gi_z"] > 3
    assert res.loc["ISLAND", "p_value"] == 1.0 and res.loc["ISLAND", "bin"] == 0 and not res.loc["ISLAND", "hot"]


def test_method_sentences_for_poisson_and_for_settings_without_permutations():
    from sna_lib.index.hotspots.settings import hotspot_method

    assert hotspot_method({"hotspots": {"method": "poisson", "confidence": 0.95}}) == (
        "Poisson probability against the population, upper tail p ≤ 0.05")
    assert hotspot_method({"hotspots": {"method": "poisson", "confidence": 0.95, "poisson_alpha": 0.01}}) == (
        "Poisson probability against the population, upper tail p ≤ 0.01")
    # no permutations key: the normal approximation (no seed needed)
    assert hotspot_method({"hotspots": {"confidence": 0.9}}) == (
        "Getis–Ord Gi* at 90% confidence; normal approximation (as ArcGIS)")
