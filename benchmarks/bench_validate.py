"""Time ``validate_dir`` and ``load_dataset(validate=False)`` on a full-scale-sized folder.

Builds (once, into ``--dir``) a contract-shaped folder with ~1.6M crimes, ~1.3M person rows
and ~1M population rows by tiling simple generated values over 1,000 square LSOAs. It does
not use ``sna_lib.synthetic`` so it can run while that module changes.

Usage: ``python benchmarks/bench_validate.py --dir /tmp/bench-data [--fmt parquet|csv] [--bad 0.001]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box


def build(out: Path, fmt: str, bad_share: float, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_lsoa, csps = 1000, [f"CSP {i}" for i in range(12)]
    lsoas = np.array([f"X01{i:06d}" for i in range(n_lsoa)])
    (out / "config.yaml").write_text(
        "county: Benchshire\nsynthetic: true\ncsps: [" + ", ".join(csps) + "]\n"
        "reporting_year: 2023\nfirst_year: 2014\nrolling_end: 2024-03-31\n", encoding="utf-8")
    gpd.GeoDataFrame({"lsoa_code": lsoas, "lsoa_name": [f"LSOA {i}" for i in range(n_lsoa)],
                      "area": [csps[i % 12] for i in range(n_lsoa)]},
                     geometry=[box(i % 40 * 500, i // 40 * 500, i % 40 * 500 + 500, i // 40 * 500 + 500)
                               for i in range(n_lsoa)], crs="EPSG:27700").to_parquet(out / "geography.parquet")

    def write(name: str, frame: pd.DataFrame) -> None:
        if fmt == "csv":
            frame.to_csv(out / f"{name}.csv", index=False)
        else:
            frame.to_parquet(out / f"{name}.parquet", index=False)

    years, ages = np.arange(2014, 2024), np.arange(0, 91)
    grid = pd.MultiIndex.from_product([lsoas, years, ages], names=["lsoa_code", "year", "age"]).to_frame(index=False)
    grid["population"] = rng.integers(0, 40, len(grid))
    write("population", grid)
    households = rng.integers(400, 900, n_lsoa)
    parts = rng.multinomial(1, [0.4, 0.3, 0.2, 0.07, 0.03], size=n_lsoa) * 0
    parts = np.stack([rng.multinomial(h, [0.4, 0.3, 0.2, 0.07, 0.03]) for h in households])
    write("census_deprivation", pd.DataFrame({"lsoa_code": lsoas, "households": households,
                                              **{f"deprived_{i}": parts[:, i] for i in range(5)}}))
    res = rng.integers(900, 1600, n_lsoa)
    ep = np.stack([rng.multinomial(r, [0.6, 0.1, 0.25, 0.05]) for r in res])
    write("census_employment", pd.DataFrame({
        "lsoa_code": lsoas, "residents_16_plus": res, "in_employment": ep[:, 0],
        "not_in_employment_worked_last_12_months": ep[:, 1],
        "not_in_employment_not_worked_last_12_months": ep[:, 2], "never_worked": ep[:, 3]}))
    n = 1_600_000
    from sna_lib.reference import offences

    codes = offences()["offence_code"].astype(str).to_numpy()
    dates = pd.Timestamp("2014-01-01") + pd.to_timedelta(rng.integers(0, 3742, n), unit="D")
    crimes = pd.DataFrame({
        "crime_id": np.char.add("C", np.arange(n).astype(str)), "date": dates,
        "offence_code": rng.choice(codes, n), "offence_description": "Some offence",
        "lsoa_code": rng.choice(lsoas, n),
        **{f: rng.random(n) < 0.05 for f in ("domestic_abuse", "knife", "firearm", "other_weapon",
                                             "county_lines", "gang")},
        "location_type": rng.choice(["dwelling", "public"], n),
    })
    n_bad = int(n * bad_share)
    if n_bad:
        crimes.loc[rng.choice(n, n_bad, replace=False), "offence_code"] = "ZZ9"
    write("crimes", crimes)
    m = 1_300_000
    persons = pd.DataFrame({
        "crime_id": crimes["crime_id"].to_numpy()[rng.integers(0, n, m)],
        "person_id": np.char.add("P", np.arange(m).astype(str)),
        "role": rng.choice(["suspect", "victim", "involved_party"], m),
        "age": pd.array(rng.integers(0, 100, m), dtype="Int64"),
        "sex": rng.choice(["M", "F", "U"], m), "home_lsoa": rng.choice(lsoas, m),
        "origin_area": rng.choice(csps, m),
    })
    write("persons", persons)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default="/tmp/bench-data")
    parser.add_argument("--fmt", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--bad", type=float, default=0.0, help="share of crimes given an unknown offence code")
    args = parser.parse_args()
    out = Path(args.dir)
    if not (out / "config.yaml").exists():
        t = time.perf_counter()
        build(out, args.fmt, args.bad)
        print(f"built in {time.perf_counter() - t:.1f} s")
    from sna_lib.data.dataset import load_dataset
    from sna_lib.data.validate import validate_dir

    t = time.perf_counter()
    report = validate_dir(out)
    print(f"validate_dir: {time.perf_counter() - t:.2f} s, ok={report.ok}, problems listed={len(report.problems)}")
    print(report.quality.to_frame()[["file", "read", "used", "rejected"]].to_string(index=False))
    t = time.perf_counter()
    ds = load_dataset(out, validate=False)
    print(f"load_dataset(validate=False): {time.perf_counter() - t:.2f} s ({len(ds.crimes):,} crimes)")


if __name__ == "__main__":
    main()
