"""Serious-violence definition files (YAML): the definition contract, read and checked.

A definition (``src/sna_lib/definitions/<id>.yaml`` or a partnership's own YAML file) says which
offence types are in scope, which flags are required, which locations count and whether
domestic abuse is excluded. This module reads a definition file, checks its keys, offence groups,
codes, flags and categories, and reports every problem with the file and key it is in
(:class:`sna_lib.errors.Problem`); :mod:`sna_lib.measures.classify` applies a parsed
:class:`Definition` to crimes.

Definition keys
---------------
``id`` (required, lower_snake_case), ``name`` (required), ``short_name``, ``description``,
``offence_groups`` / ``offence_codes`` (at least one; ONS groups from
:data:`sna_lib.reference.OFFENCE_GROUPS`, codes from the reference table),
``exclude_offence_codes``, ``always_include_groups`` / ``always_include_codes`` (in scope and
qualify without a flag), ``require_any_flag`` (subset of ``knife, firearm, other_weapon,
county_lines, gang``; empty = no flag needed), ``flag_reason`` (text used in the exclusion
reason), ``location_types`` (subset of ``dwelling, public``; absent = any),
``exclude_domestic_abuse`` (bool, default false).

Open-data definitions (``data_level: open``) select police.uk crime categories instead:
``categories`` (codes from :data:`sna_lib.data.schemas.POLICE_UK_CATEGORIES`) with ``id``,
``name``, ``short_name``, ``description`` and ``proxy_note``; no offence, flag, location or
domestic-abuse keys (police.uk publishes none of them).

Examples
--------
>>> d = load_definition("partnership")
>>> d.id, d.location_types, d.exclude_domestic_abuse
('partnership', ('public',), True)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sna_lib.data import safeyaml
from sna_lib.data.schemas import CATEGORY_CODES, FLAG_COLUMNS, LOCATION_TYPES
from sna_lib.errors import DataValidationError, Problem
from sna_lib.reference import OFFENCE_GROUPS, offences

__all__ = [
    "FLAG_COLUMNS",
    "LOCATION_TYPES",
    "Definition",
    "available_definitions",
    "load_definition",
    "load_definitions",
    "duplicate_id_problem",
    "parse_definition",
    "primary_definition",
]

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_KEYS = {
    "id", "name", "short_name", "description", "offence_groups", "offence_codes",
    "exclude_offence_codes", "always_include_groups", "always_include_codes", "require_any_flag",
    "flag_reason", "location_types", "exclude_domestic_abuse",
}
_OPEN_KEYS = {"id", "name", "short_name", "description", "data_level", "categories", "proxy_note"}


@dataclass(frozen=True)
class Definition:
    """A validated serious-violence definition (see module docstring for the keys)."""

    id: str
    name: str
    short_name: str
    description: str
    offence_groups: tuple[str, ...] = ()
    offence_codes: tuple[str, ...] = ()
    exclude_offence_codes: tuple[str, ...] = ()
    always_include_groups: tuple[str, ...] = ()
    always_include_codes: tuple[str, ...] = ()
    require_any_flag: tuple[str, ...] = ()
    flag_reason: str = ""
    location_types: tuple[str, ...] | None = None
    exclude_domestic_abuse: bool = False
    source: str = ""
    data_level: str = "full"
    categories: tuple[str, ...] = ()
    proxy_note: str = ""

    def in_scope_codes(self, table: pd.DataFrame | None = None) -> frozenset[str]:
        """Offence codes whose type is in scope (groups ∪ codes ∪ always-include, minus exclusions).

        Examples
        --------
        >>> d = load_definition("non_domestic_homicide")
        >>> sorted(d.in_scope_codes())
        ['1', '4.1', '4.10', '4.2']
        """
        table = offences() if table is None else table
        groups = set(self.offence_groups) | set(self.always_include_groups)
        codes = set(table.loc[table["offence_group"].isin(groups), "offence_code"])
        codes |= set(self.offence_codes) | set(self.always_include_codes)
        return frozenset(codes - set(self.exclude_offence_codes))

    def flag_free_codes(self, table: pd.DataFrame | None = None) -> frozenset[str]:
        """Offence codes that qualify without any flag (always-include rules)."""
        table = offences() if table is None else table
        codes = set(table.loc[table["offence_group"].isin(self.always_include_groups), "offence_code"])
        return frozenset((codes | set(self.always_include_codes)) - set(self.exclude_offence_codes))


def _str_list(raw: dict, key: str, source: str, problems: list[Problem],
              allowed: Iterable[str] | None = None, what: str = "value") -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        problems.append(Problem(source, key, None, f"must be a list, got {type(value).__name__}"))
        return ()
    out = []
    allowed_set = set(allowed) if allowed is not None else None
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            problems.append(Problem(source, key, None, f"entries must be text, got {item!r}"))
            continue
        text = str(item).strip()
        if allowed_set is not None and text not in allowed_set:
            hint = ", ".join(sorted(allowed_set)) if len(allowed_set) <= 15 else "see the reference table"
            problems.append(Problem(source, key, None, f"unknown {what} {text!r} (allowed: {hint})"))
            continue
        out.append(text)
    return tuple(out)


def parse_definition(raw: Any, source: str = "<definition>") -> Definition:
    """Validate a definition mapping (as read from YAML) and return a :class:`Definition`.

    Raises
    ------
    DataValidationError
        Listing every problem, with ``file`` = ``source`` and ``column`` = the YAML key.

    Examples
    --------
    >>> d = parse_definition({"id": "x", "name": "X", "offence_groups": ["robbery"]})
    >>> d.exclude_domestic_abuse, d.require_any_flag, d.location_types
    (False, (), None)
    >>> try:
    ...     parse_definition({"id": "x", "name": "X", "offence_groups": ["robery"], "colour": 1})
    ... except DataValidationError as err:
    ...     print([(p.column, p.reason[:29]) for p in err.problems])
    [('colour', 'unknown key (allowed: always_'), ('offence_groups', "unknown offence group 'robery")]
    """
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        raise DataValidationError([Problem(source, None, None,
                                           "a definition must be a YAML mapping of keys to values")])
    if raw.get("data_level", "full") == "open":
        return _parse_open_definition(raw, source)
    if raw.get("data_level", "full") != "full":
        raise DataValidationError([Problem(source, "data_level", None,
                                           f"must be 'full' or 'open', got {raw.get('data_level')!r}")])
    for key in sorted(set(raw) - _KEYS - {"data_level"}):
        problems.append(Problem(source, str(key), None,
                                f"unknown key (allowed: {', '.join(sorted(_KEYS))})"))
    ident = raw.get("id")
    if not isinstance(ident, str) or not _ID.match(ident):
        problems.append(Problem(source, "id", None, f"required, lower_snake_case text; got {ident!r}"))
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(source, "name", None, "required, non-empty text"))
    codes = set(offences()["offence_code"])
    groups = _str_list(raw, "offence_groups", source, problems, OFFENCE_GROUPS, "offence group")
    offence_codes = _str_list(raw, "offence_codes", source, problems, codes, "offence code")
    exclude = _str_list(raw, "exclude_offence_codes", source, problems, codes, "offence code")
    always_groups = _str_list(raw, "always_include_groups", source, problems, OFFENCE_GROUPS, "offence group")
    always_codes = _str_list(raw, "always_include_codes", source, problems, codes, "offence code")
    flags = _str_list(raw, "require_any_flag", source, problems, FLAG_COLUMNS, "flag")
    locations = (_str_list(raw, "location_types", source, problems, LOCATION_TYPES, "location type")
                 if "location_types" in raw else None)
    if "location_types" in raw and not locations and not any(p.column == "location_types" for p in problems):
        problems.append(Problem(source, "location_types", None, "must list at least one location type"))
    scope_keys = {"offence_groups", "offence_codes", "always_include_groups", "always_include_codes"}
    if (not groups and not offence_codes and not always_groups and not always_codes
            and not any(p.column in scope_keys for p in problems)):
        problems.append(Problem(source, "offence_groups", None,
                                "at least one of offence_groups / offence_codes / always_include_* is required"))
    exclude_da = raw.get("exclude_domestic_abuse", False)
    if not isinstance(exclude_da, bool):
        problems.append(Problem(source, "exclude_domestic_abuse", None, f"must be true or false, got {exclude_da!r}"))
    for key in ("short_name", "description", "flag_reason"):
        if key in raw and not isinstance(raw[key], str):
            problems.append(Problem(source, key, None, f"must be text, got {raw[key]!r}"))
    if problems:
        raise DataValidationError(problems)
    flag_reason = raw.get("flag_reason") or "no " + " / ".join(f.replace("_", "-") for f in flags) + " flag"
    return Definition(
        id=ident, name=name.strip(), short_name=str(raw.get("short_name") or name).strip(),
        description=str(raw.get("description") or "").strip(), offence_groups=groups,
        offence_codes=offence_codes, exclude_offence_codes=exclude, always_include_groups=always_groups,
        always_include_codes=always_codes, require_any_flag=flags, flag_reason=flag_reason,
        location_types=locations, exclude_domestic_abuse=bool(exclude_da), source=source,
    )


def _parse_open_definition(raw: dict, source: str) -> Definition:
    """An open-data (police.uk category) definition; see the module docstring.

    Examples
    --------
    >>> d = parse_definition({"id": "x", "name": "X", "data_level": "open", "categories": ["robbery"]})
    >>> d.data_level, d.categories
    ('open', ('robbery',))
    """
    problems: list[Problem] = []
    for key in sorted(set(raw) - _OPEN_KEYS):
        problems.append(Problem(source, str(key), None,
                                f"unknown key for an open-data definition (allowed: {', '.join(sorted(_OPEN_KEYS))})"))
    ident, name = raw.get("id"), raw.get("name")
    if not isinstance(ident, str) or not _ID.match(ident):
        problems.append(Problem(source, "id", None, f"required, lower_snake_case text; got {ident!r}"))
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(source, "name", None, "required, non-empty text"))
    categories = _str_list(raw, "categories", source, problems, CATEGORY_CODES, "police.uk category")
    if not categories and not any(p.column == "categories" for p in problems):
        problems.append(Problem(source, "categories", None, "at least one police.uk category is required"))
    for key in ("short_name", "description", "proxy_note"):
        if key in raw and not isinstance(raw[key], str):
            problems.append(Problem(source, key, None, f"must be text, got {raw[key]!r}"))
    if problems:
        raise DataValidationError(problems)
    return Definition(
        id=ident, name=name.strip(), short_name=str(raw.get("short_name") or name).strip(),
        description=str(raw.get("description") or "").strip(), source=source, data_level="open",
        categories=categories, proxy_note=str(raw.get("proxy_note") or "").strip(),
    )


def available_definitions() -> list[str]:
    """Ids of the definitions shipped with sna_lib.

    Examples
    --------
    >>> {"partnership", "home_office", "knife_enabled"} <= set(available_definitions())
    True
    """
    folder = resources.files("sna_lib").joinpath("definitions")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _parse_text(text: str, source: str) -> Definition:
    try:
        raw = safeyaml.load(text)
    except safeyaml.YamlRefused as exc:
        raise DataValidationError([Problem(source, None, exc.line, f"is refused: {exc}")]) from None
    except yaml.YAMLError as exc:
        raise DataValidationError([Problem(source, None, None, f"not valid YAML: {exc}")]) from None
    return parse_definition(raw, source)


@lru_cache(maxsize=32)
def _shipped_definition(text_id: str) -> Definition:
    """Parse a shipped definition once per process (definitions are immutable)."""
    if text_id not in available_definitions():
        raise DataValidationError([Problem(
            "definitions", None, None,
            f"unknown definition id {text_id!r} (shipped: {', '.join(available_definitions())}; "
            "or give a path to a YAML file)")])
    resource = resources.files("sna_lib").joinpath("definitions", f"{text_id}.yaml")
    return _parse_text(resource.read_text(encoding="utf-8"), f"definitions/{text_id}.yaml")


def load_definition(name_or_path: str | Path | Definition) -> Definition:
    """Load a definition by shipped id (``"partnership"``) or from a YAML file path.

    Examples
    --------
    >>> load_definition("partnership").location_types
    ('public',)
    """
    if isinstance(name_or_path, Definition):
        return name_or_path
    text_id = str(name_or_path)
    if isinstance(name_or_path, Path) or text_id.endswith((".yaml", ".yml")) or "/" in text_id:
        path = Path(name_or_path)
        if not path.is_file():
            raise DataValidationError([Problem(str(path), None, None, "definition file not found")])
        return _parse_text(path.read_text(encoding="utf-8"), str(path))
    return _shipped_definition(text_id)


def load_definitions(entries: Iterable[str | Path]) -> dict[str, Definition]:
    """Load several definitions (e.g. ``config.definitions``) keyed by id; ids must be unique.

    Examples
    --------
    >>> list(load_definitions(["partnership", "home_office"]))
    ['partnership', 'home_office']
    """
    out: dict[str, Definition] = {}
    for entry in entries:
        d = load_definition(entry)
        if d.id in out:
            raise DataValidationError([duplicate_id_problem(d)])
        out[d.id] = d
    return out


def duplicate_id_problem(definition: Definition) -> Problem:
    """The problem reported for a definition whose id an earlier configured definition already uses.

    Examples
    --------
    >>> duplicate_id_problem(load_definition("partnership")).reason
    "definition id 'partnership' is used by more than one definition"
    """
    return Problem(definition.source, "id", None,
                   f"definition id {definition.id!r} is used by more than one definition")


def primary_definition(config: Any) -> Definition:
    """The serious-violence definition the book's SV figures use: the first non-Home-Office entry
    of ``config.definitions`` (default ``partnership``), so a partnership can substitute its own
    YAML definition without code.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> primary_definition(SimpleNamespace(definitions=("home_office", "partnership"))).id
    'partnership'
    """
    for entry in getattr(config, "definitions", ()) or ():
        d = load_definition(entry)
        if d.id != "home_office":
            return d
    return load_definition("partnership")
