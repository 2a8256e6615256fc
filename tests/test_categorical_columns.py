"""Repeated text of the record tables held as sorted Categoricals (memory at national scale):
the values, their order and the prepared origins are those of the plain strings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hostile.builder import OFFENCE_CODES, build_valid_dir
from hostile.cases import read

from sna_lib.data import validate as validate_module
from sna_lib.data.dataset import load_dataset
from sna_lib.data.codes import categorical
from sna_lib.data.schemas import TABLES
from sna_lib.publication.compute import _origins, positions_in


def test_categorical_keeps_values_and_sorts_like_the_strings():
    rng = np.random.default_rng(3)
    words = np.array(["b", "a", "Ab", "ä", "a ", "", "Z"], dtype=object)
    raw = pd.Series(words[rng.integers(0, len(words), 200)], dtype="str")
    raw[::17] = np.nan
    cat = pd.Series(categorical(raw))
    # same values (missing kept missing) and the strings' own order, stable sort by both
    assert cat.astype("str").equals(raw)
    assert cat.cat.categories.tolist() == sorted(set(raw.dropna()))
    assert cat.sort_values(kind="mergesort").index.tolist() == raw.sort_values(kind="mergesort").index.tolist()
    # an unsorted categorical (e.g. a user's Parquet file) is put into sorted order; a sorted one is kept
    shuffled = pd.Series(pd.Categorical(raw, categories=["b", "a", "Z", "ä", "Ab", "a ", ""]))
    again = categorical(shuffled)
    assert again.categories.tolist() == cat.cat.categories.tolist() and pd.Series(again).astype("str").equals(raw)
    assert np.shares_memory(categorical(cat).codes, cat.array.codes)  # not copied again


def test_origins_cleaned_on_names_equal_the_row_by_row_cleaning():
    rng = np.random.default_rng(5)
    names = np.array([" North", "North", "", "  ", "Unknown", "South ", None], dtype=object)
    raw = pd.Series(names[rng.integers(0, len(names), 300)], dtype="str")
    by_row = raw.fillna("Unknown").str.strip()                  # the cleaning done on every row
    by_row = by_row.mask(by_row == "", "Unknown")
    out = _origins(pd.Series(categorical(raw)))
    assert pd.Series(out).astype("str").tolist() == by_row.tolist()
    assert out.categories.tolist() == sorted(set(by_row))       # no unused names left
    assert pd.Series(_origins(raw)).astype("str").tolist() == by_row.tolist()


def test_loaded_record_columns_are_categorical_with_the_files_values(tmp_path, monkeypatch):
    monkeypatch.setattr(validate_module, "known_offence_codes", lambda: OFFENCE_CODES)
    folder = build_valid_dir(tmp_path / "tiny")
    ds = load_dataset(folder)
    for table in ("crimes", "persons", "population"):
        frame, raw = getattr(ds, table), read(folder, table)
        flagged = [c.name for c in TABLES[table].columns if c.categorical]
        assert flagged, table
        for name in flagged:
            assert isinstance(frame[name].dtype, pd.CategoricalDtype), (table, name)
            text = raw[name].astype("str").str.strip()
            expected = text.mask(text == "").str.upper() if name == "offence_code" else text.mask(text == "")
            assert frame[name].astype("str").tolist() == expected.tolist(), (table, name)
        assert all(not isinstance(frame[c].dtype, pd.CategoricalDtype) for c in frame if c not in flagged)


def test_positions_of_a_categorical_equal_those_of_its_strings():
    rng = np.random.default_rng(11)
    lookup = pd.Series(["E3", "E1", "E2", "E9"], dtype="str")
    raw = pd.Series(np.array(["E1", "E2", "E3", "X", None], dtype=object)[rng.integers(0, 5, 100)], dtype="str")
    expected = positions_in(raw, lookup)
    assert set(expected.tolist()) == {-1, 0, 1, 2}
    assert positions_in(pd.Series(categorical(raw)), lookup).tolist() == expected.tolist()
    with pytest.raises(ValueError, match="not distinct"):
        positions_in(pd.Series(categorical(raw)), pd.Series(["E1", "E1"], dtype="str"))


def test_text_of_a_categorical_column_is_trimmed_as_every_row_would_be():
    """A validated copy's text columns read back as Categoricals: coercing one trims its distinct
    values only, which must give the values, blanks and dtype of trimming every row in Python."""
    from sna_lib.data.schemas import ColumnSpec, _stripped_text, coerce_column

    rng = np.random.default_rng(11)
    words = np.array([" E01000001", "E01000001", "", "   ", "x\t", "Ynys Môn ", None], dtype=object)
    values = list(words[rng.integers(0, len(words), 500)])
    raw = pd.Series(values, index=np.arange(500) * 3, name="home_lsoa", dtype="str")
    cat = pd.Series(pd.Categorical(raw), index=raw.index, name=raw.name)
    by_row = [None if v is None else v.strip() for v in values]            # independent: Python's strip
    text, blank = _stripped_text(cat)
    assert [None if pd.isna(v) else v for v in text] == by_row
    assert blank.tolist() == [v is None or v == "" for v in by_row]
    assert text.dtype == "str" and text.index.equals(raw.index) and text.name == "home_lsoa"
    for uppercase in (False, True):
        spec = ColumnSpec("home_lsoa", "code", nullable=True, uppercase=uppercase)
        got, bad, _ = coerce_column(cat, spec)
        want, want_bad, _ = coerce_column(raw.astype("str"), spec)
        assert got.equals(want) and got.dtype == want.dtype and not bad.any() and not want_bad.any()
    # numeric categories are converted row by row, as before (a missing value makes them floats)
    numbers = pd.Series(pd.Categorical([1, None, 2]))
    assert _stripped_text(numbers)[0].tolist()[::2] == ["1.0", "2.0"]
