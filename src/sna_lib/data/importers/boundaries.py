"""ONS LSOA boundaries (GeoJSON, GeoPackage, shapefile or a zipped shapefile), 2011 or 2021 codes.

Boundaries are reprojected to British National Grid (EPSG:27700, metres) so every distance,
area and contiguity computation works in metres; invalid rings are repaired with
``shapely.make_valid`` keeping only the polygonal parts; features that share a code (one row
per island in some shapefiles) are merged into one MultiPolygon, so islands and coastal LSOAs
keep every part.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from sna_lib.errors import DataValidationError, Problem
from sna_lib.data.importers.columns import find

BNG = "EPSG:27700"
_CODE = ("lsoa21cd", "lsoa21code", "lsoa11cd", "lsoa11code", "lsoacode", "lsoacd")
_NAME = ("lsoa21nm", "lsoa21name", "lsoa11nm", "lsoa11name", "lsoaname", "lsoanm")


def read_boundaries(path: Path) -> tuple[gpd.GeoDataFrame, str]:
    """Read LSOA polygons: ``lsoa_code, lsoa_name, geometry`` in EPSG:27700, and the vintage.

    The vintage (``"2011"`` or ``"2021"``) comes from the code column's name (``LSOA11CD``,
    ``LSOA21CD``); a generic ``lsoa_code`` column is taken as 2011.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise DataValidationError([Problem(name, None, None, f"boundary file not found ({path})")])
    source = f"zip://{path}" if path.suffix == ".zip" else str(path)
    try:
        frame = gpd.read_file(source)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a problem with the file
        raise DataValidationError([Problem(name, None, None,
                                           f"could not be read as GeoJSON/GeoPackage/shapefile ({exc})")]) from None
    code, label = find(frame.columns, _CODE), find(frame.columns, _NAME)
    if code is None:
        raise DataValidationError([Problem(name, None, None, "has no LSOA code column (LSOA11CD or LSOA21CD); "
                                                             f"found {', '.join(map(str, frame.columns[:12]))}")])
    vintage = "2021" if "21" in code else "2011"
    if frame.crs is None:
        raise DataValidationError([Problem(name, "geometry", None,
                                           "has no coordinate reference system; cannot place it (expected "
                                           "WGS84 or EPSG:27700)")])
    frame = frame.to_crs(BNG)
    codes = frame[code].astype("str").str.strip()
    empty = frame.geometry.isna() | frame.geometry.is_empty
    if empty.any():
        rows = (empty[empty].index[:5] + 1).tolist()
        raise DataValidationError([Problem(name, "geometry", int(r), "feature has no geometry") for r in rows])
    geometry = frame.geometry.values
    invalid = ~shapely.is_valid(geometry)
    if invalid.any():
        geometry = geometry.copy()
        geometry[invalid] = [_polygonal(shapely.make_valid(g)) for g in geometry[invalid]]
    parts = gpd.GeoDataFrame({"lsoa_code": codes,
                              "lsoa_name": frame[label].astype("str").str.strip() if label else codes},
                             geometry=gpd.GeoSeries(geometry, crs=BNG))
    if parts["lsoa_code"].duplicated().any():
        parts = parts.dissolve(by="lsoa_code", aggfunc="first", sort=True).reset_index()
    polygonal = parts.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if not polygonal.all():
        bad = parts.loc[~polygonal, "lsoa_code"].head(5).tolist()
        raise DataValidationError([Problem(name, "geometry", None,
                                           f"features are not polygons for LSOA(s) {', '.join(bad)}")])
    return parts.sort_values("lsoa_code").reset_index(drop=True), vintage


def _polygonal(geom):
    """The polygonal part of a repaired geometry (lines/points from make_valid are dropped)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else geom


def subset(boundaries: gpd.GeoDataFrame, codes: pd.Index, file: str) -> gpd.GeoDataFrame:
    """The force's LSOAs; an LSOA of the force missing from the boundary file is a problem."""
    missing = codes.difference(pd.Index(boundaries["lsoa_code"]))
    if len(missing):
        shown = ", ".join(missing[:10])
        raise DataValidationError([Problem(file, "lsoa_code", None,
                                           f"lacks {len(missing):,} LSOA(s) of the force ({shown}"
                                           f"{', …' if len(missing) > 10 else ''}); use a boundary file "
                                           "covering the whole force area, of the same LSOA vintage as the lookup")])
    return boundaries[boundaries["lsoa_code"].isin(codes)].reset_index(drop=True)
