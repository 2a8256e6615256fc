"""The publication stage's numbers against an independent method.

``publication_cells`` computes every area in one grouped pass; here each number is recomputed
for one area at a time with the analysis modules' own per-subset functions (a different code
path: filter the area's records, then count) or by hand with plain pandas.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sna_lib.publication.compute import AGE_BANDS, COUNTY, area_counts


@pytest.fixture(scope="module")
def demo(demo_publication):
    return demo_publication


def _value(cells, table, area, row, column):
    hit = cells[(cells["table"] == table) & (cells["area"] == area) & (cells["row"] == str(row))
                & (cells["column"] == column)]
    assert len(hit) == 1, (table, area, row, column)
    return float(hit["value"].iloc[0])


def _area_records(ds, area):
    """Crimes whose LSOA lies in ``area`` (all for the county) and the person links of those crimes."""
    if area == COUNTY:
        return ds.crimes, ds.persons
    lsoas = set(ds.geography.loc[ds.geography["area"] == area, "lsoa_code"].astype(str))
    crimes = ds.crimes[ds.crimes["lsoa_code"].astype(str).isin(lsoas).to_numpy(dtype=bool)]
    ids = set(crimes["crime_id"].astype(str))
    return crimes, ds.persons[ds.persons["crime_id"].astype(str).isin(ids).to_numpy(dtype=bool)]


def _areas(ds):
    """The county, the busiest CSP and the quietest one."""
    counts = ds.crimes["lsoa_code"].map(ds.lsoa_area()).value_counts()
    return [COUNTY, str(counts.index[0]), str(counts.index[-1])]


def test_people_counts_match_a_per_area_count(demo):
    from sna_lib.measures.classify import serious_violence_ids
    from sna_lib.measures.people import person_counts

    ds, cells, _, _ = demo
    year = ds.config.reporting_year
    for area in _areas(ds):
        crimes, persons = _area_records(ds, area)
        ids = serious_violence_ids(crimes, "partnership", year=year)
        for role in ("suspect", "victim"):
            pc = person_counts(persons, ids, role)
            assert _value(cells, "people.summary", area, role, "records") == pc.records
            assert _value(cells, "people.summary", area, role, "people") == pc.unique
            assert _value(cells, "people.summary", area, role, "repeat_records") == pc.records - pc.unique
            assert _value(cells, "people.summary", area, role, "repeat_people") == pc.repeat_people


def test_previous_involvement_looks_back_county_wide(demo):
    """A CSP's 'involved in the previous five years' counts earlier SV anywhere in the county
    (by hand: set of this year's people in the CSP ∩ set of people in the county's SV of the
    five years before, same role)."""
    from sna_lib.measures.classify import qualifying_mask

    ds, cells, _, _ = demo
    year = ds.config.reporting_year
    crimes = ds.crimes[qualifying_mask(ds.crimes, "partnership")]
    area_of = crimes["lsoa_code"].map(ds.lsoa_area())
    y = crimes["date"].dt.year
    local_differs = False
    for area in _areas(ds)[1:]:
        for role in ("suspect", "victim"):
            p = ds.persons[ds.persons["role"] == role]
            now = set(p.loc[p["crime_id"].isin(crimes.loc[(y == year) & (area_of == area), "crime_id"]), "person_id"])
            before = set(p.loc[p["crime_id"].isin(crimes.loc[(y >= year - 5) & (y < year), "crime_id"]), "person_id"])
            local = set(p.loc[p["crime_id"].isin(crimes.loc[(y >= year - 5) & (y < year) & (area_of == area),
                                                            "crime_id"]), "person_id"])
            assert _value(cells, "people.summary", area, role, "previous_five_years") == len(now & before)
            local_differs |= len(now & local) != len(now & before)
    assert local_differs, "the demo should have people seen before only in another CSP"


def test_age_and_origin_tables_match_the_per_area_functions(demo):
    from sna_lib.measures.classify import serious_violence_ids
    from sna_lib.measures.people import age_profile, origin_profile, share_under_age

    ds, cells, _, _ = demo
    year = ds.config.reporting_year
    for area in _areas(ds):
        crimes, persons = _area_records(ds, area)
        ids = serious_violence_ids(crimes, "partnership", year=year)
        for role in ("suspect", "victim"):
            u25 = share_under_age(persons, ids, 25, role)
            assert _value(cells, "people.age_summary", area, role, "under_25") == u25.count
            assert _value(cells, "people.age_summary", area, role, "known_age") == u25.of
            assert _value(cells, "people.age_summary", area, role, "aged_25_plus") == u25.of - u25.count
            prof = age_profile(persons, ids, role)
            for age, n in prof.counts.items():
                if area == COUNTY:
                    assert _value(cells, "people.age", area, int(age), role) == n
            for label, lo, hi in AGE_BANDS:
                want = int(prof.counts[(prof.counts.index >= lo) & (prof.counts.index <= hi)].sum())
                assert _value(cells, "people.age_band", area, label, role) == want
            assert _value(cells, "people.age_summary", area, role, "unknown_age") == prof.unknown
        origins = origin_profile(persons, ids, ds.config.csps)
        for _, r in origins.iterrows():
            assert _value(cells, "people.origins", area, f"area:{r['origin_area']}", "suspects") == r["people"]
        for place in ("in county", "outside county", "unknown"):
            want = int(origins.loc[origins["place"] == place, "people"].sum())
            assert _value(cells, "people.origins", area, f"place:{place}", "suspects") == want


def test_headline_harm_and_key_measures_match_the_per_area_functions(demo):
    from sna_lib.book.sv_overview import harm_comparison, headline
    from sna_lib.measures.key_measures import key_measures

    ds, cells, _, _ = demo
    year = ds.config.reporting_year
    for area in _areas(ds):
        crimes, _ = _area_records(ds, area)
        h = headline(harm_comparison(crimes, year, "partnership"))
        assert _value(cells, "sv.headline", area, "reporting_year", "sv") == h["offences"]
        assert _value(cells, "sv.headline", area, "reporting_year", "sv_pct") == pytest.approx(h["share_of_offences"])
        assert _value(cells, "sv.headline", area, "reporting_year", "harm_share_pct") == pytest.approx(
            h["share_of_harm"], rel=1e-9, nan_ok=True)
        km = key_measures(crimes, ds.hospital_admissions if area == COUNTY else None, ds.config)
        for _, r in km.iterrows():
            for column in ("before", "after"):
                got = _value(cells, "measures.key", area, f"{r['table']}:{r['measure_id']}", column)
                assert (math.isnan(got) and pd.isna(r[column])) or got == r[column]


def test_county_equals_sum_of_csps_for_records_and_every_count_is_related(demo):
    ds, cells, relations, _ = demo
    by_id = cells.set_index("cell_id")
    county_sv = by_id.loc[relations["total"]].reset_index()
    cross = relations[county_sv["area"].eq(COUNTY).to_numpy() & relations["parts"].map(len).gt(1).to_numpy()]
    tables = {by_id.loc[t, "table"] for t in cross["total"]}
    for table in ("sv.annual", "sv.headline", "sv.by_group", "context.crime", "people.summary", "people.age_band",
                  "people.origins", "measures.key", "place.profile"):
        assert table in tables, f"{table}: no county = / <= sum of CSPs relation"
    # exact additivity of records across areas, checked on the values by hand
    for role in ("suspect", "victim"):
        total = _value(cells, "people.summary", COUNTY, role, "records")
        parts = sum(_value(cells, "people.summary", c, role, "records") for c in ds.config.csps)
        assert total == parts


def test_provenance_has_hashes_code_and_the_real_data_period(demo):
    ds, _, _, provenance = demo
    last = ds.crimes["date"].max().date().isoformat()
    assert provenance["last_date"] == provenance["data_as_at"] == last
    assert provenance["first_date"] == ds.crimes["date"].min().date().isoformat()
    assert provenance["data_as_at"] != str(ds.config.rolling_end)  # the demo's rolling window ends earlier
    assert provenance["inputs"] == {"x": "y"} and provenance["code"] == "abc"
    assert provenance["areas"] == ["county", *ds.config.csps]


def test_area_counts_groups_once_and_counts_people_once_in_the_county():
    f = pd.DataFrame({"area": ["N", "N", "S", None], "person_id": ["a", "b", "a", "c"], "role": ["s", "s", "s", "v"]})
    out = area_counts(f, ["role"], ["county", "N", "S"], unique="person_id")
    assert out.to_dict() == {("county", "s"): 2, ("county", "v"): 1, ("N", "s"): 2, ("N", "v"): 0,
                             ("S", "s"): 1, ("S", "v"): 0}


# --------------------------------------------------------------------------- tables/ (wire)


def test_people_windows_look_people_up_county_wide(demo):
    """people.windows by hand: victims of the area's SV this year who were SV suspects anywhere in the
    county this year; suspects of the area's SV named on a domestic-abuse crime anywhere in the
    county in the five years before."""
    from sna_lib.measures.classify import serious_violence_ids

    ds, cells, _, _ = demo
    year = int(ds.config.reporting_year)
    assert int(ds.config.people.overlap_years) == 1 and not ds.config.people.da_link_include_reporting_year
    persons = ds.persons.astype({"crime_id": str, "person_id": str})
    county_sv = set(serious_violence_ids(ds, "partnership", year=year))
    county_suspects = set(persons.loc[persons["crime_id"].isin(county_sv) & (persons["role"] == "suspect"),
                                      "person_id"])
    years = pd.to_datetime(ds.crimes["date"]).dt.year
    da_ids = set(ds.crimes.loc[ds.crimes["domestic_abuse"].fillna(False).astype(bool)
                               & (years >= year - 5) & (years <= year - 1), "crime_id"].astype(str))
    da_people = set(persons.loc[persons["crime_id"].isin(da_ids), "person_id"])
    for area in _areas(ds):
        crimes, _ = _area_records(ds, area)
        ids = set(serious_violence_ids(crimes, "partnership", year=year))
        linked = persons[persons["crime_id"].isin(ids)]
        victims = set(linked.loc[linked["role"] == "victim", "person_id"])
        suspects = set(linked.loc[linked["role"] == "suspect", "person_id"])
        assert _value(cells, "people.windows", area, "overlap", "of") == len(victims)
        assert _value(cells, "people.windows", area, "overlap", "count") == len(victims & county_suspects)
        assert _value(cells, "people.windows", area, "domestic_abuse", "of") == len(suspects)
        assert _value(cells, "people.windows", area, "domestic_abuse", "count") == len(suspects & da_people)
    pct = _value(cells, "people.windows", COUNTY, "overlap", "pct")
    assert pct == pytest.approx(100 * _value(cells, "people.windows", COUNTY, "overlap", "count")
                                / _value(cells, "people.windows", COUNTY, "overlap", "of"))


def test_monthly_counts_add_up_to_the_year_and_match_a_count_by_month(demo):
    from sna_lib.measures.classify import serious_violence_ids

    ds, cells, relations, _ = demo
    year = int(ds.config.reporting_year)
    for area in _areas(ds):
        crimes, _ = _area_records(ds, area)
        ids = set(serious_violence_ids(crimes, "partnership"))
        sv = crimes[crimes["crime_id"].astype(str).isin(ids)]
        by_month = pd.to_datetime(sv["date"]).dt.strftime("%Y-%m").value_counts()
        months = [f"{year}-{m:02d}" for m in range(1, 13)]
        got = [_value(cells, "sv.monthly", area, m, "offences") for m in months]
        assert got == [float(by_month.get(m, 0)) for m in months], area
        assert sum(got) == _value(cells, "sv.annual", area, year, "partnership")
    # the year total is declared as the sum of its months (an attacker may use it)
    from sna_lib.publication.cells import cell_id

    total = cell_id("sv.annual", COUNTY, year, "partnership")
    parts = {cell_id("sv.monthly", COUNTY, f"{year}-{m:02d}", "offences") for m in range(1, 13)}
    assert any(t == total and set(p) == parts for t, p in zip(relations["total"], relations["parts"]))


def test_harm_impact_exact_equivalent_and_holm_cells(demo):
    from sna_lib.measures.harm import harm_equivalent_exact

    ds, cells, _, provenance = demo
    for area in _areas(ds):
        ratio = _value(cells, "sv.headline", area, "reporting_year", "harm_ratio")
        for row in ("offences", "suspects", "victims"):
            n = _value(cells, "sv.harm_impact", area, row, "number")
            exact = _value(cells, "sv.harm_impact", area, row, "equivalent_exact")
            if not math.isnan(ratio):
                assert exact == harm_equivalent_exact(int(n), ratio) == round(n * ratio)
    assert "weights" in provenance["text"]["sv.harm"]
    # Holm: the adjusted p-value is never below the raw one, and derives from every count of the family
    km = cells[(cells["table"] == "measures.key") & (cells["area"] == COUNTY)]
    counts = set(km.loc[km["column"].isin(["before", "after"]), "cell_id"])
    for _, c in km[km["column"] == "p_value_holm"].iterrows():
        raw = _value(cells, "measures.key", COUNTY, c["row"], "p_value")
        if not math.isnan(c["value"]):
            assert c["value"] >= raw - 1e-12
        assert set(c["derives_from"]) == counts
