"""LSOA → local authority → Community Safety Partnership → police force area.

The ONS lookup ``LAD 2024 → CSP 2024 → PFA 2024`` names the CSPs of every force in England
and Wales. LSOA-level lookups carry older local-authority codes (LSOA 2011 → LAD 2019, or
LSOA 2011 → LSOA 2021 → LAD 2022); districts abolished since then are carried to the 2024
unitary authority by :data:`LAD_SUCCESSORS`. Where one 2024 authority still has several CSPs
(Buckinghamshire keeps one CSP per former district, West Northamptonshire has two), the CSP is
the one named after the LSOA's former district.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sna_lib.data.names import area_slug
from sna_lib.errors import DataValidationError, Problem
from sna_lib.data.importers.columns import find, read_text_table

#: Local authority districts abolished 2020–2023 → their successor unitary authority
#: (ONS Code History Database: Buckinghamshire 1 April 2020; North and West Northamptonshire
#: 1 April 2021; Cumberland, Westmorland and Furness, North Yorkshire and Somerset 1 April 2023).
LAD_SUCCESSORS: dict[str, str] = {
    **dict.fromkeys(("E07000004", "E07000005", "E07000006", "E07000007"), "E06000060"),
    **dict.fromkeys(("E07000150", "E07000152", "E07000153", "E07000156"), "E06000061"),
    **dict.fromkeys(("E07000151", "E07000154", "E07000155"), "E06000062"),
    **dict.fromkeys(("E07000026", "E07000028", "E07000029"), "E06000063"),
    **dict.fromkeys(("E07000027", "E07000030", "E07000031"), "E06000064"),
    **dict.fromkeys(("E07000163", "E07000164", "E07000165", "E07000166", "E07000167", "E07000168",
                     "E07000169"), "E06000065"),
    **dict.fromkeys(("E07000187", "E07000188", "E07000189", "E07000246"), "E06000066"),
}

_POLICE_UK_SLUG_EXCEPTIONS = {"Metropolitan Police": "metropolitan", "London, City of": "city-of-london"}


def police_uk_slug(force_name: str) -> str:
    """The force id police.uk uses in file names (``2018-01-<slug>-street.csv``).

    Examples
    --------
    >>> police_uk_slug("Devon & Cornwall"), police_uk_slug("London, City of"), police_uk_slug("Essex")
    ('devon-and-cornwall', 'city-of-london', 'essex')
    """
    if force_name in _POLICE_UK_SLUG_EXCEPTIONS:
        return _POLICE_UK_SLUG_EXCEPTIONS[force_name]
    return area_slug(force_name.replace("&", " and "))


@dataclass(frozen=True)
class Force:
    """One police force area resolved from the lookup: code, name, police.uk id and its CSPs."""

    code: str
    name: str
    slug: str
    csps: tuple[str, ...]


@dataclass
class CspLookup:
    """The ``LAD 2024 → CSP → PFA`` table (columns ``lad, lad_name, csp, csp_name, pfa, pfa_name``)."""

    table: pd.DataFrame
    file: str

    @classmethod
    def read(cls, path: Path) -> "CspLookup":
        raw = read_text_table(path)
        cols = {}
        for key, cands in {
            "lad": ("ltla24code", "ltla24cd", "lad24cd", "lad24code"),
            "lad_name": ("ltla24name", "ltla24nm", "lad24nm", "lad24name"),
            "csp": ("csp24code", "csp24cd"), "csp_name": ("csp24name", "csp24nm"),
            "pfa": ("pfa24code", "pfa24cd"), "pfa_name": ("pfa24name", "pfa24nm"),
        }.items():
            col = find(raw.columns, cands)
            if col is None:
                raise DataValidationError([Problem(Path(path).name, None, None,
                                                   f"is not a LAD→CSP→PFA lookup: no {key} column ({', '.join(cands)})")])
            cols[key] = col
        table = raw[list(cols.values())].set_axis(list(cols), axis=1)
        table = table.apply(lambda s: s.str.strip())
        return cls(table.drop_duplicates().reset_index(drop=True), Path(path).name)

    def forces(self) -> list[Force]:
        """Every police force area in the lookup, sorted by name."""
        out = []
        for (code, name), rows in self.table.groupby(["pfa", "pfa_name"], sort=True):
            out.append(Force(code, name, police_uk_slug(name), tuple(sorted(rows["csp_name"].unique()))))
        return sorted(out, key=lambda f: f.name)

    def force(self, text: str) -> Force:
        """Resolve ``text`` (PFA code, PFA name or police.uk id, any case) to a :class:`Force`."""
        wanted = text.strip().casefold()
        for force in self.forces():
            if wanted in {force.code.casefold(), force.name.casefold(), force.slug}:
                return force
        names = ", ".join(f.slug for f in self.forces())
        raise DataValidationError([Problem(self.file, "pfa24_name", None,
                                           f"force {text!r} is not in the lookup (police.uk ids: {names})")])

    def csp_of_lads(self, lads: pd.DataFrame) -> pd.DataFrame:
        """CSP code/name and PFA per row of ``lads`` (columns ``lad``, ``lad_name`` and optionally
        ``lsoa_name``; LAD codes of any vintage since 2019).

        Returns ``csp, csp_name, pfa, pfa_name`` aligned with ``lads`` (missing when unresolved).
        Where a 2024 authority has several CSPs, an LSOA goes to the CSP named after its former
        district (the LAD name, or the district part of a 2011 LSOA name such as
        ``Waveney 001A``); LSOAs of a district no CSP is named after go to the one CSP of that
        authority that is not named after any of its former districts (Christchurch → Dorset).
        """
        table = self.table
        lad24 = lads["lad"].map(lambda c: LAD_SUCCESSORS.get(c, c))
        per_lad = table.groupby("lad").size()
        single = table[table["lad"].isin(per_lad.index[per_lad == 1])].set_index("lad")
        cols = ["csp", "csp_name", "pfa", "pfa_name"]
        out = pd.DataFrame(index=lads.index, columns=cols, dtype="str")
        hit = lad24.isin(single.index)
        for col in cols:
            out.loc[hit, col] = lad24[hit].map(single[col])
        lsoa_names = lads["lsoa_name"] if "lsoa_name" in lads else pd.Series("", index=lads.index)
        district = lsoa_names.fillna("").str.replace(r"\s+\d{3}[A-Z]$", "", regex=True).str.casefold()
        multi = ~hit & lad24.isin(per_lad.index)
        if not multi.any():
            return out
        rows = pd.DataFrame({"row": lads.index[multi], "lad": lad24[multi].to_numpy(),
                             "a": lads.loc[multi, "lad_name"].fillna("").str.casefold().to_numpy(),
                             "b": district[multi].to_numpy()})
        many = table[table["lad"].isin(rows["lad"])]
        parts = many.assign(part=many["csp_name"].map(
            lambda n: sorted({p.strip().casefold() for p in re.split(r"\band\b|,", n)} | {n.casefold()})))
        parts = parts.explode("part")[["lad", "csp", "part"]]
        hits = pd.concat([rows.merge(parts, left_on=["lad", "a"], right_on=["lad", "part"]),
                          rows.merge(parts, left_on=["lad", "b"], right_on=["lad", "part"])])
        hits = hits.drop_duplicates(["row", "csp"])
        n_hits = hits.groupby("row")["csp"].transform("size")
        chosen = hits.loc[n_hits == 1, ["row", "csp"]].set_index("row")["csp"]
        # CSPs named after none of their authority's former districts take the unmatched LSOAs
        named = set(zip(hits["lad"], hits["csp"]))
        leftover = parts.drop_duplicates(["lad", "csp"])
        leftover = leftover[[(l, c) not in named for l, c in zip(leftover["lad"], leftover["csp"])]]
        only = leftover.groupby("lad")["csp"].agg(lambda c: c.iloc[0] if len(c) == 1 else None).dropna()
        unmatched = rows[~rows["row"].isin(hits["row"])]
        fallback = pd.Series(unmatched["lad"].map(only).to_numpy(), index=unmatched["row"]).dropna()
        pick_csp = pd.concat([chosen, fallback])
        by_csp = table.drop_duplicates("csp").set_index("csp")
        for col in cols:
            out.loc[pick_csp.index, col] = pick_csp.map(by_csp[col] if col != "csp" else pd.Series(
                by_csp.index, index=by_csp.index)).to_numpy()
        return out


def lsoa_lads(path: Path) -> tuple[pd.DataFrame, str]:
    """LSOA → LAD table from an ONS lookup file, and the LSOA vintage (``"2011"``/``"2021"``).

    Accepts ``LSOA11 → LAD`` files (e.g. ``lsoa11_code, ltla19_code, ltla19_name``). Returns
    columns ``lsoa, lad, lad_name, lsoa_name``.
    """
    raw = read_text_table(path)
    name = Path(path).name
    lsoa = find(raw.columns, ("lsoa11code", "lsoa11cd", "lsoa21code", "lsoa21cd"))
    lad = next((c for c in raw.columns if re.fullmatch(r"(ltla|lad)\d{2}(cd|code)", str(c).lower().replace("_", ""))), None)
    lad_name = next((c for c in raw.columns if re.fullmatch(r"(ltla|lad)\d{2}(nm|name)", str(c).lower().replace("_", ""))), None)
    if lsoa is None or lad is None:
        raise DataValidationError([Problem(name, None, None, "is not an LSOA → local authority lookup "
                                                             "(needs lsoa11_code/LSOA11CD and ltla19_code/LAD19CD columns)")])
    vintage = "2021" if "21" in lsoa else "2011"
    lsoa_name = find(raw.columns, ("lsoa11name", "lsoa11nm", "lsoa21name", "lsoa21nm"))
    out = pd.DataFrame({"lsoa": raw[lsoa].str.strip(), "lad": raw[lad].str.strip(),
                        "lad_name": raw[lad_name].str.strip() if lad_name else "",
                        "lsoa_name": raw[lsoa_name].str.strip() if lsoa_name else ""})
    return out.drop_duplicates("lsoa").reset_index(drop=True), vintage


def lsoa_changes(path: Path) -> pd.DataFrame:
    """The ONS LSOA 2011 → 2021 lookup: ``lsoa11, lsoa21, change`` (U, S, M, X) and LAD 2022."""
    raw = read_text_table(path)
    name = Path(path).name
    cols = {k: find(raw.columns, c) for k, c in {
        "lsoa11": ("lsoa11code", "lsoa11cd"), "lsoa21": ("lsoa21code", "lsoa21cd"),
        "change": ("changecode", "chgind", "change"), "lad": ("ltla22code", "lad22cd", "ltla22cd"),
        "lad_name": ("ltla22name", "lad22nm", "ltla22nm")}.items()}
    missing = [k for k in ("lsoa11", "lsoa21") if cols[k] is None]
    if missing:
        raise DataValidationError([Problem(name, None, None, "is not an LSOA 2011 → 2021 lookup "
                                                             "(needs lsoa11_code and lsoa21_code columns)")])
    out = pd.DataFrame({k: (raw[c].str.strip() if c else "") for k, c in cols.items()})
    return out.drop_duplicates(["lsoa11", "lsoa21"]).reset_index(drop=True)


def classify_lookup(path: Path) -> str:
    """Which lookup a file is: ``csp`` (LAD→CSP→PFA), ``changes`` (LSOA11→21) or ``lad`` (LSOA→LAD)."""
    header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns if Path(path).is_file() else []
    if not len(header):
        raise DataValidationError([Problem(Path(path).name, None, None, f"file not found or empty ({path})")])
    cols = {c.replace("_", "").lower() for c in header}
    if any(c.startswith("csp") for c in cols) and any(c.startswith("pfa") for c in cols):
        return "csp"
    if {"lsoa11code", "lsoa21code"} <= cols or {"lsoa11cd", "lsoa21cd"} <= cols:
        return "changes"
    if any(c.startswith("lsoa") for c in cols) and any(re.fullmatch(r"(ltla|lad)\d{2}(cd|code)", c) for c in cols):
        return "lad"
    raise DataValidationError([Problem(Path(path).name, None, None,
                                       "is not a lookup the importer knows (LAD→CSP→PFA, LSOA11→LSOA21, or LSOA→LAD)")])
