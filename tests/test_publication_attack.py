"""The interval attacker: planted leaks are recovered, controlled publications are not, and its
bounds agree with brute-force enumeration.

Every expected interval below is worked out by hand in the comment beside it (or by exhaustive
enumeration of the integer solutions), never copied from the code under test.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sna_lib.publication.attack import attack, is_safe
from sna_lib.publication.cells import CellBuilder, declare_frame
from sna_lib.publication.control import control, primary_only


def _interval(result: pd.DataFrame, cid: str) -> tuple[float, float]:
    row = result.set_index("cell_id").loc[cid]
    return float(row["lo"]), float(row["hi"])


# ----------------------------------------------------------------------------- hand-made tables


def _two_by_two():
    #        a    b   all
    # x      3   40    43
    # y     50   60   110
    # all   53  100   153
    t = pd.DataFrame({"a": [3, 50, 53], "b": [40, 60, 100], "all": [43, 110, 153]}, index=["x", "y", "all"])
    b = CellBuilder()
    ids = declare_frame(b, t, table="t", area="North", count_columns=["a", "b", "all"], total_row="all",
                        total_col="all")
    return b.frame(), ids


def test_two_by_two_margins_give_away_a_lone_small_cell():
    (cells, relations), ids = _two_by_two()
    result = attack(primary_only(cells), relations)
    assert _interval(result, ids.loc["x", "a"]) == (3.0, 3.0)  # 43 - 40
    assert not result["safe"].any()


def test_two_by_two_after_control_the_small_cell_spans_zero_to_43():
    (cells, relations), ids = _two_by_two()
    out = control(cells, relations)
    hidden = set(out.loc[~out["published"], "cell_id"])
    # the four inner cells, margins kept: x_a = t, x_b = 43 - t, y_a = 53 - t, y_b = 57 + t, t in 0..43
    assert hidden == {ids.loc[r, c] for r in ("x", "y") for c in ("a", "b")}
    result = attack(out, relations)
    assert _interval(result, ids.loc["x", "a"]) == (0.0, 43.0)
    assert _interval(result, ids.loc["y", "a"]) == (10.0, 53.0)
    assert _interval(result, ids.loc["y", "b"]) == (57.0, 100.0)
    assert result["safe"].all()


@pytest.mark.parametrize("table, total, big, small", [
    # records = people + repeats: repeats = 12 - 9
    ("people.repeats", ("records", 12), ("people", 9), ("repeats", 3)),
    # known age = under 25 + 25 and over: 25 and over = 40 - 35
    ("people.age", ("known age", 40), ("under 25", 35), ("25 and over", 5)),
])
def test_total_minus_the_other_part_recovers_a_small_part_unless_controlled(table, total, big, small):
    b = CellBuilder()
    ids = {name: b.count(table=table, area="Brackenford", row="suspects", column=name, value=v)
           for name, v in (total, big, small)}
    b.additive(total=ids[total[0]], parts=[ids[big[0]], ids[small[0]]])
    cells, relations = b.frame()
    part = ids[small[0]]
    assert _interval(attack(primary_only(cells), relations), part) == (small[1], small[1])
    out = control(cells, relations)
    assert not out.set_index("cell_id").loc[ids[big[0]], "published"]  # the part is cheaper than the total
    result = attack(out, relations)
    assert _interval(result, part) == (0.0, float(total[1])) and result["safe"].all()


def test_share_times_denominator_recovers_the_count_when_the_share_is_published():
    b = CellBuilder()
    sv = b.count(table="context", area="Brackenford", row="2023", column="sv offences", value=5)
    crime = b.count(table="context", area="Brackenford", row="2023", column="all crime", value=1000)
    share = b.derived(table="context", area="Brackenford", row="2023", column="sv % of crime", value=0.5,
                      of=[sv, crime], op="ratio", scale=100, decimals=1)
    cells, relations = b.frame()
    leaky = primary_only(cells, follow=False)
    assert leaky.set_index("cell_id").loc[share, "published"]
    # 100 a / 1000 in [0.45, 0.55]  =>  a in [4.5, 5.5]  =>  a = 5
    assert _interval(attack(leaky, relations), sv) == (5.0, 5.0)
    out = control(cells, relations)
    assert out.set_index("cell_id").loc[share, "suppressed_why"] == f"follows:{sv}"
    assert attack(out, relations)["safe"].all()


def test_rate_times_population_recovers_the_count_when_the_rate_is_published():
    b = CellBuilder()
    n = b.count(table="profile", area="Eastwick", row="2023", column="offences", value=6)
    pop = b.exempt(table="profile", area="Eastwick", row="2023", column="population", value=12345,
                   reason="census population")
    rate = b.derived(table="profile", area="Eastwick", row="2023", column="per 1,000", value=1000 * 6 / 12345,
                     of=[n, pop], op="ratio", scale=1000, decimals=2)
    cells, relations = b.frame()
    # shown 0.49: 1000 a / 12345 in [0.485, 0.495]  =>  a in [5.99, 6.11]  =>  a = 6
    assert _interval(attack(primary_only(cells, follow=False), relations), n) == (6.0, 6.0)
    out = control(cells, relations)
    assert not out.set_index("cell_id").loc[rate, "published"]
    assert out.set_index("cell_id").loc[pop, "published"]  # exempt numbers are published
    assert attack(out, relations)["safe"].all()


def test_county_minus_the_other_csps_recovers_a_csp_unless_controlled():
    b = CellBuilder()
    ids = {a: b.count(table="people.repeats", area=a, row="suspects", column="repeat people", value=v)
           for a, v in [("North", 4), ("South", 1500), ("East", 35), ("county", 1539)]}
    b.sum_over_areas("people.repeats")
    cells, relations = b.frame()
    assert _interval(attack(primary_only(cells), relations), ids["North"]) == (4.0, 4.0)  # 1539 - 1500 - 35
    out = control(cells, relations)
    result = attack(out, relations)
    # East (35, a CSP) is withheld rather than the county total: North + East = 39
    assert set(out.loc[~out["published"], "cell_id"]) == {ids["North"], ids["East"]}
    assert _interval(result, ids["North"]) == (0.0, 39.0) and result["safe"].all()


def test_mean_of_a_single_hidden_offence_gives_the_count_and_is_withheld():
    b = CellBuilder()
    n = b.count(table="harm", area="North", row="knife", column="offences", value=1)
    harm = b.derived(table="harm", area="North", row="knife", column="harm", value=1234.5, of=[n], decimals=1)
    mean = b.derived(table="harm", area="North", row="knife", column="mean harm", value=1234.5, of=[harm, n],
                     op="ratio", scale=1, decimals=1)
    cells, relations = b.frame()
    # harm / n in [1234.45, 1234.55] with harm = 1234.5 published  =>  n in [0.99996, 1.00004]  =>  n = 1
    assert _interval(attack(primary_only(cells, follow=False), relations), n) == (1.0, 1.0)
    out = control(cells, relations).set_index("cell_id")
    assert out.loc[harm, "suppressed_why"] == f"follows:{n}"
    assert out.loc[mean, "suppressed_why"].startswith("follows:")  # recursively, via the harm total


def test_cross_table_same_count_is_withheld_in_both_places():
    b = CellBuilder()
    a = b.count(table="people.repeats", area="North", row="suspects", column="repeat people", value=3)
    a2 = b.count(table="people.summary", area="North", row="repeat suspects", column="people", value=3)
    b.same(a, a2)
    cells, relations = b.frame()
    out = control(cells, relations).set_index("cell_id")
    assert not out.loc[a, "published"] and not out.loc[a2, "published"]


def test_planted_leak_is_found_and_controlled_book_is_clean_across_areas_and_tables():
    """A small publication: two CSPs and the county, a 2-D table per area, one figure in two tables."""
    rng = np.random.default_rng(3)
    b = CellBuilder()
    frames = {}
    for area in ("North", "South"):
        inner = pd.DataFrame(rng.integers(0, 25, size=(3, 2)), columns=["male", "female"], index=["u18", "18-24", "25+"])
        frames[area] = inner
    frames["county"] = frames["North"] + frames["South"]
    for area, inner in frames.items():
        f = inner.copy()
        f["all"] = f.sum(axis=1)
        f.loc["all"] = f.sum(axis=0)
        declare_frame(b, f, table="victims", area=area, count_columns=["male", "female", "all"], total_row="all",
                      total_col="all")
    b.sum_over_areas("victims")
    cells, relations = b.frame()
    leaky = attack(primary_only(cells), relations)
    assert not leaky.empty and not leaky["safe"].all()
    out = control(cells, relations)
    assert attack(out, relations)["safe"].all()


# ----------------------------------------------------------------------------- brute force


def _brute_force(cells: pd.DataFrame, relations: pd.DataFrame, top: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Exhaustive min/max of every hidden count over all integer assignments in 0..top[cell]."""
    hidden = cells.loc[~cells["published"], "cell_id"].tolist()
    known = dict(zip(cells["cell_id"], cells["value"]))
    lo = {c: np.inf for c in hidden}
    hi = {c: -np.inf for c in hidden}
    for values in itertools.product(*(range(top[c] + 1) for c in hidden)):
        v = dict(known)
        v.update(zip(hidden, values))
        if all(v[t] == sum(v[p] for p in parts) for t, parts in zip(relations["total"], relations["parts"])):
            for c, x in zip(hidden, values):
                lo[c], hi[c] = min(lo[c], x), max(hi[c], x)
    return {c: (int(lo[c]), int(hi[c])) for c in hidden}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_attacker_bounds_equal_brute_force_enumeration(seed):
    rng = np.random.default_rng(seed)
    inner = pd.DataFrame(rng.integers(0, 6, size=(2, 3)), columns=["a", "b", "c"], index=["x", "y"])
    f = inner.copy()
    f["all"] = f.sum(axis=1)
    f.loc["all"] = f.sum(axis=0)
    b = CellBuilder()
    declare_frame(b, f, table="t", area="North", count_columns=["a", "b", "c", "all"], total_row="all",
                  total_col="all")
    cells, relations = b.frame()
    # hide a fixed pattern: the inner 2 x 2 block a..b and cell y,c (5 unknowns)
    ids = cells.set_index(["row", "column"])["cell_id"]
    hide = {ids[("x", "a")], ids[("x", "b")], ids[("y", "a")], ids[("y", "b")], ids[("y", "c")]}
    cells = cells.assign(published=~cells["cell_id"].isin(hide))
    cells["published_value"] = cells["value"].where(cells["published"])
    # a non-negative cell cannot exceed its published row or column total
    top = {ids[(r, c)]: int(min(f.loc[r, "all"], f.loc["all", c])) for r, c in
           [("x", "a"), ("x", "b"), ("y", "a"), ("y", "b"), ("y", "c")]}
    expected = _brute_force(cells, relations, top)
    got = attack(cells, relations, judge="all")
    for cid, (lo, hi) in expected.items():
        assert _interval(got, cid) == (lo, hi)
        assert bool(got.set_index("cell_id").loc[cid, "safe"]) == is_safe(lo, hi)


# ----------------------------------------------------------------------------- property


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4), st.integers(2, 4), st.data())
def test_after_control_every_small_cell_keeps_the_whole_range(n_rows, n_cols, data):
    values = data.draw(st.lists(st.sampled_from([0, 1, 2, 3, 5, 7, 8, 9, 12, 20, 40]),
                                min_size=n_rows * n_cols, max_size=n_rows * n_cols))
    inner = pd.DataFrame(np.array(values).reshape(n_rows, n_cols), columns=[f"c{j}" for j in range(n_cols)],
                         index=[f"r{i}" for i in range(n_rows)])
    f = inner.copy()
    f["all"] = f.sum(axis=1)
    f.loc["all"] = f.sum(axis=0)
    b = CellBuilder()
    declare_frame(b, f, table="t", area="North", count_columns=[*inner.columns, "all"], total_row="all",
                  total_col="all")
    cells, relations = b.frame()
    out = control(cells, relations)
    result = attack(out, relations).set_index("cell_id")
    primary = out.loc[out["suppressed_why"] == "primary", "cell_id"]
    for cid in primary:
        lo, hi = result.loc[cid, ["lo", "hi"]]
        assert lo <= 1 and hi >= 7, (cid, lo, hi)
    assert result["safe"].all()
