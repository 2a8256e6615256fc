"""Hand-made open-data inputs for a two-CSP test force ("Testshire", police.uk id ``testshire``).

Every count the importer tests expect is written down here beside the rows that produce it.
Codes use the unused E..9xxxxx ranges so they cannot be mistaken for real areas.
"""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
          "Crime type,Last outcome category,Context")

CSP_LOOKUP = """ltla24_code,ltla24_name,csp24_code,csp24_name,pfa24_code,pfa24_name
E07000901,Alpha,E22000901,Alpha,E23000901,Testshire
E07000902,Beta,E22000902,Beta,E23000901,Testshire
E07000903,Gamma,E22000903,Gamma,E23000902,Otherforce
"""
LAD_LOOKUP = """lsoa11_name,lsoa11_code,ltla19_name,ltla19_code
Alpha 001A,E01900001,Alpha,E07000901
Alpha 001B,E01900002,Alpha,E07000901
Beta 001A,E01900003,Beta,E07000902
Beta 001B,E01900004,Beta,E07000902
Gamma 001A,E01900005,Gamma,E07000903
"""
# E01900001 unchanged; E01900002 split into two 2021 LSOAs; E01900003 + E01900004 merged into one
CHANGES = """lsoa11_name,lsoa11_code,change_code,lsoa21_name,lsoa21_code,ltla22_name,ltla22_code
Alpha 001A,E01900001,U,Alpha 001A,E01900001,Alpha,E07000901
Alpha 001B,E01900002,S,Alpha 001E,E01900011,Alpha,E07000901
Alpha 001B,E01900002,S,Alpha 001F,E01900012,Alpha,E07000901
Beta 001A,E01900003,M,Beta 001G,E01900013,Beta,E07000902
Beta 001B,E01900004,M,Beta 001G,E01900013,Beta,E07000902
Gamma 001A,E01900005,U,Gamma 001A,E01900005,Gamma,E07000903
"""
# TS011 long format (2021 LSOAs): households by number of deprivation dimensions 0..4
TS011 = {
    "E01900001": [10, 5, 3, 1, 0],
    "E01900011": [4, 4, 0, 0, 0],
    "E01900012": [6, 1, 2, 0, 1],
    "E01900013": [7, 3, 3, 1, 1],   # shared 1:3 between E01900003 and E01900004 (population 100 : 300)
    "E01900005": [1, 1, 1, 1, 1],
}
# expected 2011 counts: E01900002 = 11131 parts added; E01900013 split by largest remainder 1:3
TS011_EXPECTED = {
    "E01900001": [10, 5, 3, 1, 0],
    "E01900002": [10, 5, 2, 0, 1],
    "E01900003": [2, 1, 1, 0, 0],   # 7/4=1.75→2, 3/4=0.75→1, 3/4→1, 1/4=0.25→0, 1/4→0
    "E01900004": [5, 2, 2, 1, 1],   # 5.25→5, 2.25→2, 2.25→2, 0.75→1, 0.75→1
}
# population per LSOA per age, flat over ages 0..90 (91 columns): mid-2019 and mid-2021
POP_PER_AGE = {2019: {"E01900001": 2, "E01900002": 1, "E01900003": 1, "E01900004": 3, "E01900005": 9},
               2021: {"E01900001": 5, "E01900002": 5, "E01900003": 5, "E01900004": 5, "E01900005": 5}}

# (lon, lat) square corners; E01900004 has an island (MultiPolygon)
def _square(x, y, d=0.01):
    return [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]


SHAPES = {
    "E01900001": ("Polygon", _square(0.50, 51.70)),
    "E01900002": ("Polygon", _square(0.51, 51.70)),
    "E01900003": ("Polygon", _square(0.50, 51.71)),
    "E01900004": ("MultiPolygon", [_square(0.51, 51.71), _square(0.60, 51.60, 0.002)]),
    "E01900005": ("Polygon", _square(0.52, 51.70)),
}
NAMES = {"E01900001": "Alpha 001A", "E01900002": "Alpha 001B", "E01900003": "Beta 001A",
         "E01900004": "Beta 001B", "E01900005": "Gamma 001A"}


def _row(cid, month, lsoa, ctype, location="On or near High Street", lon="0.505", lat="51.705"):
    name = NAMES.get(lsoa, "Nowhere 001A") if lsoa else ""
    if not lsoa:
        lon = lat = ""
        location = "No Location"
    return f"{cid},{month},Test Police,Test Police,{lon},{lat},{location},{lsoa},{name},{ctype},,"


STREET = {
    "2020-01": [
        _row("c1", "2020-01", "E01900001", "Violence and sexual offences"),      # 1 crime
        _row("c2", "2020-01", "E01900001", "Robbery"),                           # 2 crime
        _row("", "2020-01", "E01900002", "Anti-social behaviour"),               # 3 asb
        _row("c3", "2020-01", "", "Burglary"),                                   # 4 rejected: no location
        _row("c4", "2020-01", "E01900005", "Drugs"),                             # 5 rejected: outside force
        _row("c5", "2020-01", "E09999999", "Drugs"),                             # 6 rejected: unknown LSOA
        _row("c6", "2020-01", "E01900003", "Made up crime"),                     # 7 rejected: crime type
        _row("c7", "2020-02", "E01900003", "Drugs"),                             # 8 rejected: wrong month
        _row("c8", "2020-01", "E01900004", "Possession of weapons", "On or near Airport/Airfield"),  # 9 crime
        _row("c12", "2020-01", "E01900004", "Drugs") + ",extra",                 # 10 rejected: ragged
    ],
    "2020-02": [
        _row("c1", "2020-02", "E01900002", "Robbery"),                           # 1 rejected: duplicate id
        _row("c9", "2020-02", "E01900004", "Possession of weapons", "On or near Airport/Airfield"),  # 2 crime
        _row("", "2020-02", "E01900004", "Anti-social behaviour"),               # 3 asb
    ],
    "2020-04": [
        _row("c10", "2020-04", "E01900002", "Shoplifting"),                      # 1 crime
        _row("c11", "2020-04", "E01900003", "Violence and sexual offences"),     # 2 crime
    ],
}
EXPECTED = {"read": 15, "crimes": 6, "asb": 2, "rejected": {
    "no location: police.uk gives no LSOA for this record": 1, "LSOA outside the force area": 1,
    "LSOA code is not in the ONS lookup": 1, "unknown police.uk crime type": 1,
    "Month differs from the file's month": 1, "row could not be parsed (wrong number of fields)": 1,
    "duplicate Crime ID": 1}}


def street_text(month: str) -> str:
    return HEADER + "\r\n" + "\r\n".join(STREET[month]) + "\r\n"


def write_street_dir(root: Path, *, gz: bool = False) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for month in STREET:
        folder = root / month
        folder.mkdir(exist_ok=True)
        data = street_text(month).encode("utf-8")
        name = f"{month}-testshire-street.csv"
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data, mtime=0))
        else:
            (folder / name).write_bytes(data)
    # noise a police.uk download also holds: another force's file and an outcomes file
    (root / "2020-01" / "2020-01-otherforce-street.csv").write_text(HEADER + "\n", encoding="utf-8")
    (root / "2020-01" / "2020-01-testshire-outcomes.csv").write_text("Crime ID,Month\n", encoding="utf-8")
    return root


def write_street_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for month in STREET:
            archive.writestr(f"{month}/{month}-testshire-street.csv", street_text(month))
        archive.writestr("2020-01/2020-01-otherforce-street.csv", HEADER + "\n")
    return path


def write_inputs(root: Path) -> dict:
    """Write every non-street input; returns keyword arguments for ``import_police_uk``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "csp.csv").write_text(CSP_LOOKUP, encoding="utf-8")
    (root / "lad.csv").write_text(LAD_LOOKUP, encoding="utf-8")
    (root / "changes.csv").write_text(CHANGES, encoding="utf-8")
    features = [{"type": "Feature", "properties": {"LSOA11CD": code, "LSOA11NM": NAMES[code]},
                 "geometry": {"type": kind, "coordinates": coords}} for code, (kind, coords) in SHAPES.items()]
    (root / "lsoa.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                                       encoding="utf-8")
    ages = [str(a) for a in range(90)] + ["90+"]
    pops = []
    for year, per_age in POP_PER_AGE.items():
        lines = ["lsoa11_code,lsoa11_name,total_population," + ",".join(ages)]
        for code, n in per_age.items():
            lines.append(f"{code},{NAMES[code]},{n * 91}," + ",".join([str(n)] * 91))
        path = root / f"sape_mid{year}_lsoa11.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        pops.append(path)
    lines = ["lsoa21_code,households_number_deprivation_dimensions,count,percent"]
    for code, counts in TS011.items():
        lines += [f"{code},{k},{n},0" for k, n in enumerate(counts)]
    (root / "ts011.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    imd = ["lsoa11_code,IMD_decile,IMD_rank,Income_rank"] + [
        f"{code},{i + 1},{(i + 1) * 100},{i + 5}" for i, code in enumerate(NAMES)]
    (root / "imd.csv").write_text("\n".join(imd) + "\n", encoding="utf-8")
    return {"boundaries": root / "lsoa.geojson", "lookups": [root / "csp.csv", root / "lad.csv", root / "changes.csv"],
            "population": pops, "census": root / "ts011.csv", "imd": root / "imd.csv", "force": "testshire"}
