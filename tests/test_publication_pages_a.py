"""Published cells of the key-findings, wider-perspective, trends and data-quality pages (01, 02,
05, 11) against an independent computation on the demo county (plain pandas, scipy,
statsmodels), for the county and one CSP; and their small counts attacked across areas.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from conftest import STORE_RUN_CSP as CSP
from tests.test_publication_compute import _value

COUNTY = "county"


@pytest.fixture(scope="module")
def demo(demo_publication):
    return demo_publication


def _sv_frame(ds):
    """Every crime with its CSP (plain pandas merge), year, month and partnership-SV flag."""
    from sna_lib.measures.classify import qualifying_mask

    crimes = ds.crimes
    area = crimes["lsoa_code"].astype(str).map(dict(zip(ds.geography["lsoa_code"].astype(str),
                                                        ds.geography["area"].astype(str))))
    return pd.DataFrame({"crime_id": crimes["crime_id"].astype(str).to_numpy(), "area": area.to_numpy(),
                         "year": crimes["date"].dt.year.to_numpy(), "month": crimes["date"].dt.month.to_numpy(),
                         "sv": np.asarray(qualifying_mask(crimes, "partnership"), dtype=bool),
                         "domestic_abuse": crimes["domestic_abuse"].fillna(False).to_numpy(dtype=bool)})


def _in(frame, area):
    return frame if area == COUNTY else frame[frame["area"] == area]


def _independent_test(before_m, after_m, pop_before, pop_after):
    """The Tables A–E rule recomputed with scipy / statsmodels: exact binomial test below 50
    events or without overdispersion, else a quasi-Poisson GLM (Pearson X2 scale)."""
    import statsmodels.api as sm
    from scipy import stats

    b, a = int(before_m.sum()), int(after_m.sum())
    y = np.concatenate([before_m, after_m]).astype(float)
    exposure = np.array([pop_before] * 12 + [pop_after] * 12, dtype=float)
    after = np.array([0] * 12 + [1] * 12, dtype=float)
    phi = None
    if a and b:
        fit = sm.GLM(y, sm.add_constant(after), family=sm.families.Poisson(), offset=np.log(exposure)).fit(scale="X2")
        phi = float(fit.scale)
    if phi is None or a + b < 50 or phi <= 1:
        p = stats.binomtest(a, a + b, pop_after / (pop_before + pop_after)).pvalue if a + b else 1.0
        return float(min(1.0, p)), False, phi
    return float(fit.pvalues[1]), True, phi


@pytest.mark.parametrize("area", [COUNTY, CSP])
def test_year_on_year_matches_scipy_and_statsmodels(demo, area):
    ds, cells, _, prov = demo
    year = ds.config.reporting_year
    f = _in(_sv_frame(ds), area)
    f = f[f["sv"]]
    months = [f[f["year"] == y].groupby("month").size().reindex(range(1, 13), fill_value=0).to_numpy()
              for y in (year - 1, year)]
    pop = ds.population.merge(ds.geography[["lsoa_code", "area"]], on="lsoa_code")
    pop = pop if area == COUNTY else pop[pop["area"] == area]
    by_year = pop.groupby("year")["population"].sum()
    near = {y: float(by_year.iloc[int(np.argmin(np.abs(by_year.index.to_numpy() - y)))]) for y in (year - 1, year)}
    p, quasi, phi = _independent_test(months[0], months[1], near[year - 1], near[year])
    row = "partnership"
    assert _value(cells, "sv.year_on_year", area, row, "before") == months[0].sum()
    assert _value(cells, "sv.year_on_year", area, row, "after") == months[1].sum()
    assert _value(cells, "sv.year_on_year", area, row, "p_value") == pytest.approx(p, rel=1e-6)
    assert _value(cells, "sv.year_on_year", area, row, "quasi_poisson") == float(quasi)
    assert _value(cells, "sv.year_on_year", area, row, "significant") == float(p < 0.05)
    if months[0].sum():
        assert _value(cells, "sv.year_on_year", area, row, "pct_change") == pytest.approx(
            100 * (months[1].sum() - months[0].sum()) / months[0].sum())
    if phi is not None:
        assert _value(cells, "sv.year_on_year", area, row, "dispersion") == pytest.approx(phi, rel=1e-6)
    assert prov["text"]["sv.year_on_year"]["before_period"] == str(year - 1)


def test_year_on_year_uses_quasi_poisson_on_overdispersed_months():
    """A planted volatile monthly series (60/140/100 …, 1,200 offences a year): quasi-Poisson, and
    the change that the exact test calls significant is not."""
    import statsmodels.api as sm

    from sna_lib.publication.cells import CellBuilder
    from sna_lib.publication.tables.trends import add_year_on_year_cells
    from types import SimpleNamespace as NS

    before, after = np.array([60, 140, 100] * 4), np.array([50, 130, 96] * 4)
    dates = [pd.Timestamp(2022, m, 15) for m in range(1, 13) for _ in range(before[m - 1])]
    dates += [pd.Timestamp(2023, m, 15) for m in range(1, 13) for _ in range(after[m - 1])]
    crimes = pd.DataFrame({"area": "North", "date": pd.to_datetime(dates), "sv": True})
    crimes["year"] = crimes["date"].dt.year
    b = CellBuilder()
    annual = NS(ids={}, id=lambda a, y, d: annual.ids[(a, str(y), d)])
    for a in ("county", "North"):
        for y, n in ((2022, before.sum()), (2023, after.sum())):
            annual.ids[(a, str(y), "partnership")] = b.count(table="sv.annual", area=a, row=y, column="partnership",
                                                              value=int(n))
    prep = NS(year=2023, primary="partnership", crimes=crimes, areas=["county", "North"])
    ds = NS(population=pd.DataFrame({"lsoa_code": ["L1", "L1"], "year": [2022, 2023], "population": [1000, 1000]}),
            geography=pd.DataFrame({"lsoa_code": ["L1"], "area": ["North"]}))
    add_year_on_year_cells(b, prep, ds, annual, {})
    cells, _ = b.frame()
    y = np.concatenate([before, after]).astype(float)
    fit = sm.GLM(y, sm.add_constant(np.r_[np.zeros(12), np.ones(12)]), family=sm.families.Poisson()).fit(scale="X2")
    for area in ("county", "North"):
        assert _value(cells, "sv.year_on_year", area, "partnership", "quasi_poisson") == 1.0
        assert _value(cells, "sv.year_on_year", area, "partnership", "p_value") == pytest.approx(fit.pvalues[1], rel=1e-6)
        assert _value(cells, "sv.year_on_year", area, "partnership", "significant") == 0.0


@pytest.mark.parametrize("area", [COUNTY, CSP])
def test_domestic_abuse_link_uses_the_configured_window(demo, area):
    """Suspects of this year's SV in the area named in any role on a domestic-abuse crime anywhere
    in the county in the five years strictly before (config.people default), by hand."""
    ds, cells, _, prov = demo
    year = ds.config.reporting_year
    f = _sv_frame(ds)
    now = set(_in(f, area).query("sv and year == @year")["crime_id"])
    persons = ds.persons.astype({"crime_id": str, "person_id": str})
    suspects = set(persons[persons["crime_id"].isin(now) & (persons["role"] == "suspect")]["person_id"])
    da = set(f[f["domestic_abuse"] & (f["year"] >= year - 5) & (f["year"] <= year - 1)]["crime_id"])
    linked = suspects & set(persons[persons["crime_id"].isin(da)]["person_id"])
    assert _value(cells, "people.windows", area, "domestic_abuse", "count") == len(linked)
    assert _value(cells, "people.windows", area, "domestic_abuse", "of") == len(suspects)
    assert prov["text"]["people.windows"]["da_window"] == f"{year - 5}–{year - 1}"
    assert prov["text"]["people.lookback"]["previous_window"] == f"{year - 5}–{year - 1}"


@pytest.mark.parametrize("area", [COUNTY, CSP])
def test_wider_perspective_volumes_and_people_by_hand(demo, area):
    """Page 02's numbers (context volumes, people summary) against plain pandas."""
    ds, cells, _, _ = demo
    year = ds.config.reporting_year
    f = _in(_sv_frame(ds), area)
    f_year = f[f["year"] == year]
    assert _value(cells, "context.crime", area, "All crime", "volume") == len(f_year)
    assert _value(cells, "context.crime", area, "Serious violence (partnership)", "volume") == int(f_year["sv"].sum())
    assert _value(cells, "context.crime", area, "Domestic Abuse", "volume") == int(f_year["domestic_abuse"].sum())
    assert _value(cells, "context.crime", area, "Domestic Abuse", "pct_of_crime") == pytest.approx(
        100 * f_year["domestic_abuse"].sum() / len(f_year))
    persons = ds.persons.astype({"crime_id": str, "person_id": str})
    links = persons[persons["crime_id"].isin(set(f_year.loc[f_year["sv"], "crime_id"]))]
    links = links.drop_duplicates(["crime_id", "person_id", "role"])
    for role in ("suspect", "victim"):
        r = links[links["role"] == role]
        per = r.groupby("person_id").size()
        assert _value(cells, "people.summary", area, role, "records") == len(r)
        assert _value(cells, "people.summary", area, role, "people") == r["person_id"].nunique()
        assert _value(cells, "people.summary", area, role, "repeat_people") == int((per >= 2).sum())


def test_age_features_repeat_the_county_curve_on_csp_rows(demo):
    ds, cells, _, prov = demo
    f = cells[cells["table"] == "people.age_features"]
    county = f[f["area"] == COUNTY].set_index(["row", "column"])["value"]
    csp = f[f["area"] == CSP].set_index(["row", "column"])["value"]
    pd.testing.assert_series_equal(county, csp, check_names=False)
    assert prov["text"]["people.age_features"]["basis"] == {a: ("" if a == COUNTY else "county")
                                                            for a in [COUNTY, *ds.config.csps]}
    # each feature follows every single-year county count of its role
    singles = set(cells[(cells["table"] == "people.age") & (cells["area"] == COUNTY)
                        & (cells["column"] == "suspect")]["cell_id"])
    row = f[(f["area"] == CSP) & (f["row"] == "suspect") & (f["column"] == "peak")].iloc[0]
    assert set(row["derives_from"]) == singles


def test_age_features_on_a_planted_curve():
    """The reference SNA's curve shape (incline 12, peak 15, dip 16, rise 17, plateau ~23) planted
    as county single-year counts; a hidden single year hides every feature."""
    from types import SimpleNamespace as NS

    from sna_lib.publication.cells import CellBuilder
    from sna_lib.publication.control import primary_only
    from sna_lib.publication.tables.age_features import add_age_feature_cells

    n = [1, 1, 2, 3, 6, 25, 55, 90, 70, 85, 88, 75, 60, 50, 44, 41, 40,
         39, 39, 38, 38, 37, 37, 36, 36, 35, 35, 34, 34, 33, 33, 32, 32]
    b = CellBuilder()
    for age, v in zip(range(8, 41), n):
        b.count(table="people.age", area="county", row=age, column="suspect", value=v)
        b.count(table="people.age", area="North", row=age, column="suspect", value=min(v, 3))  # CSP: ignored
    add_age_feature_cells(b, NS(areas=["county", "North"]), {}, roles=("suspect",))
    cells, _ = b.frame()
    for area in ("county", "North"):
        assert _value(cells, "people.age_features", area, "suspect", "incline_start") == 12
        assert _value(cells, "people.age_features", area, "suspect", "peak") == 15
        assert _value(cells, "people.age_features", area, "suspect", "plateau_start") == 23
        assert math.isnan(_value(cells, "people.age_features", area, "suspect", "dip"))  # 1.4 SE: no dip at z 1.96
    # a county single year forced hidden: every feature follows it
    cells.loc[(cells["table"] == "people.age") & (cells["area"] == "county") & (cells["row"] == "8"), "level"] = "csp"
    out = primary_only(cells)
    feats = out[out["table"] == "people.age_features"]
    assert not feats["published"].any()


def test_data_quality_counts_records_read_from_the_files(demo_dir, tmp_path):
    """Read counts = rows of each file (pyarrow), and a planted bad record is counted as rejected
    with its reason, read = used + rejected."""
    import shutil

    import pyarrow.parquet as pq
    import yaml

    from sna_lib.data.dataset import load_dataset
    from sna_lib.publication.compute import publication_cells

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    crimes = pd.read_parquet(data / "crimes.parquet")
    old = crimes.loc[crimes.index[0], "date"]
    crimes.loc[crimes.index[0], "date"] = type(old)(1990, 1, 1)  # outside the data period
    crimes.to_parquet(data / "crimes.parquet", index=False)
    cfg = yaml.safe_load((data / "config.yaml").read_text())
    cfg["validation"] = {"on_error": "reject"}
    (data / "config.yaml").write_text(yaml.safe_dump(cfg))
    ds = load_dataset(data)
    cells, _, prov = publication_cells(ds)
    q = cells[cells["table"] == "data.quality"].set_index(["row", "column"])["value"]
    for path in sorted(data.glob("*.parquet")):
        assert q[(path.name, "read")] == pq.ParquetFile(path).metadata.num_rows, path.name
        assert q[(path.name, "read")] == q[(path.name, "used")] + q[(path.name, "rejected")]
    assert q[("crimes.parquet", "rejected")] == 1
    assert q[("all files", "read")] == sum(pq.ParquetFile(p).metadata.num_rows for p in data.glob("*.parquet"))
    reasons = cells[cells["table"] == "data.quality_reasons"]
    assert reasons["value"].tolist() == [1.0]
    assert prov["text"]["data.quality_reasons"][COUNTY][reasons["row"].iloc[0]]["file"] == "crimes.parquet"


def test_harm_fallback_codes_are_the_codes_the_workbook_lacks(demo_dir, tmp_path):
    """With the official CCHI workbook configured (shared data; skips when absent) the fallback
    codes are the contract codes that no workbook row maps to (mapping by hand here)."""
    import shutil

    import yaml

    from tests.conftest import shared_dir

    books = sorted((shared_dir() / "data" / "cchi").glob("*.xlsx")) if (shared_dir() / "data" / "cchi").is_dir() else []
    if not books:
        pytest.skip("official CCHI workbook not present (set SNA_SHARED_DIR)")
    from sna_lib.data.dataset import load_dataset
    from sna_lib.measures.cchi import read_workbook
    from sna_lib.publication.compute import publication_cells
    from sna_lib.reference import offences

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    cfg = yaml.safe_load((data / "config.yaml").read_text())
    cfg.setdefault("harm", {})["cchi_workbook"] = str(books[0])
    (data / "config.yaml").write_text(yaml.safe_dump(cfg))
    cells, _, prov = publication_cells(load_dataset(data))
    # the codes no workbook row maps to: some the issue lists by hand, and exactly the rows kept at the estimate
    mapped = set(read_workbook(books[0])["offence_code"].dropna().astype(str))
    got = prov["text"]["harm.weights"][COUNTY]
    assert got["workbook"] is True
    assert {"4.2", "4.6", "4.10", "12", "15", "60", "72", "88D", "90"} <= set(got["fallback_codes"])
    assert not set(got["fallback_codes"]) & mapped
    expected = sorted(c for c in offences()["offence_code"].astype(str) if c not in mapped
                      and not _successor_mapped(c, mapped))
    assert got["fallback_codes"] == expected
    assert _value(cells, "harm.weights", COUNTY, "fallback", "codes") == len(expected)


def _successor_mapped(code, mapped):
    """Legacy codes ("legacy code, now 28E") are valued as their successor."""
    import re

    from sna_lib.reference import offences

    t = offences().set_index("offence_code")
    title = str(t.loc[code, "offence_title"])
    m = re.search(r"now (\w+)\)", title)
    legacy = "code_status" not in t or str(t.loc[code, "code_status"]) == "legacy"
    return bool(m and legacy and m.group(1) in mapped)


def test_no_undeclared_numbers_in_the_new_tables(demo):
    """Every cell of the new tables is a count, a derived value with its inputs, or exempt with a reason."""
    _, cells, _, _ = demo
    new = cells[cells["table"].isin(["sv.year_on_year", "people.age_features", "data.quality",
                                     "data.quality_reasons", "harm.weights"])]
    assert len(new)
    derived = new[new["kind"] == "derived"]
    assert derived["derives_from"].map(len).gt(0).all()
    exempt = new[new["kind"] == "exempt"]
    assert exempt["reason"].str.strip().ne("").all()
    assert Counter(new["kind"]) .keys() <= {"count", "derived", "exempt"}


@pytest.fixture(scope="module")
def controlled(demo_controlled):
    return demo_controlled


def test_small_year_on_year_counts_are_not_recoverable_across_areas(demo, controlled):
    """A CSP's small year-on-year count (1–7) is withheld, its % change and test with it, and the
    interval attacker (county total − the other CSPs, sv.annual, all relations) cannot narrow it."""
    from sna_lib.publication.attack import attack

    ds, cells, _, _ = demo
    out, relations, rules = controlled
    yoy = out[(out["table"] == "sv.year_on_year") & (out["level"] == "csp")]
    small = yoy[(yoy["kind"] == "count") & yoy["value"].between(rules.suppress_min, rules.suppress_max)]
    assert len(small), "the demo has small CSP year-on-year counts"
    assert not small["published"].any()
    for cid in small["cell_id"]:
        followers = yoy[yoy["derives_from"].map(lambda d, c=cid: c in d)]
        assert not followers["published"].any()
    # county − other CSPs: the county's counts are published, so the CSP sum is known
    county = out[(out["table"] == "sv.year_on_year") & (out["area"] == COUNTY) & (out["kind"] == "count")]
    assert county["published"].all()
    result = attack(out, relations, rules, judge=list(small["cell_id"]))
    judged = result[result["cell_id"].isin(small["cell_id"])]
    assert len(judged) == len(small) and judged["safe"].all(), judged
    assert (judged["lo"] <= rules.suppress_min).all() and (judged["hi"] >= rules.suppress_max).all()


# --------------------------------------------------------------------------- pages, executed


#: The county's pages as the session's county book ran them (group "book"); the CSP's run in a
#: folder with the store and no records (group "store_runs").
AREAS = [pytest.param(COUNTY, marks=pytest.mark.xdist_group("book"), id=COUNTY),
         pytest.param(CSP, marks=pytest.mark.xdist_group("store_runs"), id=CSP)]


@pytest.fixture
def page_runs(request, area):
    """Executed pages of ``area``: ``{(name, area): notebook, ("downloads", area): folder}``."""
    return request.getfixturevalue("county_runs" if area == COUNTY else "store_runs")


@pytest.mark.parametrize("area", AREAS)
def test_key_findings_prose_is_the_published_cells(page_runs, store_only_dir, demo_dir, area):
    """Every number glued on page 01 is a published cell's text; the change words follow the
    published p-value; the place figures are the county's on every book."""
    from sna_lib.book.published_prose import change_words
    from sna_lib.publication.store import PublishedStore
    from tests.test_notebooks import _glued

    store = PublishedStore(store_only_dir / "published")
    glued = _glued(page_runs[("01_key_findings", area)])
    primary = store.provenance["text"]["sv.year_on_year"]["row"]
    assert glued["kf_sv_offences"] == store.text("context.crime", area, "Serious violence (partnership)", "volume")
    assert glued["kf_sv_before"] == store.text("sv.year_on_year", area, primary, "before")
    assert (glued["kf_sv_change"], glued["kf_sv_change_sig"]) == change_words(
        *(store.value("sv.year_on_year", area, primary, c) for c in ("pct_change", "p_value", "significant")))
    prose = " ".join(c.source for c in page_runs[("01_key_findings", area)].cells if c.cell_type == "markdown")
    assert "quasi-Poisson" in prose and "Tables A–E" in prose and "monthly counts" in prose
    assert glued["kf_deprivation_ratio"] == store.text("risk.people_in_areas", COUNTY,
                                                       "above_average_deprivation", "ratio")
    year = store.provenance["reporting_year"]
    assert glued["kf_da_window"] == f"{year - 5}–{year - 1}"
    if area == COUNTY:  # the county's own year-on-year numbers are published: check them by hand
        from sna_lib.data.dataset import load_dataset

        f = _sv_frame(load_dataset(demo_dir))
        assert glued["kf_sv_before"] == f"{int((f['sv'] & (f['year'] == year - 1)).sum()):,}"


@pytest.mark.parametrize("area", AREAS)
def test_other_pages_run_from_the_store_and_withhold_small_counts(page_runs, demo_dir, area):
    """02, 05 and 11 run with no records; a CSP page shows the marker where the store withholds,
    never a small count; 11 shows read = used + rejected for every file."""
    from tests.test_notebooks import _glued, _output_text

    text = _output_text(page_runs[("02_wider_perspective", area)])
    assert "Serious violence in the context of all crime" in text
    quality = _glued(page_runs[("11_data_quality", area)])
    assert quality["dq_read"] == quality["dq_used"] or quality["dq_rejected"] != "0"
    assert "No official Cambridge Crime Harm Index workbook is configured" in _output_text(
        page_runs[("11_data_quality", area)])
    downloads = sorted(page_runs[("downloads", area)].glob("data-quality*.csv"))
    assert downloads, "11 writes its table's CSV"
    table = pd.read_csv(downloads[0], dtype=str)
    for r in table.itertuples(index=False):
        read, used, rejected = (int(str(v).replace(",", "")) for v in (r.Read, r.Used, r.Rejected))
        assert read == used + rejected, r
    trend = sorted(page_runs[("downloads", area)].glob("sv-trend*.csv"))
    assert trend
    shown = pd.read_csv(trend[0], dtype=str).drop(columns="Year")
    for v in shown.to_numpy().ravel():
        if v != "[c]":
            n = int(str(v).replace(",", ""))
            assert area == COUNTY or not 1 <= n <= 7, f"small count {n} on the {area} trend"
