"""What a data folder can support, by data level, and how its source rows reconcile.

The book renders every section its data support and, for each part it cannot compute, one
plain sentence naming the data that would enable it. :data:`REQUIREMENTS` lists those parts
with the data each needs; :func:`unavailable` gives the sentences for one dataset.
:func:`source_reconciliation` turns an importer's ``import_log`` into the data-quality
page's table (source rows read = used + rejected, by reason).

Examples
--------
>>> import pandas as pd
>>> from types import SimpleNamespace
>>> ds = SimpleNamespace(crimes=pd.DataFrame({"category": ["robbery"]}), persons=pd.DataFrame(),
...                      config=SimpleNamespace(data_level="open"))
>>> available(ds, "harm"), available(ds, "proxy_serious_violence")
(False, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Requirement:
    """A part of the book and what it needs: crime columns and/or non-empty tables."""

    label: str
    columns: tuple[str, ...] = ()   # crimes columns
    tables: tuple[str, ...] = ()    # tables that must have rows
    sentence: str = ""              # shown when the part cannot be computed
    levels: tuple[str, ...] = ("full", "open")  # data levels whose books have this part


REQUIREMENTS: dict[str, Requirement] = {r.label: r for r in (
    Requirement("serious_violence_definitions", columns=("offence_code", "knife", "firearm", "domestic_abuse",
                                                         "location_type"),
                sentence="The Home Office and partnership serious-violence definitions need Home Office offence "
                         "codes with weapon, domestic-abuse and location flags on each crime (a police recorded-"
                         "crime extract); police.uk publishes only a broad category per crime."),
    Requirement("proxy_serious_violence", columns=("category",),
                sentence="The open-data proxy needs police.uk crime categories.", levels=("open",)),
    Requirement("harm", columns=("offence_code",),
                sentence="Crime harm crime by crime (the Cambridge Crime Harm Index) needs the Home Office offence code "
                         "of each crime; police.uk gives only a broad category, so this edition shows a "
                         "category-mean harm (estimate) on the 'What is serious violence?' page instead."),
    Requirement("knife_and_weapon_measures", columns=("knife", "firearm", "other_weapon"),
                sentence="Knife- and weapon-enabled measures need a weapon flag on each crime record."),
    Requirement("domestic_abuse", columns=("domestic_abuse",),
                sentence="Domestic-abuse measures need the domestic-abuse flag on each crime record."),
    Requirement("location_type", columns=("location_type",),
                sentence="In-the-home versus public measures need the location type of each crime."),
    Requirement("gangs_county_lines", columns=("county_lines", "gang"),
                sentence="County-lines and gang measures need those flags on each crime record."),
    Requirement("people", tables=("persons",),
                sentence="Victim and suspect profiles (age, sex, where people live) need pseudonymised person "
                         "records linked to crimes; police.uk publishes none."),
    Requirement("employment", tables=("census_employment",),
                sentence="The employment risk factor needs Census 2021 TS065 (employment history) by LSOA."),
    Requirement("imd", tables=("imd",), sentence="The IMD layer needs the English Indices of Deprivation by LSOA."),
    Requirement("asb", tables=("asb",), sentence="The disorganisation layer needs anti-social behaviour incidents."),
    Requirement("fire", tables=("fire",), sentence="Deliberate fires and arson need fire and rescue incident records."),
    Requirement("ambulance", tables=("ambulance",),
                sentence="Ambulance measures need ambulance call records (assault, stab/gunshot)."),
    Requirement("hospital_admissions", tables=("hospital_admissions",),
                sentence="Hospital admissions for assault with a sharp object need the NHS aggregate."),
    Requirement("school_exclusions", tables=("school_exclusions",),
                sentence="School exclusion trends need the DfE exclusions aggregate."),
    Requirement("community_survey", tables=("community_survey",),
                sentence="Community voices need the community survey theme counts."),
    Requirement("comparators", tables=("comparators",),
                sentence="National and peer comparisons need the comparator series."),
)}


def available(dataset, part: str) -> bool:
    """Can ``part`` (a key of :data:`REQUIREMENTS`) be computed from ``dataset``?"""
    need = REQUIREMENTS[part]
    crimes = dataset.crimes
    if any(c not in crimes.columns for c in need.columns):
        return False
    return all(len(getattr(dataset, t)) > 0 for t in need.tables)


def unavailable(dataset) -> dict[str, str]:
    """``{part: sentence}`` for every part of :data:`REQUIREMENTS` (of the dataset's data level)
    that the dataset cannot support."""
    level = dataset.config.data_level
    return {name: r.sentence for name, r in REQUIREMENTS.items()
            if level in r.levels and not available(dataset, name)}


def source_reconciliation(import_log: pd.DataFrame) -> pd.DataFrame:
    """Per source file: ``source_file, month, read, used_crimes, used_asb, rejected`` plus one
    ``rejected: <reason>`` column per reason; a final ``All files`` row totals them.

    Examples
    --------
    >>> log = pd.DataFrame({"source_file": ["f", "f", "f"], "table": ["crimes", "asb", "crimes"],
    ...                     "month": ["2018-01"] * 3, "outcome": ["used", "used", "rejected"],
    ...                     "reason": ["used", "used", "no location"], "rows": [5, 2, 1]})
    >>> [int(v) for v in source_reconciliation(log).iloc[-1][["read", "used_crimes", "used_asb", "rejected"]]]
    [8, 5, 2, 1]
    """
    if import_log.empty:
        return pd.DataFrame(columns=["source_file", "month", "read", "used_crimes", "used_asb", "rejected"])
    log = import_log.copy()
    log["month"] = pd.to_datetime(log["month"]).dt.strftime("%Y-%m") if log["month"].dtype.kind == "M" else log["month"]
    used = log[log["outcome"] == "used"].pivot_table(index=["source_file", "month"], columns="table", values="rows",
                                                    aggfunc="sum", fill_value=0)
    used = used.reindex(columns=["crimes", "asb"], fill_value=0).add_prefix("used_")
    rej = log[log["outcome"] == "rejected"].pivot_table(index=["source_file", "month"], columns="reason",
                                                       values="rows", aggfunc="sum", fill_value=0)
    rej = rej.add_prefix("rejected: ")
    out = used.join(rej, how="outer").fillna(0).astype("int64")
    reasons = [c for c in out.columns if c.startswith("rejected: ")]
    out.insert(0, "rejected", out[reasons].sum(axis=1) if reasons else 0)
    out.insert(0, "read", out["used_crimes"] + out["used_asb"] + out["rejected"])
    out = out[["read", "used_crimes", "used_asb", "rejected", *sorted(reasons)]].reset_index()
    total = out.drop(columns=["source_file", "month"]).sum().to_dict()
    out = pd.concat([out, pd.DataFrame([{"source_file": "All files", "month": "", **total}])], ignore_index=True)
    return out


def missing_sentences(dataset, parts=None) -> dict[str, str]:
    """``{part: sentence}`` for every part of ``parts`` (default: all of
    :data:`REQUIREMENTS`) the dataset cannot support, for
    :func:`sna_lib.book.open_sections.missing_note`."""
    return {p: REQUIREMENTS[p].sentence for p in (REQUIREMENTS if parts is None else parts)
            if not available(dataset, p)}
