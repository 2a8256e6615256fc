"""The definition contract lives in the data layer (``sna_lib.data.definitions``); classification
(``sna_lib.measures.classify``) applies it. Parsing and classification behaviour is tested in
``test_classify.py`` / ``test_open_contract.py``; here: one copy, and one wording for a reused id."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sna_lib.data import definitions
from sna_lib.data.validate import _definition_problems
from sna_lib.errors import DataValidationError, Problem
from sna_lib.measures import classify


@pytest.mark.parametrize("name", ["FLAG_COLUMNS", "LOCATION_TYPES", "Definition", "available_definitions",
                                  "load_definition", "load_definitions", "parse_definition",
                                  "primary_definition"])
def test_classify_re_exports_the_data_layer_objects(name):
    # the names tests, notebooks and docs import from measures.classify are the data layer's
    # objects, not a second copy
    assert getattr(classify, name) is getattr(definitions, name)


def test_flag_and_location_codes_are_the_crimes_contract():
    from sna_lib.data.schemas import TABLES

    crimes = {c.name: c for c in TABLES["crimes"].columns}
    assert definitions.FLAG_COLUMNS == ("knife", "firearm", "other_weapon", "county_lines", "gang")
    assert all(crimes[f].kind == "bool" for f in definitions.FLAG_COLUMNS)
    assert tuple(crimes["location_type"].allowed) == definitions.LOCATION_TYPES == ("dwelling", "public")


def test_reused_id_has_one_wording_in_loading_and_in_validation(tmp_path):
    own = tmp_path / "defs" / "mine.yaml"
    own.parent.mkdir()
    own.write_text("id: partnership\nname: Mine\noffence_groups: [robbery]\n", encoding="utf-8")
    reason = "definition id 'partnership' is used by more than one definition"
    with pytest.raises(DataValidationError) as err:
        definitions.load_definitions(["partnership", str(own)])
    assert err.value.problems == [Problem(str(own), "id", None, reason)]
    # sna validate lists it too, the file named relative to the data folder
    config = SimpleNamespace(definitions=("partnership", str(own)), data_level="full")
    assert _definition_problems(config, tmp_path) == [Problem("defs/mine.yaml", "id", None, reason)]
