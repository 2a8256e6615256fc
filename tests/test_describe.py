"""Tests for sna_lib.book.describe: page shaping never leaks a withheld count, and helpers
arrange library results faithfully (checked against hand-computed values)."""

from __future__ import annotations

import pandas as pd
import pytest

from sna_lib.book import describe
from sna_lib.publication.disclosure import is_suppressed
from sna_lib.measures.people import AgeFeatures


def test_publish_table_hides_every_rate_of_a_hidden_count():
    # B=3 is primary-suppressed; with totals assumed published, one more CSP must go too.
    t = pd.DataFrame({"CSP": ["A", "B", "C", "D"], "n": [40, 3, 0, 25],
                      "share": [59.7, 4.5, 0.0, 37.3], "rank": [1, 3, 4, 2]})
    out = describe.publish_table(t, ["n"], {"share": "n", "rank": "n"}, area_level="csp")
    hidden = [is_suppressed(v) for v in out["n"]]
    assert hidden[1] and sum(hidden) >= 2           # primary + at least one secondary
    assert not hidden[2]                            # zero is never withheld
    for column in ("share", "rank"):
        assert [is_suppressed(v) for v in out[column]] == hidden


def test_publish_table_at_county_level_publishes_everything():
    t = pd.DataFrame({"n": [3, 200], "rate": [0.25, 2.0]})
    out = describe.publish_table(t, ["n"], {"rate": "n"}, area_level="county")
    assert out["n"].tolist() == ["3", "200"]


def test_key_measures_change_and_test_are_withheld_with_either_count():
    km = pd.DataFrame({
        "table": ["A", "A"], "measure_id": ["x", "y"], "measure": ["X", "Y"],
        "before_period": ["2022", "2022"], "after_period": ["2023", "2023"],
        "before": pd.array([120, 40], dtype="Int64"), "after": pd.array([5, 30], dtype="Int64"),
        "pct_change": [-96.0, -25.0], "significance": ["significant (p < 0.001)", "not significant (p = 0.29)"],
        "note": ["", ""]})
    out = describe.publish_key_measures(km, area_level="csp")
    assert out.loc[0, "After"] == "[c]" and out.loc[0, "% change"] == "[c]"
    assert out.loc[0, "Significant change?"] == "[c]"
    assert out.loc[1, "% change"] == "-25%" and out.loc[1, "Significant change?"] == "No (p = 0.29)"


def test_year_on_year_matches_hand_arithmetic():
    s = pd.DataFrame({"Year": [2021, 2022, 2023], "SV": [50, 40, 30]})
    row = describe.year_on_year(s, 2023).iloc[0]
    assert (row["before"], row["after"], row["pct_change"]) == (40, 30, -25.0)


def test_age_sentence_describes_every_turning_point():
    f = AgeFeatures(12, peaks=(15, 18), dips=(16,), rises_again=(17,), plateau_start=23)
    text = describe.age_profile_sentence(f)
    for age in ("12", "15", "17", "23"):
        assert age in text
    assert describe.age_feature_marks(f) == {"incline": 12, "peak": 15, "plateau": 23}


def test_flag_labels_follow_the_95_percent_bins():
    assert describe.flag_labels(pd.Series([3, 2, 1, -1, -2, -3])).tolist() == [
        "hot", "hot", "not significant", "not significant", "cold", "cold"]


def test_survey_themes_county_sums_csps_and_csp_keeps_its_rows():
    survey = pd.DataFrame({"year": [2022, 2022, 2022, 2023], "area": ["N", "S", "N", "N"],
                           "theme": ["lighting", "lighting", "youth clubs", "lighting"],
                           "responses": [4, 6, 9, 2]})
    county = describe.survey_themes(survey, "county").set_index("Theme")
    assert county.loc["lighting", "2022"] == 10 and county.loc["youth clubs", "2022"] == 9
    north = describe.survey_themes(survey, "N").set_index("Theme")
    assert north.loc["lighting", "2023"] == 2 and north.loc["youth clubs", "2023"] == 0


def test_csp_table_converts_proportions_to_percent_and_points():
    idx = pd.Index(["N", "S"], name="area")
    year = pd.DataFrame({"crimes": [30.0, 10.0], "share": [0.75, 0.25], "rate_per_1000": [3.0, 0.5],
                         "rank_rate": pd.array([1, 2], dtype="Int64"), "share_change": [0.05, -0.05]}, index=idx)
    window = year.assign(crimes=[100.0, 60.0])
    window.attrs["years"] = (2019, 2023)
    t = describe.csp_table(year, window, 2023)
    assert t["Share (%)"].tolist() == [75.0, 25.0]
    assert t["Share change on 2022 (points)"].tolist() == [5.0, -5.0]
    assert t["Offences 2019–2023"].tolist() == [100, 60]


@pytest.fixture(scope="module")
def demo(demo_dir):
    from sna_lib.data.dataset import load_dataset

    return load_dataset(demo_dir, validate=False)


def test_annual_counts_equal_an_independent_count(demo):
    import yaml

    from sna_lib.book.describe import annual_counts

    series = annual_counts(demo.crimes, demo.config, ["knife_enabled"])
    d = yaml.safe_load(open(describe.__file__.replace("book/describe.py", "definitions/knife_enabled.yaml")))
    c = demo.crimes
    mask = (c["offence_code"].astype(str).isin([str(x) for x in d["offence_codes"]]) & c["knife"].astype(bool)
            & ~c["domestic_abuse"].astype(bool))
    expected = c[mask]["date"].dt.year.value_counts()
    y = demo.config.reporting_year
    assert int(series.set_index("Year").loc[y].iloc[0]) == int(expected.get(y, 0))


def test_area_profile_county_rate_is_total_offences_over_total_population(demo, demo_copy):
    """The profile page's county line (``place.profile`` in the store) = all SV offences / all residents."""
    from sna_lib.measures.classify import serious_violence_ids
    from sna_lib.publication.store import PublishedStore

    store = PublishedStore(demo_copy / "published")
    y = int(demo.config.reporting_year)
    n = len(set(serious_violence_ids(demo, "partnership", year=y)))
    pop = demo.population
    latest = int(pop["year"][pop["year"] <= y].max())
    residents = pop.loc[pop["year"] == latest, "population"].sum()
    assert store.value("place.profile", "county", y, "offences") == n
    assert store.value("place.profile", "county", y, "rate_per_1000") == pytest.approx(1000 * n / residents, abs=0.005)


def _hidden(value) -> bool:
    return is_suppressed(value)


def test_cross_csp_mask_never_leaves_a_single_withheld_csp(demo):
    """County minus the other CSP books must not reveal a withheld count: 0 or >= 2 CSPs withheld per cell."""
    year = demo.config.reporting_year
    tables = describe.tables_by_area(demo, describe.context_volumes, year)
    sv_now = describe.sv_year_withheld(demo, year, config=demo.config)
    published = {
        csp: describe.publish_table(tables[csp], ["Offences"], {"% of all crime": "Offences"}, area_level="csp",
                                    config=demo.config, assume_published_totals=False,
                                    also_withhold=describe.context_withheld(tables, csp, sv_now, config=demo.config))
        for csp in demo.config.csps}
    n_rows = len(tables["county"])
    any_withheld = False
    for row in range(n_rows):
        hidden = [csp for csp in demo.config.csps if _hidden(published[csp]["Offences"].iloc[row])]
        any_withheld |= bool(hidden)
        assert len(hidden) != 1, (tables["county"]["Crime"].iloc[row], hidden)
        for csp in hidden:                     # the share of a withheld count is withheld too
            assert _hidden(published[csp]["% of all crime"].iloc[row])
    assert any_withheld, "the small demo county should withhold something"


def test_csp_books_withhold_their_sv_count_wherever_the_place_table_does(demo):
    from sna_lib.measures.classify import serious_violence_ids
    from sna_lib.index.place import csp_breakdown

    year = demo.config.reporting_year
    ids = serious_violence_ids(demo, "partnership")
    args = (demo.crimes, ids, demo.geography, demo.population)
    table = describe.csp_table(csp_breakdown(*args, years=[year]), csp_breakdown(*args, years=range(year - 4, year + 1)),
                               year, csp_breakdown(*args, years=[year - 1]))
    masks = describe.sv_csp_masks(demo, year, config=demo.config)
    page = describe.publish_csp_table(table, year, config=demo.config, masks=masks)
    in_place_table = {c for c, v in zip(page["CSP"], page[f"Offences {year}"]) if _hidden(v)}
    assert in_place_table == set(describe.sv_year_withheld(demo, year, config=demo.config))
    previous_hidden = [_hidden(v) for v in page[f"Offences {year - 1}"]]
    change = page[f"Share change on {year - 1} (points)"]
    assert all(_hidden(c) for c, h in zip(change, previous_hidden) if h)


def test_window_total_is_withheld_with_any_of_its_years(demo):
    """A CSP's five-year total must not be shown beside four shown years and one withheld year."""
    year = demo.config.reporting_year
    masks = describe.sv_csp_masks(demo, year, config=demo.config)
    years = [c for c in masks.columns if c != "window"]
    assert (masks["window"] == masks[years].any(axis=1)).all()
    for y in years:                                   # never exactly one CSP withheld in a year
        assert masks[y].sum() != 1
    assert masks["window"].sum() != 1


def test_tables_by_area_builds_each_area_once_per_dataset_and_returns_copies(demo_dir):
    from sna_lib.book import describe
    from sna_lib.data.dataset import load_dataset

    dataset = load_dataset(demo_dir, validate=False)
    calls = []

    def build(crimes, year):
        calls.append(year)
        return pd.DataFrame({"n": [len(crimes)]})

    first = describe.tables_by_area(dataset, build, 2023)
    areas = ("county", *dataset.config.csps)
    assert len(calls) == len(areas)
    first["county"].loc[0, "n"] = -1          # a caller changing its copy…
    again = describe.tables_by_area(dataset, build, 2023)
    assert len(calls) == len(areas)          # …served from the memo, not rebuilt
    assert again["county"].loc[0, "n"] == len(dataset.crimes)  # …and the memo is untouched
    describe.tables_by_area(dataset, build, 2022)  # other arguments are other tables
    assert len(calls) == 2 * len(areas)
