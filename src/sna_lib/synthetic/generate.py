"""Generate and write the synthetic demo county (``sna demo-data``)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml
from tqdm import tqdm

from sna_lib.errors import SnaError

from sna_lib.synthetic import aggregates
from sna_lib.synthetic.crime import build_crimes, crimes_table
from sna_lib.synthetic.geography import build_geography
from sna_lib.synthetic.latent import build_latent
from sna_lib.synthetic.layers import build_layers
from sna_lib.synthetic.persons import build_persons
from sna_lib.synthetic.population import build_census, build_population
from sna_lib.synthetic.profile import Scaled, load_profile
from sna_lib.synthetic.sampling import stream

TABLE_STEMS = ("geography", "population", "census_deprivation", "census_employment", "crimes",
               "persons", "asb", "fire", "ambulance", "hospital_admissions", "school_exclusions",
               "community_survey", "comparators")
FORMATS = ("parquet", "csv")


def _baselines(first_year: int) -> dict:
    """The reference SNA's baselines, moved to the first generated year when data start later
    (stress scale generates only the last few years of incident data).

    Examples
    --------
    >>> _baselines(2014)["homicide_financial_year"], _baselines(2021)["knife_sv_calendar_year"]
    ('2018/19', 2021)
    """
    knife, homicide_fy = 2020, 2018
    if first_year > homicide_fy:
        homicide_fy = first_year
    return {"knife_sv_calendar_year": max(knife, first_year),
            "homicide_financial_year": f"{homicide_fy}/{(homicide_fy + 1) % 100:02d}",
            "hospital_financial_year": "2018/19"}


def config_dict(profile: dict, scaled: Scaled) -> dict:
    """The ``config.yaml`` content for a generated county.

    Examples
    --------
    >>> c = config_dict(load_profile(), Scaled.from_profile(load_profile(), 1))
    >>> c["synthetic"], len(c["csps"]), c["first_year"], c["reporting_year"]
    (True, 14, 2014, 2023)
    """
    return {
        "county": profile["county"],
        "synthetic": True,
        "csps": [c["name"] for c in profile["csps"]],
        "reporting_year": int(profile["reporting_year"]),
        "first_year": int(scaled.years[0]),
        "rolling_end": dt.date.fromisoformat(str(profile["rolling_end"])),
        "baselines": _baselines(scaled.years[0]),
        "definitions": ["partnership", "home_office"],
        "disclosure": {"suppress_min": 1, "suppress_max": 7, "rounding": "none"},
        "hotspots": {"method": "gistar", "confidence": 0.95, "seed": 12345},
        "risk_index": {"top_share": 0.05},
        "disorganisation_weights": {"asb": 1, "deliberate_fire": 2,
                                    "arson_not_endangering_life": 3, "arson_endangering_life": 5},
    }


def _write_table(table: pa.Table, path: Path, fmt: str) -> Path:
    if fmt == "parquet":
        out = path.with_suffix(".parquet")
        pq.write_table(table, out, compression="zstd")
    else:
        out = path.with_suffix(".csv")
        pacsv.write_csv(table, out, pacsv.WriteOptions(quoting_style="needed"))
    return out


def _write_geography(frame, path: Path, fmt: str) -> Path:
    if fmt == "parquet":
        out = path.with_suffix(".parquet")
        frame.to_parquet(out, compression="zstd", index=False)
    else:
        out = path.with_suffix(".geojson")
        frame.to_file(out, driver="GeoJSON", engine="pyogrio")
    return out


def _clear_previous(out_dir: Path) -> None:
    """Remove an earlier *synthetic* county's tables so one stem never exists in two formats.

    Refuses (``SnaError``) to touch a folder holding contract tables whose ``config.yaml`` is
    missing or not marked ``synthetic: true``: that may be a partnership's real data.
    """
    existing = [out_dir / f"{stem}{ext}" for stem in TABLE_STEMS
                for ext in (".parquet", ".csv", ".geojson", ".gpkg")
                if (out_dir / f"{stem}{ext}").exists()]
    if not existing:
        return
    config = out_dir / "config.yaml"
    try:
        synthetic = bool(yaml.safe_load(config.read_text(encoding="utf-8")).get("synthetic"))
    except (OSError, yaml.YAMLError, AttributeError):
        synthetic = False
    if not synthetic:
        raise SnaError(f"{out_dir} already holds data tables (e.g. {existing[0].name}) that are not a "
                       "synthetic demo county; choose an empty folder for --out")
    for path in existing:
        path.unlink()


def generate_demo(out_dir, *, seed: int = 2024, scale: float = 1.0, fmt: str = "parquet",
                  progress: bool = False, profile: dict | None = None) -> Path:
    """Write the deterministic synthetic demo county into ``out_dir``.

    Parameters
    ----------
    out_dir : path-like
        Folder to write (created if missing). Tables of an earlier synthetic county in it are
        replaced; a folder with other (possibly real) data tables is refused with ``SnaError``.
    seed : int
        Random seed; the same seed, scale and format give byte-identical files.
    scale : float
        Volume multiplier: 1 = Essex-sized (~1,100 LSOAs, ~157,000 crimes a year), 0.05 = test
        size (>= 60 LSOAs, all 14 CSPs), 30 = national stress size. Above the profile's
        ``stress_scale`` only the last ``stress_years`` years of incident data are generated
        (``config.yaml`` ``first_year`` says so).
    fmt : {"parquet", "csv"}
        Table format; geography is GeoParquet (parquet) or GeoJSON (csv).
    progress : bool
        Show a progress bar on stderr.
    profile : dict, optional
        A generation profile (defaults to the packaged ``profile.yaml``).

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Examples
    --------
    >>> import tempfile, yaml
    >>> d = generate_demo(tempfile.mkdtemp(), seed=1, scale=0.05)  # doctest: +SKIP
    >>> yaml.safe_load((d / "config.yaml").read_text())["synthetic"]  # doctest: +SKIP
    True
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    profile = profile or load_profile()
    scaled = Scaled.from_profile(profile, scale)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_previous(out_dir)
    steps = ["geography", "latent risk", "population", "census", "crimes", "persons", "layers",
             "aggregates", "config"]
    bar = tqdm(total=len(steps), desc="demo county", file=sys.stderr, disable=not progress,
               unit="step")

    def step(name: str) -> None:
        bar.set_postfix_str(name)

    step("geography")
    geo = build_geography(stream(seed, "geography"), profile, scaled)
    lsoa_codes = geo.frame["lsoa_code"].to_numpy().astype(str)
    _write_geography(geo.frame, out_dir / "geography", fmt)
    bar.update()

    step("latent risk")
    latent = build_latent(stream(seed, "latent"), profile, scaled, geo)
    bar.update()

    step("population")
    population, pop_totals = build_population(stream(seed, "population"), profile, geo, scaled.years)
    _write_table(pa.table({
        "lsoa_code": pa.array(lsoa_codes).take(pa.array(population["lsoa_code"].cat.codes.to_numpy())),
        "year": pa.array(population["year"].to_numpy(), type=pa.int16()),
        "age": pa.array(population["age"].to_numpy(), type=pa.int16()),
        "population": pa.array(population["population"].to_numpy(), type=pa.int32()),
    }), out_dir / "population", fmt)
    bar.update()

    step("census")
    deprivation, employment = build_census(stream(seed, "census"), profile, geo, latent, population)
    del population
    _write_table(pa.Table.from_pandas(deprivation, preserve_index=False), out_dir / "census_deprivation", fmt)
    _write_table(pa.Table.from_pandas(employment, preserve_index=False), out_dir / "census_employment", fmt)
    bar.update()

    step("crimes")
    crimes = build_crimes(stream(seed, "crimes"), profile, geo, latent, pop_totals, scaled.years, scale)
    bar.update()

    step("persons")
    persons, _ = build_persons(stream(seed, "persons"), profile, geo, latent, pop_totals, crimes)
    # persons moves domestic-abuse dwelling crimes to the victim's home: write crimes after it
    _write_table(crimes_table(crimes, lsoa_codes), out_dir / "crimes", fmt)
    _write_table(persons, out_dir / "persons", fmt)
    del persons
    bar.update()

    step("layers")
    for name, table in build_layers(stream(seed, "layers"), profile, geo, latent, pop_totals, scale).items():
        _write_table(table, out_dir / name, fmt)
    bar.update()

    step("aggregates")
    rng = stream(seed, "aggregates")
    _write_table(aggregates.hospital_admissions(rng, profile, scale), out_dir / "hospital_admissions", fmt)
    _write_table(aggregates.school_exclusions(rng, profile, scale), out_dir / "school_exclusions", fmt)
    _write_table(aggregates.community_survey(rng, profile, geo.csp_names, scale), out_dir / "community_survey", fmt)
    _write_table(aggregates.comparators(profile, profile["county"], crimes, pop_totals, scaled.years),
                 out_dir / "comparators", fmt)
    bar.update()

    step("config")
    header = (f"# Synthetic demo county generated by sna_lib.synthetic (seed={seed}, scale={scale:g}).\n"
              "# Entirely fictional: no real people, places or crimes.\n")
    (out_dir / "config.yaml").write_text(
        header + yaml.safe_dump(config_dict(profile, scaled), sort_keys=False, allow_unicode=True),
        encoding="utf-8")
    bar.update()
    bar.close()
    return out_dir
