"""Statistical disclosure control: hand-worked tables and a linear-differencing attacker."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sna_lib.publication.disclosure import (
    DisclosureRules,
    Suppressed,
    area_level_of,
    disclosure_rules,
    is_suppressed,
    publish_number,
    publish_rate,
    suppress_counts,
    suppress_rates,
    suppression_mask,
    suppression_note,
)
from sna_lib.errors import DataValidationError


# ----------------------------------------------------------------------------- single numbers

@pytest.mark.parametrize("n", [1, 2, 5, 7])
def test_small_counts_are_suppressed_below_county(n):
    for level in ("csp", "lsoa", "msoa", "ward"):
        out = publish_number(n, area_level=level)
        assert is_suppressed(out) and out == "[c]"


@pytest.mark.parametrize("n, text", [(0, "0"), (8, "8"), (1234, "1,234"), (1234567, "1,234,567"),
                                     (np.int64(9), "9"), (12.0, "12")])
def test_zero_and_larger_counts_are_published(n, text):
    out = publish_number(n, area_level="csp")
    assert out == text and not is_suppressed(out)


def test_county_level_is_not_suppressed_unless_configured():
    assert publish_number(3, area_level="county") == "3"
    assert publish_number(3, area_level="national") == "3"
    assert is_suppressed(publish_number(3, area_level="county", config={"suppress_county": True}))


def test_configured_range_marker_and_rounding():
    cfg = {"disclosure": {"suppress_min": 1, "suppress_max": 9, "rounding": 5, "marker": "<10"}}
    assert publish_number(9, area_level="csp", config=cfg) == "<10"
    assert publish_number(10, area_level="csp", config=cfg) == "10"
    assert publish_number(12, area_level="csp", config=cfg) == "10"   # 12/5 = 2.4 -> 2*5
    assert publish_number(13, area_level="csp", config=cfg) == "15"   # 2.6 -> 3*5
    assert publish_number(1252, area_level="csp", config=cfg) == "1,250"
    assert publish_number(12, area_level="county", config=cfg) == "12"  # rounding only where rules apply


def test_zero_is_never_suppressed_even_if_min_is_zero():
    assert publish_number(0, area_level="lsoa", config={"suppress_min": 0, "suppress_max": 7}) == "0"


def test_config_shapes_are_all_understood():
    section = SimpleNamespace(suppress_min=2, suppress_max=4, rounding=None)
    assert disclosure_rules(SimpleNamespace(disclosure=section)).suppress_max == 4
    assert disclosure_rules({"suppress_max": 4, "rounding": "none"}).rounding is None
    assert disclosure_rules(None) == DisclosureRules()
    assert publish_number(1, area_level="csp", config=SimpleNamespace(disclosure=section)) == "1"
    assert is_suppressed(publish_number(2, area_level="csp", config=SimpleNamespace(disclosure=section)))


def test_real_config_object_is_accepted():
    config = pytest.importorskip("sna_lib.data.config")
    cfg = config.Config(county="Demo", csps=("A", "B"), reporting_year=2023, first_year=2014,
                        disclosure=config.Disclosure(suppress_min=1, suppress_max=3, rounding=None))
    assert publish_number(4, area_level="csp", config=cfg) == "4"
    assert is_suppressed(publish_number(3, area_level="csp", config=cfg))


@pytest.mark.parametrize("bad", [{"suppress_min": 5, "suppress_max": 2}, {"rounding": 0},
                                 {"suppress_max": -1}, {"suppress_max": 2.5}])
def test_bad_disclosure_config_is_a_validation_error(bad):
    with pytest.raises(DataValidationError) as exc:
        disclosure_rules(bad)
    assert all(p.file == "config.yaml" and p.column == "disclosure" for p in exc.value.problems)


@pytest.mark.parametrize("bad, err", [(-1, ValueError), (2.5, ValueError), (True, TypeError), ("7", TypeError)])
def test_non_counts_are_refused(bad, err):
    with pytest.raises(err):
        publish_number(bad, area_level="csp")


def test_unknown_area_level_is_refused():
    with pytest.raises(ValueError, match="area_level"):
        publish_number(5, area_level="Basildon")
    assert area_level_of("county") == "county" and area_level_of("Basildon") == "csp"


def test_missing_is_a_dash_and_rates_follow_their_counts():
    assert publish_number(float("nan"), area_level="csp") == "–"
    assert publish_rate(0.5, count=4, area_level="csp") == "[c]"
    assert publish_rate(0.5, count=Suppressed("[c]"), area_level="county") == "[c]"
    assert publish_rate(2.25, count=4, area_level="county", decimals=2) == "2.25"
    assert publish_rate(33.333, count=100, area_level="csp", suffix="%") == "33.3%"
    assert "1 to 7" in suppression_note() and "nearest 5" in suppression_note({"rounding": 5})


# ----------------------------------------------------------------------------- tables by hand

def hidden_cells(mask: pd.DataFrame) -> set[tuple]:
    return {(r, c) for r in mask.index for c in mask.columns if mask.loc[r, c]}


def test_county_minus_other_csps_cannot_reveal_a_small_csp():
    t = pd.DataFrame({"n": [4, 1500, 35, 1539]}, index=["North", "South", "East", "County"])
    mask = suppression_mask(t, ["n"], area_level="csp", total_row="County")
    # North (4) is small; with the county total published, East (35, the next smallest) must go too
    assert hidden_cells(mask) == {("North", "n"), ("East", "n")}
    text = suppress_counts(t, ["n"], area_level="csp", total_row="County")
    assert text["n"].tolist() == ["[c]", "1,500", "[c]", "1,539"]
    assert [is_suppressed(v) for v in text["n"]] == [True, False, True, False]


def test_zero_is_shown_and_not_used_as_the_secondary_cell():
    t = pd.DataFrame({"n": [0, 3, 10, 50, 63]}, index=["A", "B", "C", "D", "Total"])
    assert hidden_cells(suppression_mask(t, ["n"], area_level="csp", total_row="Total")) == {("B", "n"), ("C", "n")}


def test_small_total_is_itself_suppressed_and_zeros_stay_visible():
    t = pd.DataFrame({"n": [0, 3, 0, 3]}, index=["A", "B", "C", "Total"])
    assert hidden_cells(suppression_mask(t, ["n"], area_level="csp", total_row="Total")) == {("B", "n"), ("Total", "n")}


def test_two_way_table_with_margins_worked_by_hand():
    t = pd.DataFrame(
        {"a": [2, 15, 40, 57], "b": [10, 12, 50, 72], "c": [20, 30, 60, 110], "Total": [32, 57, 150, 239]},
        index=["X", "Y", "Z", "Total"],
    )
    mask = suppression_mask(t, ["a", "b", "c", "Total"], area_level="csp", total_row="Total", total_col="Total")
    # X.a=2 primary; row X -> X.b (10, smallest of 10/20/32); column a -> Y.a (15);
    # column b -> Y.b (12); row Y now has two: fixed point, a 2x2 block.
    assert hidden_cells(mask) == {("X", "a"), ("X", "b"), ("Y", "a"), ("Y", "b")}


def test_combined_differencing_is_blocked_beyond_the_line_rule():
    # Two hidden 2x2 blocks joined by one hidden "bridge" cell (r1, c3): every row and column
    # holds >= 2 hidden cells, yet rows r1+r2 minus columns c1+c2 gives the bridge exactly.
    t = pd.DataFrame(
        {"c1": [2, 4, 50, 70], "c2": [3, 6, 60, 80], "c3": [5, 20, 1, 3], "c4": [30, 40, 2, 4]},
        index=["r1", "r2", "r3", "r4"],
    )
    primary = {(r, c) for r in t.index for c in t.columns if 1 <= t.loc[r, c] <= 7}
    assert not primary_line_rule_violations(t, primary)
    assert ("r1", "c3") in recoverable_cells(t, primary, total_row=None, total_col=None)
    mask = suppression_mask(t, list(t.columns), area_level="csp")
    # the audit hides the smallest visible neighbour of the bridge: (r2, c3) = 20 < (r1, c4) = 30
    assert hidden_cells(mask) == primary | {("r2", "c3")}


def primary_line_rule_violations(t, hidden):
    rows = [sum((r, c) in hidden for c in t.columns) for r in t.index]
    cols = [sum((r, c) in hidden for r in t.index) for c in t.columns]
    return [n for n in rows + cols if n == 1]


def test_csp_figures_beside_a_published_county_figure():
    # rows: CSPs + county; columns: different figures (not additive across a row)
    t = pd.DataFrame({"homicides": [1, 0, 12, 9, 22], "knife": [40, 3, 2, 50, 95], "robbery": [2, 2, 2, 2, 8]},
                     index=["A", "B", "C", "D", "county"])
    mask = suppression_mask(t, list(t.columns), area_level="csp", total_row="county",
                            assume_published_totals=False, total_published=True)
    assert hidden_cells(mask) == {("A", "homicides"), ("D", "homicides"),  # 1 + next smallest non-zero 9
                                  ("B", "knife"), ("C", "knife"),          # two small: nothing more
                                  ("A", "robbery"), ("B", "robbery"), ("C", "robbery"), ("D", "robbery")}
    assert not mask.loc["county"].any()  # the county figures are published regardless
    # without total_published the county cell would be hidden instead of a second CSP
    plain = suppression_mask(t[["robbery"]].assign(robbery=[2, 30, 40, 50, 122]), ["robbery"], area_level="csp",
                             total_row="county", assume_published_totals=False)
    assert hidden_cells(plain) == {("A", "robbery"), ("B", "robbery")}


def test_a_cell_only_the_published_total_reveals_is_left_alone():
    # one CSP: its figure *is* the county figure, which is published anyway; no endless hiding
    t = pd.DataFrame({"n": [3, 3], "m": [50, 50]}, index=["only", "county"])
    mask = suppression_mask(t, ["n", "m"], area_level="csp", total_row="county",
                            assume_published_totals=False, total_published=True)
    assert hidden_cells(mask) == {("only", "n")}


def test_county_level_tables_are_published_in_full():
    t = pd.DataFrame({"n": [1, 2, 3]}, index=list("ABC"))
    assert suppress_counts(t, ["n"], area_level="county")["n"].tolist() == ["1", "2", "3"]


def test_rounding_numeric_output_and_missing_cells():
    t = pd.DataFrame({"n": [3, 101, 57, None], "label": ["a", "b", "c", "d"]}, index=list("ABCD"))
    out = suppress_counts(t, ["n"], area_level="lsoa", config={"rounding": 5}, output="numeric")
    # 3 is primary; next smallest non-missing is 57 (hidden), 101 -> 100, missing stays <NA>
    assert out["n"].dtype == "Int64"
    assert out["n"].isna().tolist() == [True, False, True, True]
    assert int(out.loc["B", "n"]) == 100 and out["label"].tolist() == ["a", "b", "c", "d"]
    text = suppress_counts(t, ["n"], area_level="lsoa", config={"rounding": 5})
    assert text["n"].tolist() == ["[c]", "100", "[c]", "–"]


def test_no_published_totals_means_primary_only():
    t = pd.DataFrame({"n": [3, 100, 200]}, index=list("ABC"))
    mask = suppression_mask(t, ["n"], area_level="csp", assume_published_totals=False)
    assert hidden_cells(mask) == {("A", "n")}


def test_only_a_zero_left_in_the_line_is_hidden_as_a_last_resort():
    t = pd.DataFrame({"a": [3], "b": [0]}, index=["only"])
    assert hidden_cells(suppression_mask(t, ["a", "b"], area_level="csp")) == {("only", "a"), ("only", "b")}


def test_rates_follow_primary_and_secondary_suppression():
    t = pd.DataFrame({"n": [3, 200, 150, 353], "rate": [0.31, 2.5, 1.94, 1.7]}, index=["A", "B", "C", "All"])
    out = suppress_rates(t, ["rate"], ["n"], area_level="csp", total_row="All", decimals=2)
    assert out["rate"].tolist() == ["[c]", "2.50", "[c]", "1.70"]
    assert [is_suppressed(v) for v in out["rate"]] == [True, False, True, False]
    num = suppress_rates(t, ["rate"], ["n"], area_level="csp", total_row="All", output="numeric")
    assert num["rate"].isna().tolist() == [True, False, True, False]
    assert out["n"].tolist() == [3, 200, 150, 353]  # counts untouched by suppress_rates


def test_bad_table_arguments():
    t = pd.DataFrame({"n": [3, 4]}, index=["A", "B"])
    with pytest.raises(KeyError):
        suppression_mask(t, ["m"], area_level="csp")
    with pytest.raises(KeyError):
        suppression_mask(t, ["n"], area_level="csp", total_row="Total")
    with pytest.raises(ValueError):
        suppress_counts(pd.DataFrame({"n": [-3]}), ["n"], area_level="csp")


# ----------------------------------------------------------------------------- attacker

def lines_of(t, total_row, total_col):
    """Every additive relation an attacker knows: (cells, total cell or None)."""
    inner_rows = [r for r in t.index if r != total_row]
    inner_cols = [c for c in t.columns if c != total_col]
    out = []
    for r in t.index:
        cells = [(r, c) for c in inner_cols]
        if total_col is not None:
            out.append((cells, (r, total_col)))
        elif len(cells) >= 2:
            out.append((cells, None))  # row total published elsewhere in the book
    for c in t.columns:
        cells = [(r, c) for r in inner_rows]
        if total_row is not None:
            out.append((cells, (total_row, c)))
        elif len(cells) >= 2:
            out.append((cells, None))
    return out


def recoverable_cells(t, hidden, *, total_row, total_col):
    """Hidden cells an attacker solves exactly: x_i is determined by A_U x_U = b iff dropping
    its column lowers the rank of A_U (an independent method to the library's null space)."""
    unknown = sorted(hidden, key=str)
    if not unknown:
        return set()
    col = {cell: i for i, cell in enumerate(unknown)}
    rows = []
    for cells, total in lines_of(t, total_row, total_col):
        row = np.zeros(len(unknown))
        for cell in cells:
            if cell in col:
                row[col[cell]] += 1
        if total is not None and total in col:
            row[col[total]] -= 1
        rows.append(row)
    a = np.array(rows).reshape(len(rows), len(unknown))
    rank = np.linalg.matrix_rank(a) if a.size else 0
    found = set()
    for cell, i in col.items():
        reduced = np.delete(a, i, axis=1)
        if (np.linalg.matrix_rank(reduced) if reduced.size else 0) < rank:
            found.add(cell)
    return found


counts = st.one_of(st.integers(0, 0), st.integers(1, 7), st.integers(8, 60), st.integers(61, 5000))


@st.composite
def tables(draw):
    n_rows = draw(st.integers(1, 6))
    n_cols = draw(st.integers(1, 5))
    values = np.array(draw(st.lists(counts, min_size=n_rows * n_cols, max_size=n_rows * n_cols)))
    t = pd.DataFrame(values.reshape(n_rows, n_cols), index=[f"r{i}" for i in range(n_rows)],
                     columns=[f"c{j}" for j in range(n_cols)])
    total_row = total_col = None
    if draw(st.booleans()):
        t.loc["Total"] = t.sum(axis=0)
        total_row = "Total"
    if draw(st.booleans()):
        t["All"] = t.sum(axis=1)
        total_col = "All"
    return t, total_row, total_col


@settings(max_examples=200, deadline=None)
@given(tables())
def test_no_suppressed_cell_can_be_recovered_by_differencing(case):
    t, total_row, total_col = case
    mask = suppression_mask(t, list(t.columns), area_level="csp", total_row=total_row, total_col=total_col)
    hidden = hidden_cells(mask)
    # primary: every count 1..7 is hidden
    assert {(r, c) for r in t.index for c in t.columns if 1 <= t.loc[r, c] <= 7} <= hidden
    # the brief's line rule: a line with a hidden cell has >= 2 hidden (its total counts)
    for cells, total in lines_of(t, total_row, total_col):
        members = cells + ([total] if total is not None else [])
        assert sum(m in hidden for m in members) != 1, (members, hidden)
    # the full attacker: no hidden cell is pinned down by any combination of published lines
    assert not recoverable_cells(t, hidden, total_row=total_row, total_col=total_col)
    # and the text output shows the marker exactly where the mask says
    text = suppress_counts(t, list(t.columns), area_level="csp", total_row=total_row, total_col=total_col)
    assert {(r, c) for r in t.index for c in t.columns if text.loc[r, c] == "[c]"} == hidden


def test_area_profiles_resist_county_minus_the_other_csps(demo_copy):
    """Every CSP's profile page (Annex 1) shows its yearly count beside the county figure (both
    from the published store): in no year may exactly one CSP be withheld while the county and
    all the other CSPs are shown; rate and rank go with the count."""
    from sna_lib.publication.store import PublishedStore

    store = PublishedStore(demo_copy / "published")
    csps = store.areas[1:]
    years = [r for r in store.table("place.profile", "county").index if r.isdigit()]
    withheld = 0
    for year in years:
        hidden = [c for c in csps if is_suppressed(store.value("place.profile", c, year, "offences"))]
        withheld += len(hidden)
        if not is_suppressed(store.value("place.profile", "county", year, "offences")):
            assert len(hidden) != 1, f"{year}: {hidden[0]} = county - the other CSPs"
        for c in csps:
            values = [store.value("place.profile", c, year, col) for col in ("offences", "rate_per_1000", "rank")]
            assert len({is_suppressed(v) for v in values}) == 1, (c, year, values)
    assert len(years) >= 5 and withheld > 0


def test_rounding_is_half_up_not_half_even_at_base_10():
    """Mutation survivor: 25 -> 30 and 45 -> 50 (half up), where Python's round() gives 20 / 40."""
    r = DisclosureRules(rounding=10)
    assert [r.round(n) for n in (24, 25, 35, 45, 46)] == [20, 30, 40, 50, 50]
    assert DisclosureRules(rounding=5).round(12) == 10 and DisclosureRules(rounding=5).round(13) == 15


# ------------------------------------------------------------------ mutation-testing survivors
def test_suppression_note_states_the_configured_rules():
    note = suppression_note({"disclosure": {"suppress_max": 9, "rounding": 5, "marker": "<10"}})
    assert note == ("<10 = count of 1 to 9, withheld to protect confidentiality (with other cells where "
                    "needed so it cannot be worked out from totals). Other counts are rounded to the nearest 5.")
    # a zero minimum is reported as 1 (zero is never withheld); no rounding sentence without rounding
    plain = suppression_note({"suppress_min": 0, "suppress_max": 3})
    assert plain.startswith("[c] = count of 1 to 3, withheld") and plain.endswith("worked out from totals).")


def test_publish_rate_uses_the_config_and_shows_missing_rates_as_a_dash():
    cfg = {"disclosure": {"suppress_max": 9, "marker": "<10"}}
    assert publish_rate(1.5, count=9, area_level="csp") == "1.5"          # 9 is not small by default
    assert publish_rate(1.5, count=9, area_level="csp", config=cfg) == "<10"
    assert publish_rate(1.5, count=Suppressed("[c]"), area_level="csp", config=cfg) == "<10"
    for missing in (None, pd.NA, float("nan"), np.float64("nan")):
        assert publish_rate(missing, count=30, area_level="csp") == "–"
    assert publish_rate(np.float64(2.0), count=30, area_level="csp", decimals=0) == "2"


def test_suppressed_marker_repr_is_the_text():
    assert repr(Suppressed("[c]")) == "'[c]'" and str(Suppressed("<10")) == "<10"


def test_suppress_rates_defaults_config_and_bad_arguments():
    t = pd.DataFrame({"n": [3, 200, 150], "per_1000": [0.31, 2.5, 1.94]}, index=list("ABC"))
    # defaults: one decimal; totals assumed published, so 150 (next smallest) protects 3
    assert suppress_rates(t, ["per_1000"], ["n"], area_level="csp")["per_1000"].tolist() == ["[c]", "2.5", "[c]"]
    prim = suppress_rates(t, ["per_1000"], ["n"], area_level="csp", assume_published_totals=False)
    assert prim["per_1000"].tolist() == ["[c]", "2.5", "1.9"]
    # the config reaches the mask and the marker: 9 is small under suppress_max 9
    t9 = pd.DataFrame({"n": [9, 200, 150], "per_1000": [0.9, 2.5, 1.94]}, index=list("ABC"))
    cfg = {"disclosure": {"suppress_max": 9, "marker": "<10"}}
    assert suppress_rates(t9, ["per_1000"], ["n"], area_level="csp", assume_published_totals=False,
                          config=cfg)["per_1000"].tolist() == ["<10", "2.5", "1.9"]
    assert suppress_rates(t9, ["per_1000"], ["n"], area_level="csp",
                          assume_published_totals=False)["per_1000"].tolist() == ["0.9", "2.5", "1.9"]
    # a published total is never withheld: a lone CSP's small county twin stays shown only then
    one = pd.DataFrame({"n": [3, 3], "rate": [1.0, 1.0]}, index=["only", "county"])
    kw = dict(area_level="csp", total_row="county", assume_published_totals=False)
    assert suppress_rates(one, ["rate"], ["n"], **kw)["rate"].tolist() == ["[c]", "[c]"]
    assert suppress_rates(one, ["rate"], ["n"], total_published=True, **kw)["rate"].tolist() == ["[c]", "1.0"]
    with pytest.raises(ValueError, match="must pair up one to one"):
        suppress_rates(t, ["per_1000"], ["n", "n"], area_level="csp")
    with pytest.raises(ValueError, match="output must be 'text' or 'numeric'"):
        suppress_rates(t, ["per_1000"], ["n"], area_level="csp", output="html")
    with pytest.raises(ValueError, match="output must be 'text' or 'numeric'"):
        suppress_counts(t, ["n"], area_level="csp", output="html")


def test_suppress_counts_passes_totals_and_config_to_the_mask():
    # a lone CSP beside its county figure: the county is published anyway only with total_published
    one = pd.DataFrame({"n": [3, 3]}, index=["only", "county"])
    kw = dict(area_level="csp", total_row="county", assume_published_totals=False)
    assert suppress_counts(one, ["n"], **kw)["n"].tolist() == ["[c]", "[c]"]
    assert suppress_counts(one, ["n"], total_published=True, **kw)["n"].tolist() == ["[c]", "3"]
    # the same with a total column
    row = pd.DataFrame({"a": [3], "T": [3]}, index=["x"])
    out = suppress_counts(row, ["a", "T"], area_level="csp", total_col="T", total_published=True)
    assert out.loc["x"].tolist() == ["[c]", "3"]
    # the config reaches the mask: 9 is small under suppress_max 9
    t9 = pd.DataFrame({"n": [9, 200]}, index=list("AB"))
    cfg = {"disclosure": {"suppress_max": 9, "marker": "<10"}}
    assert suppress_counts(t9, ["n"], area_level="csp", assume_published_totals=False,
                           config=cfg)["n"].tolist() == ["<10", "200"]


def test_suppress_rates_missing_rates_and_numeric_output():
    t = pd.DataFrame({"n": [30, 200, 150, 40], "r": [None, 2.5, float("nan"), pd.NA]}, index=list("ABCD"),
                     ).astype({"r": object})
    text = suppress_rates(t, ["r"], ["n"], area_level="csp")
    assert text["r"].tolist() == ["–", "2.5", "–", "–"]
    num = suppress_rates(t, ["r"], ["n"], area_level="csp", output="numeric")
    assert str(num["r"].dtype) == "Float64" and num["r"].isna().tolist() == [True, False, True, True]
    assert float(num.loc["B", "r"]) == 2.5


# ----------------------------------------------------------------------------- session-6 mutation survivors
@pytest.mark.parametrize("bad, err, message", [
    (True, TypeError, "a count must be a number, got True"),
    ("7", TypeError, "a count must be a number, got str '7'"),
    (2.5, ValueError, "a count must be a whole number, got 2.5"),
    (-1, ValueError, "a count cannot be negative, got -1"),
])
def test_non_counts_are_refused_with_the_reason(bad, err, message):
    with pytest.raises(err) as exc:
        publish_number(bad, area_level="csp")
    assert str(exc.value).startswith(message)


def test_bad_totals_name_the_argument():
    t = pd.DataFrame({"n": [3, 4]}, index=["A", "B"])
    with pytest.raises(KeyError) as exc:
        suppression_mask(t, ["n"], area_level="csp", total_col="m")
    assert exc.value.args[0] == "total_col 'm' must be one of count_columns ['n']"
    with pytest.raises(KeyError) as exc:
        suppression_mask(t, ["n"], area_level="csp", total_row="Total")
    assert exc.value.args[0] == "total_row 'Total' must label exactly one row of the table"


def test_secondary_pick_skips_hidden_and_unpickable_cells():
    from sna_lib.publication.disclosure import _pick_secondary

    values = np.array([[2, 9, 5, 30]])
    hidden = np.array([[True, False, False, False]])
    missing = np.array([[False, False, True, False]])   # e.g. published anyway (fixed)
    line = [(0, 0), (0, 1), (0, 2), (0, 3)]
    assert _pick_secondary(line, values, hidden, missing) == (0, 1)  # not the hidden 2 nor the fixed 5
    assert _pick_secondary([(0, 0), (0, 2)], values, hidden, missing) is None
    zeros = np.array([[2, 0, 40]])
    assert _pick_secondary([(0, 0), (0, 1), (0, 2)], zeros, np.array([[True, False, False]]),
                           np.zeros((1, 3), bool)) == (0, 2)  # zeros only as a last resort


def test_line_rule_runs_to_a_fixed_point_and_spares_the_last_row():
    """By hand, row and column totals published (assume_published_totals): the 2 at r2/c0 is
    primary; row r2 -> its 30; column c0 -> the first 12 (r0); column c1 -> its 15 (r1); row r0 ->
    its 30; row r1 -> its 0 (the only cell left). Every row and column then holds >= 2 hidden
    cells and the 3 x 2 hidden block has a 2-dimensional null space: nothing is recoverable, so
    r3 (12, 40) stays published. A single pass of the line rule leaves lines with one hidden
    cell for the audit, which then hides r3 too."""
    import signal

    t = pd.DataFrame({"c0": [12, 0, 2, 12], "c1": [30, 15, 30, 40]}, index=["r0", "r1", "r2", "r3"])

    def stuck(*_):
        raise TimeoutError("suppression_mask did not finish on a 4 x 2 table")

    guard = hasattr(signal, "setitimer")  # POSIX: a non-terminating loop fails instead of hanging
    previous = signal.signal(signal.SIGALRM, stuck) if guard else None
    if guard:
        signal.setitimer(signal.ITIMER_REAL, 60)  # the call takes milliseconds
    try:
        mask = suppression_mask(t, ["c0", "c1"], area_level="csp")
    finally:
        if guard:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    assert mask.to_numpy().tolist() == [[True, True], [True, True], [True, True], [False, False]]


@pytest.mark.parametrize("bad, reason", [
    ({"suppress_max": -1}, "disclosure.suppress_max must be a whole number >= 0, got -1"),
    ({"suppress_min": 2.5}, "disclosure.suppress_min must be a whole number >= 0, got 2.5"),
    ({"suppress_min": 5, "suppress_max": 2}, "disclosure.suppress_min must not exceed disclosure.suppress_max"),
    ({"rounding": 0}, "disclosure.rounding must be none or a whole number >= 1, got 0"),
    ({"marker": "  "}, "disclosure.marker must be non-empty text"),  # session-8 survivor (__post_init__ 35)
    ({"rounding": 2.5}, "disclosure.rounding must be none or a whole number >= 1, got 2.5"),  # (__post_init__ 26)
    ({"rounding": True}, "disclosure.rounding must be none or a whole number >= 1, got True"),
])
def test_bad_disclosure_config_says_what_is_wrong(bad, reason):
    with pytest.raises(DataValidationError) as exc:
        disclosure_rules(bad)
    assert [p.reason for p in exc.value.problems] == [reason]


@pytest.mark.parametrize("written", ["none", " Null ", "", "  "])
def test_rounding_written_as_none_or_left_blank_is_exact(written):
    assert disclosure_rules({"rounding": written}).rounding is None


# ------------------------------------------------------------------ session-8 mutation survivors
def test_a_column_of_two_rows_is_a_line_when_totals_are_assumed_published():
    # rows x, y; no total row or column, but totals are assumed published: each column of two cells
    # is a line. Primary: x.a = 3. Row x needs a second hidden cell: its next smallest, x.b = 20.
    # Column a (3, 30) then needs y.a, column b (20, 50) needs y.b; row y holds two: a fixed point.
    # The four hidden cells satisfy x.a + x.b = 23, y.a + y.b = 80, x.a + y.a = 33, x.b + y.b = 70:
    # rank 3, so none is determined.
    t = pd.DataFrame({"a": [3, 30], "b": [20, 50], "c": [40, 60]}, index=["x", "y"])
    mask = suppression_mask(t, ["a", "b", "c"], area_level="csp")
    assert mask.to_numpy().tolist() == [[True, True, False], [True, True, False]]
