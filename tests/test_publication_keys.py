"""Integer keys of the publication stage's preparation, against independent look-ups.

``prepare`` matches string ids once (Arrow hash join) and carries integer keys on the person
links; the tables then select by those keys. Each helper is checked against a plain-Python or
pandas computation of the same thing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sna_lib.publication.compute import member, positions_in, prepare, series_dict


def test_positions_in_is_a_dict_lookup_of_distinct_values():
    rng = np.random.default_rng(3)
    lookup = pd.Series([f"E{n:08d}" for n in rng.permutation(500)], dtype="str")
    values = pd.Series([f"E{n:08d}" for n in rng.integers(0, 700, 2000)], dtype="str")
    values[::97] = None
    where = {v: i for i, v in enumerate(lookup)}
    expected = [where.get(v, -1) if isinstance(v, str) else -1 for v in values]
    assert positions_in(values, lookup).tolist() == expected
    # object / pandas "string" inputs give the same answer as Arrow-backed str
    assert positions_in(values.astype(object), lookup.astype("string")).tolist() == expected
    with pytest.raises(ValueError, match="not distinct"):
        positions_in(values, pd.Series(["a", "a"]))


def test_member_is_numpy_isin_including_minus_one():
    rng = np.random.default_rng(5)
    codes = rng.integers(-1, 300, 5000)
    of = rng.integers(-1, 300, 40)
    np.testing.assert_array_equal(member(codes, of), np.isin(codes, of))
    assert not member(codes, np.array([], dtype="int64")).any()
    assert member(np.array([], dtype="int64"), of).shape == (0,)


def test_series_dict_is_series_get():
    s = pd.Series([1.5, np.nan, 3.0], index=pd.Index(["a", "b", "c"], dtype="str"))
    d = series_dict(s)
    for key in ("a", "c", "z"):
        assert d.get(key, -1) == s.get(key, -1)
    assert np.isnan(d["b"]) and list(d) == ["a", "b", "c"]


@pytest.fixture(scope="module")
def prepared(demo_dir):
    from sna_lib.data.dataset import load_dataset

    ds = load_dataset(demo_dir)
    return ds, prepare(ds)


def test_link_keys_point_at_their_crime_and_code_people_one_to_one(prepared):
    ds, prep = prepared
    links = prep.links
    # crime: the row of prep.crimes with the link's crime id
    assert (prep.crimes["crime_id"].to_numpy()[links["crime"].to_numpy()] == links["crime_id"].to_numpy()).all()
    # person: one code per person id, both ways
    pairs = links[["person_id", "person"]].drop_duplicates()
    assert pairs["person_id"].is_unique and pairs["person"].is_unique
    # the links are the persons rows whose crime exists, once per (crime, person, role), in file order
    known = ds.persons[ds.persons["crime_id"].isin(set(ds.crimes["crime_id"]))]
    expected = known.drop_duplicates(["crime_id", "person_id", "role"])
    assert links["crime_id"].tolist() == expected["crime_id"].tolist()
    assert links["person_id"].tolist() == expected["person_id"].tolist()
    # area and year come from the linked crime (by an independent merge on the id)
    merged = expected[["crime_id"]].merge(prep.crimes[["crime_id", "area", "year"]], on="crime_id", how="left")
    assert links["year"].tolist() == merged["year"].tolist()
    assert links["area"].fillna("-").tolist() == merged["area"].fillna("-").tolist()


def test_crime_areas_are_the_geography_lookup(prepared):
    ds, prep = prepared
    expected = ds.crimes["lsoa_code"].map(dict(zip(ds.geography["lsoa_code"], ds.geography["area"])))
    assert prep.crimes["area"].fillna("-").tolist() == expected.fillna("-").tolist()


def test_links_skip_unknown_crimes_and_repeated_links(prepared):
    """Persons rows whose crime is absent are left out and a repeated (crime, person, role) is kept
    once (the first), as an independent pandas filter does."""
    import dataclasses

    ds, _ = prepared
    crimes = ds.crimes.iloc[25:].reset_index(drop=True)               # some persons now link nowhere
    persons = pd.concat([ds.persons, ds.persons.iloc[[3, 40, 3]]], ignore_index=True)
    odd = dataclasses.replace(ds, crimes=crimes, persons=persons)
    links = prepare(odd).links
    expected = persons[persons["crime_id"].isin(set(crimes["crime_id"]))].drop_duplicates(
        ["crime_id", "person_id", "role"])
    assert len(expected) < len(persons) - 3
    assert links["crime_id"].tolist() == expected["crime_id"].tolist()
    assert links["person_id"].tolist() == expected["person_id"].tolist()
    assert links["role"].tolist() == expected["role"].tolist()
    assert (crimes["crime_id"].to_numpy()[links["crime"].to_numpy()] == links["crime_id"].to_numpy()).all()
