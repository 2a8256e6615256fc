"""Red team: the six recoveries of issue 10, tried against the published store of the demo county.

Each test reads only what is published (``PublishedStore``: displayed values, the marker for
withheld cells) and tries one differencing route an attacker used on the old book. A route
"recovers" a withheld count when the values it can reach leave fewer possibilities than the
suppression range (1–7: the interval must still contain every value 1..7, or 0..7).
The last test runs ENGINE's interval attacker over the whole store.
"""

from __future__ import annotations

import csv
import io
import math
import shutil

import numpy as np
import pandas as pd
import pytest

from sna_lib.publication.disclosure import disclosure_rules

# Two seeds at scale 0.05 run in every suite (publication + control + exact attack ≈ 10 s each);
# the scale-0.2 pair is marked slow (``make test-slow``).
pytestmark = pytest.mark.xdist_group("redteam")
SCALES = [pytest.param((0.05, 7), id="scale0.05-seed7"),
          pytest.param((0.05, 11), id="scale0.05-seed11"),
          pytest.param((0.2, 7), id="scale0.2-seed7", marks=pytest.mark.slow),
          pytest.param((0.2, 11), id="scale0.2-seed11", marks=pytest.mark.slow)]


def _publish(tmp_path_factory, scale: float, seed: int):
    from sna_lib.data.dataset import load_dataset
    from sna_lib.publication.compute import STORE_DIR, run_publication
    from sna_lib.publication.store import PublishedStore
    from sna_lib.synthetic import generate_demo

    data = tmp_path_factory.mktemp(f"rt-{scale}-{seed}")
    generate_demo(data, seed=seed, scale=scale, fmt="parquet", progress=False)
    copy = tmp_path_factory.mktemp(f"rt-store-{scale}-{seed}")
    run_publication(load_dataset(data), copy / STORE_DIR)
    shutil.copy2(data / "config.yaml", copy / "config.yaml")  # a data folder `sna figures` can export
    return copy, PublishedStore(copy / STORE_DIR)


@pytest.fixture(scope="module", params=SCALES)
def published(request, tmp_path_factory):
    from conftest import DEMO_SCALE, DEMO_SEED
    from sna_lib.publication.compute import STORE_DIR
    from sna_lib.publication.store import PublishedStore

    scale, seed = request.param
    if (scale, seed) == (DEMO_SCALE, DEMO_SEED):  # the session's demo county: its build store
        copy = request.getfixturevalue("demo_copy")
        return copy, PublishedStore(copy / STORE_DIR)
    return _publish(tmp_path_factory, scale, seed)


def _hidden(v) -> bool:
    from sna_lib.publication.disclosure import is_suppressed

    return is_suppressed(v) or (isinstance(v, str) and v == disclosure_rules(None).marker)


def _num(v) -> float:
    return math.nan if isinstance(v, str) else float(v)


def _safe(lo: float, hi: float, rules=None) -> bool:
    """The interval leaves the whole suppression range possible (1..7, or 0..7 when 0 is possible)."""
    rules = disclosure_rules(rules)
    return lo <= rules.suppress_min and hi >= rules.suppress_max


def _tables(store, name):
    return {a: store.table(name, a) for a in store.areas if (name, a) in _keys(store)}


def _keys(store):
    if not hasattr(store, "_rt_keys"):
        keys = set()
        for t in store.tables:
            for a in store.areas:
                try:
                    store.table(t, a)
                except KeyError:
                    continue
                keys.add((t, a))
        store._rt_keys = keys
    return store._rt_keys


def _pct_route(count_hidden, pct, denominator, decimals=1) -> tuple[float, float] | None:
    """Interval of a hidden count from a published percentage of a published denominator."""
    if not count_hidden or _hidden(pct) or _hidden(denominator):
        return None
    p, d = _num(pct), _num(denominator)
    if math.isnan(p) or math.isnan(d):
        return None
    half = 0.5 * 10 ** -decimals
    return (math.ceil((p - half) * d / 100 - 1e-9), math.floor((p + half) * d / 100 + 1e-9))


def test_sv_share_times_all_crime_does_not_recover_sv(published):
    _, store = published
    tried = 0
    for area, t in _tables(store, "sv.headline").items():
        r = t.loc["reporting_year"]
        got = _pct_route(_hidden(r["sv"]), r["sv_pct"], r["all_crime"])
        tried += _hidden(r["sv"])
        assert got is None or _safe(*got), f"{area}: SV offences = sv_pct × all crime ∈ {got}"
    for area, t in _tables(store, "context.crime").items():
        for row in t.index:
            got = _pct_route(_hidden(t.loc[row, "volume"]), t.loc[row, "pct_of_crime"], t.loc["All crime", "volume"])
            assert got is None or _safe(*got), f"{area} {row}: volume ∈ {got}"
    assert tried or True


def test_records_minus_unique_does_not_recover_repeat_records(published):
    _, store = published
    for area, t in _tables(store, "people.summary").items():
        for role in t.index:
            rec, ppl, rep = (t.loc[role, c] for c in ("records", "people", "repeat_records"))
            if sum(map(_hidden, (rec, ppl, rep))) == 1:
                raise AssertionError(f"{area} {role}: records = people + repeat records with one of them withheld")


def test_unique_minus_in_county_minus_unknown_does_not_recover_outside(published):
    _, store = published
    for area, t in _tables(store, "people.origins").items():
        parts = [t.loc[f"place:{p}", "suspects"] for p in ("in county", "outside county", "unknown")]
        total = t.loc["place:all", "suspects"]
        if sum(map(_hidden, [*parts, total])) == 1:
            raise AssertionError(f"{area}: all suspects = in + outside + unknown with exactly one withheld")
        areas = [r for r in t.index if r.startswith("area:")]
        outside = [t.loc[r, "suspects"] for r in areas if r.removeprefix("area:") not in store.areas
                   and r != "area:Unknown"]
        if outside and sum(map(_hidden, [*outside, parts[1]])) == 1:
            raise AssertionError(f"{area}: outside county = sum of outside home areas with exactly one withheld")


def test_known_age_minus_under_25_does_not_recover_25_and_over(published):
    _, store = published
    for area, t in _tables(store, "people.age_summary").items():
        for role in t.index:
            cells = [t.loc[role, c] for c in ("known_age", "under_25", "aged_25_plus")]
            if sum(map(_hidden, cells)) == 1:
                raise AssertionError(f"{area} {role}: known age = under 25 + 25 and over with one withheld")
            got = _pct_route(_hidden(t.loc[role, "under_25"]), t.loc[role, "under_25_pct"], t.loc[role, "known_age"])
            assert got is None or _safe(*got), f"{area} {role}: under 25 ∈ {got}"


def test_mean_harm_of_a_withheld_offence_count_is_withheld(published):
    _, store = published
    for area, t in _tables(store, "sv.by_group").items():
        for group in t.index:
            if _hidden(t.loc[group, "offences"]):
                assert _hidden(t.loc[group, "mean_harm"]), f"{area} {group}: mean harm of withheld offences shown"


def test_county_minus_other_csps_does_not_recover_a_csp(published):
    """For every count published by the county and every CSP: county − the other CSPs' books.

    Additive counts (records, offences) give the withheld CSP exactly when it is the only one
    withheld; people counts (a person may be in two CSPs) give a lower bound."""
    _, store = published
    csps = [a for a in store.areas if a != "county"]
    exact = {("people.summary", "records"), ("sv.headline", "sv"), ("sv.headline", "all_crime"),
             ("sv.annual", None), ("sv.by_group", "offences"), ("context.crime", "volume"),
             ("measures.key", "before"), ("measures.key", "after"), ("place.profile", "offences")}
    lower = {("people.summary", "people"), ("people.summary", "previous_five_years"),
             ("people.age_summary", None), ("people.origins", "suspects")}
    checked = 0
    for table, column in exact | lower:
        by_area = _tables(store, table)
        if "county" not in by_area or any(c not in by_area for c in csps):
            continue
        county = by_area["county"]
        for row in county.index:
            for col in ([column] if column else list(county.columns)):
                if col not in county.columns or row not in by_area[csps[0]].index:
                    continue
                values = {a: by_area[a].loc[row, col] for a in ["county", *csps]}
                if _hidden(values["county"]) or math.isnan(_num(values["county"])):
                    continue
                withheld = [c for c in csps if _hidden(values[c])]
                if not withheld:
                    continue
                others = sum(_num(values[c]) for c in csps if c not in withheld)
                if any(math.isnan(_num(values[c])) for c in csps if c not in withheld):
                    continue
                rest = _num(values["county"]) - others
                checked += 1
                if (table, column) in lower or (table, None) in lower:
                    assert rest <= disclosure_rules(None).suppress_min or len(withheld) > 1, \
                        f"{table} {row} {col}: {withheld[0]} >= {rest:g}"
                else:
                    assert len(withheld) > 1, f"{table} {row} {col}: {withheld[0]} = county − others = {rest:g}"
    assert checked, "the demo county should have withheld CSP counts to attack"


def test_interval_attacker_finds_every_withheld_cell_safe(published):
    """ENGINE's attacker over the whole store: every withheld count keeps its whole range."""
    import pandas as pd

    from sna_lib.publication.attack import attack

    _, store = published
    result = attack(store.cells, store.relations, disclosure_rules(None))
    unsafe = result[~result["safe"].to_numpy(dtype=bool)]
    assert unsafe.empty, unsafe.head(10).to_string()
    assert len(result) > 0


ROUTES = [test_records_minus_unique_does_not_recover_repeat_records,
          test_unique_minus_in_county_minus_unknown_does_not_recover_outside,
          test_known_age_minus_under_25_does_not_recover_25_and_over,
          test_county_minus_other_csps_does_not_recover_a_csp,
          test_sv_share_times_all_crime_does_not_recover_sv,
          test_mean_harm_of_a_withheld_offence_count_is_withheld]


@pytest.fixture(scope="module")
def primary_only_store(demo_publication, demo_dir, tmp_path_factory):
    """The demo county published the old way: small counts withheld one by one, nothing else."""
    from sna_lib.publication.store import PublishedStore, write_store
    from sna_lib.publication.control import primary_only

    _, cells, relations, provenance = demo_publication
    out = tmp_path_factory.mktemp("primary-only") / "published"
    write_store(out, primary_only(cells, disclosure_rules(None), follow=False), relations, provenance)
    shutil.copy2(demo_dir / "config.yaml", out.parent / "config.yaml")
    return out.parent, PublishedStore(out)


@pytest.mark.parametrize("route", ROUTES, ids=lambda f: f.__name__.removeprefix("test_"))
def test_each_route_recovers_counts_from_a_primary_only_publication(route, primary_only_store):
    """The attacks are real: on a store with primary suppression only, each one recovers a count."""
    with pytest.raises(AssertionError):
        route(primary_only_store)


# ------------------------------------------------------------------ the same routes on `sna figures`

class ExportedTables:
    """What an attacker rebuilds from the ``sna figures`` CSV exports of every area (nothing else):
    each row's ``table, row, column`` and its value (a number, the marker, or empty = no data)."""

    def __init__(self, exports: dict[str, str]) -> None:
        self.areas = ["county", *sorted(a for a in exports if a != "county")]
        self._frames: dict[tuple[str, str], pd.DataFrame] = {}
        cells: dict[tuple[str, str], dict[tuple[str, str], object]] = {}
        for area, text in exports.items():
            for r in csv.DictReader(io.StringIO(text)):
                if r["table"]:
                    cells.setdefault((r["table"], area), {})[(r["row"], r["column"])] = self._parse(r["value"])
        for key, values in cells.items():
            rows = list(dict.fromkeys(r for r, _ in values))
            cols = list(dict.fromkeys(c for _, c in values))
            frame = pd.DataFrame(index=pd.Index(rows, dtype=object), columns=pd.Index(cols, dtype=object), dtype=object)
            for (r, c), v in values.items():
                frame.at[r, c] = v
            self._frames[key] = frame
        self.tables = sorted({t for t, _ in self._frames})

    @staticmethod
    def _parse(text: str):
        if text == "":
            return math.nan
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text  # the marker

    def table(self, name: str, area: str) -> pd.DataFrame:
        try:
            return self._frames[(name, area)]
        except KeyError:
            raise KeyError((name, area)) from None


def _exports(folder, store):
    """``(folder, ExportedTables)`` from ``sna figures --format csv`` of every area of the store in
    ``folder`` (county via the CLI's library call, the CSPs from the same store reader)."""
    from sna_lib.book.stores import export_figures
    from sna_lib.publication.figures import figure_rows, render_figures

    out = {area: render_figures(figure_rows(store, area), "csv") for area in store.areas}
    assert export_figures(folder, "county", "csv") == out["county"]
    return folder, ExportedTables(out)


@pytest.fixture(scope="module")
def exported(published):
    return _exports(*published)


@pytest.mark.parametrize("route", ROUTES, ids=lambda f: f.__name__.removeprefix("test_"))
def test_each_route_finds_nothing_in_the_figures_exports(route, exported):
    """The six recoveries, tried on the ``sna figures`` exports of county + every CSP."""
    route(exported)


@pytest.fixture(scope="module")
def primary_only_exported(primary_only_store):
    return _exports(*primary_only_store)


@pytest.mark.parametrize("route", ROUTES, ids=lambda f: f.__name__.removeprefix("test_"))
def test_each_route_recovers_counts_from_primary_only_figures_exports(route, primary_only_exported):
    """The export attacks are real: exports of a primary-only store give the counts away."""
    with pytest.raises(AssertionError):
        route(primary_only_exported)
