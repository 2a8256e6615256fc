"""Benchmark the place / risk-index statistics at county and national scale.

Two sources:

``--lsoas N`` (default 33,000)
    a synthetic *brick lattice* of N polygons (6 queen neighbours each, like real LSOAs)
    with spatially smooth Poisson layers. Times the statistical core: queen weights, Gi*
    (999 permutations, fewer, analytical), Poisson hot spots, a full factor set (6 layers +
    5 yearly DA layers), persistence, emerging categories, the risk index, and the NB GLM with
    Moran's I.
``--data DIR``
    a contract data folder (e.g. ``sna demo-data --scale 30``): times ``load_dataset``,
    ``build_factor_layers``, ``risk_index``, ``place_statements`` and ``sv_regression`` on it.

Usage::

    python benchmarks/index_benchmark.py --lsoas 1100 --lsoas 33000
    python benchmarks/index_benchmark.py --data build/demo-data

Timings are wall-clock seconds on this machine; nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import contextmanager

import numpy as np
import pandas as pd

TIMES: dict[str, float] = {}


@contextmanager
def timed(label: str):
    start = time.perf_counter()
    yield
    TIMES[label] = time.perf_counter() - start
    print(f"  {label:<48} {TIMES[label]:8.2f} s", flush=True)


def brick_lattice(n: int):
    """About ``n`` unit bricks in offset rows (each touches 6 others), codes ``B000000…``."""
    import geopandas as gpd
    from shapely import box

    side = int(np.ceil(np.sqrt(n)))
    cells, codes = [], []
    for r in range(side):
        offset = 0.5 * (r % 2)
        for c in range(side):
            if len(cells) == n:
                break
            cells.append(box(c + offset, r, c + offset + 1, r + 1))
            codes.append(f"B{len(codes):06d}")
    return gpd.GeoDataFrame({"lsoa_code": codes}, geometry=cells, crs="EPSG:27700")


def smooth_field(geo, rng, bumps: int = 40) -> np.ndarray:
    xy = np.column_stack([geo.geometry.centroid.x, geo.geometry.centroid.y])
    span = xy.max(axis=0) - xy.min(axis=0)
    centres = xy.min(axis=0) + rng.random((bumps, 2)) * span
    width = span.mean() / 25
    field = np.zeros(len(xy))
    for c in centres:
        field += np.exp(-((xy - c) ** 2).sum(axis=1) / (2 * width**2))
    return field / field.max()


def lattice_benchmark(n: int, permutations: int, seed: int) -> dict:
    from sna_lib.index.emerging import emerging_hotspots
    from sna_lib.index.hotspots import contiguity_weights, gi_star, index_settings, poisson_hotspots
    from sna_lib.index.persistence import persistence
    from sna_lib.index.regression import sv_regression
    from sna_lib.index.risk_index import risk_index

    TIMES.clear()
    print(f"\nbrick lattice, {n:,} LSOAs, {permutations} permutations")
    rng = np.random.default_rng(seed)
    with timed("build lattice polygons"):
        geo = brick_lattice(n)
    with timed("queen weights (first build)"):
        w = contiguity_weights(geo)
    with timed("queen weights (cached)"):
        contiguity_weights(geo)
    print(f"  mean neighbours {w.cardinalities.mean():.2f}, islands {len(w.islands)}")
    risk = smooth_field(geo, rng)
    pop = pd.Series(rng.integers(1200, 2200, n).astype(float), index=w.ids)

    def counts(scale):
        return pd.Series(rng.poisson(scale * pop.to_numpy() / 1500 * np.exp(2.5 * risk)), index=w.ids)

    layer_counts = {name: counts(s) for name, s in (
        ("sv_suspect_homes", 0.05), ("sv_offences", 0.1), ("disorganisation", 2.0),
        ("class_a_possession_homes", 0.04), ("class_a_supply_homes", 0.04))}
    da_years = {y: counts(0.3) for y in range(2019, 2024)}
    settings = index_settings({"hotspots": {"permutations": permutations, "seed": seed}})
    hs = settings["hotspots"]

    with timed(f"Gi* one layer, {permutations} permutations"):
        gi_star(layer_counts["sv_offences"], w, permutations=permutations, seed=seed)
    with timed("Gi* one layer, 99 permutations"):
        gi_star(layer_counts["sv_offences"], w, permutations=99, seed=seed)
    with timed("Gi* one layer, analytical"):
        gi_star(layer_counts["sv_offences"], w, inference="analytical")
    with timed("Poisson one layer"):
        poisson_hotspots(layer_counts["sv_offences"], pop)

    with timed(f"factor set: 5 Gi* + 5 DA-year Gi* + Poisson ({permutations} perms)"):
        layers = pd.DataFrame(index=w.ids)
        for name, values in layer_counts.items():
            res = gi_star(values, w, permutations=permutations, seed=hs["seed"])
            layers[name] = values
            layers[f"{name}_bin"] = res["bin"]
            layers[f"{name}_hot"] = res["hot"]
        yearly = {y: gi_star(v, w, permutations=permutations, seed=hs["seed"]) for y, v in da_years.items()}
        unemp = poisson_hotspots(counts(20.0), pop * 0.8)
        layers["unemployment_bin"] = unemp["bin"]
        layers["unemployment_hot"] = unemp["hot"]
    with timed("persistence (5 years)"):
        hot = pd.DataFrame({y: r["hot"] for y, r in yearly.items()})
        pers = persistence(hot, window=5)
    with timed("emerging categories (Mann-Kendall where needed)"):
        emerging = emerging_hotspots(pd.DataFrame({y: r["gi_z"] for y, r in yearly.items()}),
                                     pd.DataFrame({y: r["bin"] for y, r in yearly.items()}))
    layers["da_victim_homes_years_hot"] = pers["years_hot"]
    share = pd.Series(np.clip(0.1 + 0.3 * risk + rng.normal(0, 0.05, n), 0, 1), index=w.ids)
    layers["deprivation_share"] = share
    layers["deprivation_high"] = share > 0.25
    layers["area"] = [f"CSP{i % 300:03d}" for i in range(n)]
    layers["population"] = pop
    with timed("risk index (county + per CSP top 5%)"):
        index = risk_index(layers, settings)
    with timed("NB GLM + Moran's I of residuals (999 perms)"):
        model = sv_regression(layers, settings, weights=w)
    total = sum(v for k, v in TIMES.items() if not k.startswith(("build lattice", "Gi* one", "Poisson one",
                                                                  "queen weights (cached)")))
    print(f"  {'TOTAL index pipeline (weights → GLM)':<48} {total:8.2f} s")
    print(f"  selected {index.attrs['selected']} of {n:,}; emerging: "
          f"{emerging['category'].astype(str).value_counts().head(4).to_dict()}; alpha {model.alpha:.2f}")
    return {"lsoas": n, "permutations": permutations, "times": dict(TIMES), "total": total}


def data_benchmark(data_dir: str) -> dict:
    from sna_lib.measures.classify import serious_violence_ids
    from sna_lib.data.dataset import load_dataset
    from sna_lib.index.factors import build_factor_layers
    from sna_lib.index.hotspots import contiguity_weights, index_settings
    from sna_lib.index.place import place_statements
    from sna_lib.index.regression import sv_regression
    from sna_lib.index.risk_index import risk_index

    TIMES.clear()
    print(f"\ndata folder {data_dir}")
    with timed("load_dataset(validate=False)"):
        ds = load_dataset(data_dir, validate=False)
    print(f"  {len(ds.geography):,} LSOAs, {len(ds.crimes):,} crimes, {len(ds.persons):,} person links")
    with timed("serious_violence_ids"):
        sv = serious_violence_ids(ds.crimes)
    settings = index_settings(ds.config)
    with timed("queen weights"):
        w = contiguity_weights(ds.geography)
    with timed("build_factor_layers"):
        layers = build_factor_layers(ds, sv_ids=sv, settings=settings, weights=w)
    with timed("risk_index"):
        index = risk_index(layers, settings)
    with timed("place_statements"):
        place_statements(ds, layers, sv_ids=sv, settings=settings, weights=w)
    with timed("sv_regression (+ Moran's I)"):
        sv_regression(layers, settings, weights=w)
    print(f"  selected {index.attrs['selected']} of {len(index):,}")
    return {"data": str(data_dir), "lsoas": len(ds.geography), "times": dict(TIMES)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lsoas", type=int, action="append", help="lattice size (repeatable; default 33000)")
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--data", help="benchmark a contract data folder instead of a lattice")
    parser.add_argument("--json", help="also write the timings as JSON here")
    args = parser.parse_args(argv)
    results = []
    if args.data:
        results.append(data_benchmark(args.data))
    else:
        for n in args.lsoas or [33000]:
            results.append(lattice_benchmark(n, args.permutations, args.seed))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
