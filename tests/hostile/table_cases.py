"""Hostile tables and geometry (issue #12): typed Parquet columns, placeholder dates, CRS that do
not match the coordinates, and ``on_error: reject`` limits. Each case names file, column, row."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pyarrow.parquet as pq

from hostile.builder import CONFIG, geography
from hostile.cases import Case, edit_geo, read, set_cell


def _to_parquet(name: str, column: str, values, arrow_type=None):
    """Replace ``name.csv`` by Parquet whose ``column`` holds ``values`` (other columns as text)."""

    def mutate(d: Path) -> None:
        frame = read(d, name)
        (d / f"{name}.csv").unlink()
        table = pa.Table.from_pandas(frame.drop(columns=column), preserve_index=False)
        table = table.append_column(column, pa.array(values(len(frame)), type=arrow_type))
        pq.write_table(table, d / f"{name}.parquet")

    return mutate


def _dates(n: int, row: int, value):
    out = [dt.date(2021, 1, 5)] * n
    out[row - 1] = value
    return out


def _geojson(crs_member: dict | None, transform=None):
    """geography.parquet → geography.geojson written by hand (``crs`` member as given)."""

    def mutate(d: Path) -> None:
        (d / "geography.parquet").unlink()
        g = geography()
        if transform is not None:
            g = transform(g)
        doc = json.loads(g.to_json(drop_id=True))
        doc.pop("crs", None)
        if crs_member is not None:
            doc["crs"] = crs_member
        (d / "geography.geojson").write_text(json.dumps(doc), encoding="utf-8")

    return mutate


def _reject(extra: str = ""):
    def mutate(d: Path) -> None:
        (d / "config.yaml").write_text(CONFIG + "validation: {on_error: reject" + extra + "}\n", encoding="utf-8")

    return mutate


def _all(*mutations):
    def mutate(d: Path) -> None:
        for m in mutations:
            m(d)

    return mutate


def _lonlat(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The four squares moved to Essex and expressed in longitude/latitude."""
    g = g.copy()
    g["geometry"] = g.geometry.translate(550_000, 200_000)
    return g.to_crs(4326)


def _geo_crs(crs: str, fn=None):
    def edit(g):
        g = g.copy()
        if fn is not None:
            g["geometry"] = fn(g.geometry)
        return g.set_crs(crs, allow_override=True)

    return edit_geo(edit)


_WGS84_URN = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}}
_TYPE_DATE = "not dates: store the column as a date/timestamp or as text YYYY-MM-DD"
_RANGE = "before 1678 or after 2261"

TABLE_CASES: list[Case] = [
    # ---- typed Parquet columns and placeholder dates name file, column and row
    Case("parquet_int64_date", _to_parquet("crimes", "date", lambda n: list(range(n)), pa.int64()),
         "crimes.parquet", "date", 1, _TYPE_DATE),
    Case("parquet_yyyymmdd_int_date", _to_parquet("asb", "date", lambda n: [20210301, 20220401, 20230501][:n],
                                                  pa.int64()), "asb.parquet", "date", 2, _TYPE_DATE),
    Case("parquet_excel_serial_float_date", _to_parquet("fire", "date", lambda n: [44256.0 + i for i in range(n)],
                                                        pa.float64()), "fire.parquet", "date", 3, _TYPE_DATE),
    Case("parquet_bool_date", _to_parquet("ambulance", "date", lambda n: [True] * n, pa.bool_()),
         "ambulance.parquet", "date", 1, _TYPE_DATE),
    Case("parquet_date_year_0001", _to_parquet("crimes", "date", lambda n: _dates(n, 3, dt.date(1, 1, 1)),
                                               pa.date32()), "crimes.parquet", "date", 3, _RANGE),
    Case("parquet_timestamp_year_0001", _to_parquet(
        "crimes", "date", lambda n: [dt.datetime(1, 1, 1) if i == 3 else dt.datetime(2021, 1, 5) for i in range(n)],
        pa.timestamp("us")), "crimes.parquet", "date", 4, _RANGE),
    Case("parquet_date_year_9999", _to_parquet("crimes", "date", lambda n: _dates(n, 5, dt.date(9999, 12, 31)),
                                               pa.date32()), "crimes.parquet", "date", 5, _RANGE),
    Case("parquet_tz_timestamp_year_3000", _to_parquet(
        "asb", "date", lambda n: [dt.datetime(2021, 3, 1, tzinfo=dt.timezone.utc),
                                  dt.datetime(3000, 1, 1, tzinfo=dt.timezone.utc),
                                  dt.datetime(2023, 5, 1, tzinfo=dt.timezone.utc)][:n],
        pa.timestamp("us", tz="UTC")), "asb.parquet", "date", 2, _RANGE),
    Case("csv_date_0001", set_cell("crimes", 3, "date", "0001-01-01"), "crimes.csv", "date", 3, "years 1678 to 2261"),
    Case("csv_date_9999", set_cell("crimes", 6, "date", "9999-12-31"), "crimes.csv", "date", 6, "years 1678 to 2261"),
    Case("csv_datetime_0001", set_cell("asb", 1, "date", "0001-01-01T00:00:00Z"), "asb.csv", "date", 1,
         "years 1678 to 2261"),
    Case("parquet_date_in_age", _to_parquet("persons", "age", lambda n: [dt.date(2000, 1, 1)] * n, pa.date32()),
         "persons.parquet", "age", 1, "holds dates, not whole numbers"),
    Case("parquet_date_in_population_year", _to_parquet(
        "population", "year", lambda n: [dt.date(2021, 1, 1)] * n, pa.date32()),
         "population.parquet", "year", 2, "holds dates, not whole numbers"),
    Case("parquet_timestamp_in_knife_flag", _to_parquet(
        "crimes", "knife", lambda n: [dt.datetime(2021, 1, 1)] * n, pa.timestamp("us")),
         "crimes.parquet", "knife", 1, "holds dates, not true/false"),
    Case("parquet_date_in_comparator_value", _to_parquet(
        "comparators", "value", lambda n: [dt.date(2021, 1, 1)] * n, pa.date32()),
         "comparators.parquet", "value", 1, "holds dates, not numbers"),
    # ---- the CRS message says what was found and what to do; coordinates lie in the CRS extent
    Case("geojson_bng_without_crs_member", _geojson(None), "geography.geojson", "geometry", None,
         "look like projected metres (British National Grid?)"),
    Case("geojson_bng_without_crs_says_rfc", _geojson(None), "geography.geojson", "geometry", None,
         "without a 'crs' member is WGS 84"),
    Case("geojson_bng_declared_wgs84", _geojson(_WGS84_URN), "geography.geojson", "geometry", None,
         "urn:ogc:def:crs:EPSG::27700"),
    Case("lonlat_says_how_to_reproject", edit_geo(_lonlat), "geography.parquet", "geometry", None,
         "gdf.to_crs(27700)"),
    Case("lonlat_geojson_says_found", _geojson(None, _lonlat), "geography.geojson", "geometry", None,
         "found EPSG:4326"),
    Case("bng_coordinates_outside_extent", _geo_crs("EPSG:27700", lambda s: s.translate(5e7, 5e7)),
         "geography.parquet", "geometry", None, "outside that extent"),
    Case("bng_negative_far_outside_extent", _geo_crs("EPSG:27700", lambda s: s.translate(-9e6, 0)),
         "geography.parquet", "geometry", None, "outside that extent"),
    Case("bng_declared_for_degrees", _geo_crs("EPSG:27700", lambda s: s.scale(1e-5, 1e-5, origin=(0, 0)).translate(0.5, 51.7)),
         "geography.parquet", "geometry", None, "look like longitude/latitude degrees"),
    Case("web_mercator_outside_extent", _geo_crs("EPSG:3857", lambda s: s.translate(0, 9e7)),
         "geography.parquet", "geometry", None, "outside that extent"),
    Case("no_crs_says_declare", edit_geo(lambda g: g.set_crs(None, allow_override=True)),
         "geography.parquet", "geometry", None, "declare EPSG:27700"),
    # ---- on_error: reject has limits; an all-rejected table or CSP is an error
    Case("reject_all_crimes", _all(_reject(), *(set_cell("crimes", r, "offence_code", "ZZ9") for r in range(1, 13))),
         "crimes.csv", None, None, "all 12 rows were rejected"),
    Case("reject_all_population", _all(_reject(), *(set_cell("population", r, "population", "-1")
                                                     for r in range(1, 37))),
         "population.csv", None, None, "all 36 rows were rejected"),
    Case("reject_share_above_default", _all(_reject(), *(set_cell("crimes", r, "knife", "maybe") for r in (1, 2))),
         "crimes.csv", None, None, "2 of 12 rows (16.7%) were rejected, more than validation.max_rejected_share"),
    Case("reject_share_per_table_limit", _all(_reject(", max_rejected_share: {crimes: 0.05}"),
                                              set_cell("crimes", 4, "knife", "maybe")),
         "crimes.csv", None, None, "more than validation.max_rejected_share allows (5%)"),
    Case("reject_share_global_limit", _all(_reject(", max_rejected_share: 0.0"), set_cell("asb", 2, "date", "x")),
         "asb.csv", None, None, "1 of 3 rows (33.3%) were rejected"),
    Case("reject_every_lsoa_of_csp", _all(_reject(", max_rejected_share: 0.6"),
                                          edit_geo(lambda g: g.assign(lsoa_name=["North 001A", "North 001B",
                                                                                 "x" * 600, "y" * 600]))),
         "geography.parquet", "area", None, "every LSOA of CSP 'South' was rejected"),
    Case("reject_all_geography", _all(_reject(), edit_geo(lambda g: g.assign(lsoa_name=["n" * 600] * 4))),
         "geography.parquet", None, None, "all 4 rows were rejected"),
]
