"""INTERIM stand-in for :mod:`sna_lib.publication.store` until ENGINE's store lands (then deleted).

Writes only published values (``display``, ``published_value``) — never the raw value of a
hidden cell — and reads them back with the agreed ``PublishedStore`` interface.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

_COLUMNS = ["cell_id", "table", "area", "row", "column", "kind", "level", "published", "display",
            "published_value", "order"]


def write_store(path: Path | str, cells: pd.DataFrame, relations: pd.DataFrame, provenance: dict) -> Path:
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    cells[_COLUMNS].to_parquet(out / "cells.parquet", index=False)
    rel = relations.assign(parts=relations["parts"].map(list))
    rel.to_parquet(out / "relations.parquet", index=False)
    (out / "provenance.json").write_text(json.dumps(provenance, indent=1, sort_keys=True), encoding="utf-8")
    return out


class PublishedStore:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._cells = pd.read_parquet(self.path / "cells.parquet")
        self.provenance = json.loads((self.path / "provenance.json").read_text(encoding="utf-8"))
        self._by = {k: g for k, g in self._cells.groupby(["table", "area"], sort=False)}

    @property
    def areas(self) -> list[str]:
        return list(dict.fromkeys(self._cells["area"]))

    @property
    def tables(self) -> list[str]:
        return list(dict.fromkeys(self._cells["table"]))

    def _frame(self, table: str, area: str) -> pd.DataFrame:
        try:
            return self._by[(table, area)].sort_values("order")
        except KeyError:
            raise KeyError(f"no published table {table!r} for area {area!r}") from None

    def table(self, table: str, area: str, display: bool = False) -> pd.DataFrame:
        g = self._frame(table, area)
        values: list[Any] = (g["display"].tolist() if display else
                             [v if p else d for v, p, d in zip(g["published_value"], g["published"], g["display"])])
        long = pd.DataFrame({"row": g["row"].to_numpy(), "column": g["column"].to_numpy(), "v": values})
        rows = list(dict.fromkeys(long["row"]))
        cols = list(dict.fromkeys(long["column"]))
        wide = long.pivot(index="row", columns="column", values="v").reindex(index=rows, columns=cols)
        wide.index.name, wide.columns.name = None, None
        return wide.astype(object)

    def value(self, table: str, area: str, row: str, column: str) -> Any:
        g = self._frame(table, area)
        hit = g[(g["row"] == str(row)) & (g["column"] == str(column))]
        if hit.empty:
            raise KeyError(f"{table}|{area}|{row}|{column} is not published")
        r = hit.iloc[0]
        return r["published_value"] if r["published"] else r["display"]

    def text(self, table: str, area: str, row: str, column: str) -> str:
        g = self._frame(table, area)
        hit = g[(g["row"] == str(row)) & (g["column"] == str(column))]
        if hit.empty:
            raise KeyError(f"{table}|{area}|{row}|{column} is not published")
        return str(hit.iloc[0]["display"])
