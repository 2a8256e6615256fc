"""The published store: byte-deterministic, no withheld value inside it, readable, attackable."""

from __future__ import annotations

import math

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sna_lib.publication.disclosure import is_suppressed
from sna_lib.publication.attack import attack
from sna_lib.publication.cells import CellBuilder, declare_frame
from sna_lib.publication.control import control
from sna_lib.publication.store import FILES, PublishedStore, write_store


def _publication():
    b = CellBuilder()
    t = pd.DataFrame({"people": [61, 30, 91], "repeats": [3, 40, 43], "records": [64, 70, 134]},
                     index=["Suspects", "Victims", "All"])
    declare_frame(b, t, table="people.repeats", area="Brackenford", count_columns=["people", "repeats", "records"],
                  total_row="All", total_col="records")
    n = b.count(table="context", area="Brackenford", row="2023", column="sv", value=6)
    b.derived(table="context", area="Brackenford", row="2023", column="sv %", value=0.6, of=[n], decimals=1)
    b.exempt(table="context", area="Brackenford", row="2023", column="year", value=2023, reason="period label")
    b.count(table="context", area="Brackenford", row="2022", column="sv", value=None)
    cells, relations = b.frame()
    return control(cells, relations), relations


def test_store_round_trip_values_markers_and_missing(tmp_path):
    out, relations = _publication()
    write_store(tmp_path / "store", out, relations, {"period": {"start": "2019-01-01", "end": "2023-12-31"}})
    store = PublishedStore(tmp_path / "store")
    table = store.table("people.repeats", "Brackenford")
    assert table.index.tolist() == ["Suspects", "Victims", "All"]
    assert table.columns.tolist() == ["people", "repeats", "records"]
    assert is_suppressed(table.loc["Suspects", "repeats"])
    assert table.loc["All", "records"] == 134 and isinstance(table.loc["All", "records"], int)
    assert is_suppressed(store.value("context", "Brackenford", "2023", "sv %"))
    assert store.value("context", "Brackenford", "2023", "year") == 2023
    assert math.isnan(store.value("context", "Brackenford", "2022", "sv"))
    assert store.display_table("context", "Brackenford").loc["2022", "sv"] == "–"
    assert store.table("people.repeats", "Brackenford", display=True).loc["All", "records"] == "134"
    assert store.text("context", "Brackenford", "2023", "sv %") == "[c]"
    assert store.text("context", "Brackenford", "2023", "year") == "2023"
    with pytest.raises(KeyError, match="not a declared cell"):
        store.value("context", "Brackenford", "2023", "undeclared")
    with pytest.raises(KeyError, match="no published table"):
        store.table("nope", "Brackenford")
    assert store.provenance["period"]["end"] == "2023-12-31"
    assert store.provenance["disclosure"]["suppress_max"] == 7


def test_tables_are_pivoted_once_and_handed_out_as_copies(tmp_path):
    """A caller changing the table it got must not change what the next caller reads; cells found
    by index agree with a boolean-mask lookup over the raw cells for every declared cell."""
    out, relations = _publication()
    write_store(tmp_path / "store", out, relations, {"period": {"start": "2019-01-01", "end": "2023-12-31"}})
    store = PublishedStore(tmp_path / "store")
    first = store.table("people.repeats", "Brackenford")
    first.loc["All", "records"] = -1
    shown = store.display_table("people.repeats", "Brackenford")
    shown.loc["All", "records"] = "x"
    assert store.table("people.repeats", "Brackenford").loc["All", "records"] == 134
    assert store.display_table("people.repeats", "Brackenford").loc["All", "records"] == "134"
    cells = store.cells
    for table, area, row, column in zip(cells["table"], cells["area"], cells["row"], cells["column"]):
        hit = cells[(cells["table"] == table) & (cells["area"] == area) & (cells["row"] == row)
                    & (cells["column"] == column)].iloc[0]
        expected = "[c]" if not bool(hit["published"]) else str(hit["display"])
        assert store.text(table, area, row, column) == expected


def test_withheld_values_and_reasons_never_reach_the_store_folder(tmp_path):
    out, relations = _publication()
    hidden = out[~out["published"]]
    assert len(hidden) >= 3  # repeats 3, its complement(s), sv 6 and its share
    private = tmp_path / "private" / "audit.parquet"
    write_store(tmp_path / "store", out, relations, {}, private_path=private)
    cells = pq.read_table(tmp_path / "store" / "cells.parquet").to_pandas().set_index("cell_id")
    assert "suppressed_why" not in cells.columns
    assert cells.loc[hidden["cell_id"], "value"].isna().all()
    assert (cells.loc[hidden["cell_id"], "display"] == "[c]").all()
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == sorted(FILES)
    audit = pq.read_table(private).to_pandas().set_index("cell_id")
    assert audit.loc[hidden["cell_id"], "value"].tolist() == hidden["value"].tolist()
    with pytest.raises(ValueError, match="inside the published store"):
        write_store(tmp_path / "store", out, relations, {}, private_path=tmp_path / "store" / "x.parquet")


def test_store_bytes_are_deterministic(tmp_path):
    out, relations = _publication()
    write_store(tmp_path / "a", out, relations, {"inputs": {"crimes.parquet": "abc"}, "code": "1.0"})
    out2, relations2 = _publication()
    write_store(tmp_path / "b", out2, relations2, {"code": "1.0", "inputs": {"crimes.parquet": "abc"}})
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_uncontrolled_cells_and_bad_provenance_are_refused(tmp_path):
    b = CellBuilder()
    b.count(table="t", area="A", row="r", column="n", value=3)
    cells, relations = b.frame()
    with pytest.raises(KeyError, match="control"):
        write_store(tmp_path / "s", cells, relations, {})
    with pytest.raises(ValueError, match="JSON"):
        write_store(tmp_path / "s", control(cells, relations), relations, {"when": object()})


def test_attacker_on_the_store_alone_finds_nothing(tmp_path):
    out, relations = _publication()
    private = tmp_path / "audit.parquet"
    write_store(tmp_path / "store", out, relations, {}, private_path=private)
    store = PublishedStore(tmp_path / "store")
    audit = pq.read_table(private).to_pandas()
    primary = audit.loc[audit["suppressed_why"] == "primary", "cell_id"]
    # bounds come from the store alone; the audit file only says which cells were small
    result = attack(store.cells, store.relations, judge=primary)
    assert set(result["cell_id"]) == set(out.loc[~out["published"] & (out["kind"] == "count"), "cell_id"])
    assert result["safe"].all()
    small = result.set_index("cell_id").loc[primary]
    assert (small["lo"] <= 1).all() and (small["hi"] >= 7).all()
