"""Published tables of the risk-factor section (notebook ``08_risk_factors``; page 01 reads
``risk.people_in_areas`` too), county + every CSP in one pass.

Tables (``table`` → rows × columns; *area* ``county`` and every CSP unless said):

``risk.people_in_areas``
    rows ``suspects`` and ``suspects_and_victims`` × ``people``: the distinct people (in that
    role) of the reporting year's serious violence in the area with a known home in the county
    (latest crime wins) — one count per group, the denominator of every row below; rows
    ``above_average_deprivation``, ``over_statement_deprivation``, ``persistent_da`` (of the
    suspects) and ``disorganisation`` (of the suspects and victims) × ``in_flagged`` (count),
    ``share_pct`` and the
    residents' baseline of :func:`sna_lib.index.place.people_in_areas` /
    :func:`sna_lib.measures.significance.share_vs_baseline`: ``ratio``, ``ratio_low``,
    ``ratio_high`` (derived from the two counts: withheld with them) beside ``residents``,
    ``residents_in_flagged``, ``residents_share_pct`` (exempt: the county's resident population,
    an ONS estimate — the same baseline on every page, labelled as the county's).
``risk.layers``
    county only, one row per LSOA: ``deprivation_pct`` (exempt: Census 2021 share of
    households, published by ONS), ``disorganisation_bin`` and ``da_years_hot`` (exempt:
    hotspot statistics, see :data:`sna_lib.publication.tables.place.HOTSPOT_REASON`).
``risk.index``
    county only, one row per LSOA: ``score`` (3 decimals), ``rank``, ``top_county``,
    ``top_csp`` and, when ``risk_index.method`` is ``model``, ``predicted_sv``. **Exempt**: the
    score is a weighted mean of 0–1 components (hotspot bins / 3, flags, years hot / 5), a
    standardised score not invertible to any count; ranks and flags order those scores; the
    prediction is a smooth function of several layers with unpublished fitted coefficients.
    A factor normalised ``minmax`` (linear in a count) would break that reason: such a
    configuration raises.
``risk.ties``
    row ``cut``: ``n``, ``k``, ``selected``, ``above``, ``tied``, ``straddles`` of
    :func:`sna_lib.index.risk_index.tie_summary` at the top-share cut-off (county-wide for the
    county, within the CSP for a CSP); rows ``group:<i>``: ``score``, ``size`` — exempt,
    numbers of neighbourhoods and their scores.
``risk.validation``
    county only (the out-of-time comparison is county-wide): rows ``<method>`` and
    ``<method>:baseline`` (``risk_index``, ``model``) × ``captured_<t>`` (next year's offences
    in the selected LSOAs, counts), ``captured`` (their sum), ``capture_pct``,
    ``capture_pct_<t>``, ``capture_low``, ``capture_high``, ``pai``, ``pai_low``, ``pai_high``
    and, on the method row, ``difference_pts``, ``difference_low``, ``difference_high`` —
    derived from the captured and total counts; ``lsoas_min``, ``lsoas_max`` (exempt, numbers of
    neighbourhoods); row ``outcome`` × ``total_<t>``, ``total`` (counts: the county's SV of
    year ``t+1`` in its LSOAs). When the records are too short for any analysis year
    (:func:`sna_lib.index.validation.default_years` empty) only ``outcome`` × ``total`` (0) is
    there, and the text's ``validation.unavailable`` says why.
``risk.regression``
    county only: one row per model term × ``irr``, ``irr_low``, ``irr_high``, ``p_value``; row
    ``moran`` × ``I``, ``p_value``; row ``fit`` × ``n``, ``excluded``. **Exempt**: coefficients
    of a model fitted over every LSOA of the county (rate ratios, not counts; no count can be
    recovered from them).
``risk.exclusions``
    county only: academic years × ``permanent_exclusions``, ``suspensions`` — counts (DfE open
    data summed over the local authorities supplied; county level).

Text (verdicts, the area basis of the PAI, tie rule, model labels, the baseline method, and
``da_persistence``: the DA hot-spot years analysed, their number and the years a "persistent"
neighbourhood was hot in) goes to ``provenance["text"]["risk"]``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sna_lib.publication.cells import CellBuilder, cell_id
from sna_lib.publication.tables.index_inputs import index_inputs
from sna_lib.publication.tables.place import COUNTY, HOTSPOT_REASON, _relate_if_holds

__all__ = ["add_risk_cells", "PEOPLE_ROWS", "area_homes"]

#: rows of ``risk.people_in_areas``: (row, layer flag column, roles)
PEOPLE_ROWS = (("above_average_deprivation", "deprivation_above_average", ("suspect",)),
               ("over_statement_deprivation", "deprivation_over_statement_share", ("suspect",)),
               ("persistent_da", "da_victim_homes_persistent", ("suspect",)),
               ("disorganisation", "disorganisation_hot", ("suspect", "victim")))
SCORE_REASON = ("risk score: weighted mean of 0-1 components (hotspot bins, flags, years hot), a standardised "
                "score not invertible to a count")
MODEL_REASON = "fitted model output over every LSOA of the county (rate ratio, prediction or fit statistic), not a count"
TIE_REASON = "numbers of neighbourhoods and their risk scores at the top-share cut-off"


def area_homes(prep, dataset, roles) -> dict[str, pd.Series]:
    """Home LSOA of every distinct person in ``roles`` on the reporting year's SV, per area.

    One pass: person links joined to their crimes, sorted once, the latest crime per
    (area, person) and per person (county) kept — the rule of
    :func:`sna_lib.index.factors.person_homes` (latest crime wins; ``<NA>`` = unknown home).
    """
    from sna_lib.publication.compute import positions_in

    crimes = prep.crimes
    in_year = (crimes["sv"] & (crimes["year"] == prep.year)).to_numpy(dtype=bool)
    persons = dataset.persons
    at = prep.person_crime
    if at is None:
        at = positions_in(persons["crime_id"], crimes["crime_id"])
    keep = persons["role"].isin(list(roles)).to_numpy(dtype=bool, na_value=False) & (at >= 0)
    keep[keep] = in_year[at[keep]]           # the persons rows of the year's SV (an inner join, by row)
    rows, of = np.flatnonzero(keep), at[keep]
    links = pd.DataFrame({"crime_id": persons["crime_id"].array.take(rows).astype("string"),
                          "person_id": persons["person_id"].array.take(rows),
                          "home_lsoa": persons["home_lsoa"].array.take(rows),
                          "area": crimes["area"].array.take(of), "date": crimes["date"].to_numpy()[of]})
    links = links.sort_values(["person_id", "date", "crime_id"], kind="mergesort")
    home = links["home_lsoa"].astype("string").str.strip()
    links = links.assign(home_lsoa=home.mask(home == ""))
    out = {COUNTY: links.drop_duplicates("person_id", keep="last")}
    csp = links.dropna(subset=["area"]).drop_duplicates(["area", "person_id"], keep="last")
    for area, group in csp.groupby("area", sort=True):
        out[str(area)] = group
    return {a: pd.Series(f["home_lsoa"].to_numpy(), index=pd.Index(f["person_id"].astype(str), name="person_id"),
                         dtype="string") if a in out else pd.Series(dtype="string")
            for a, f in ((a, out.get(a)) for a in prep.areas)}


def _people_in_areas(b: CellBuilder, prep, dataset, inputs, text: dict) -> None:
    from sna_lib.index.factors import isin
    from sna_lib.index.place import people_in_areas

    layers = inputs.layers
    base = layers["population"]
    homes = {roles: area_homes(prep, dataset, roles) for roles in {r for _, _, r in PEOPLE_ROWS}}
    t = "risk.people_in_areas"
    method = ""
    groups = {("suspect",): "suspects", ("suspect", "victim"): "suspects_and_victims"}
    people = {}                                      # (group, area) -> cell id: one count per group
    for roles, group in groups.items():
        ids = []
        for area in prep.areas:
            homes_in = homes[roles][area]
            n = int((homes_in.notna().to_numpy(dtype=bool) & isin(homes_in, layers.index.astype(str))).sum())
            people[(group, area)] = b.count(table=t, area=area, row=group, column="people", value=n)
            ids.append(people[(group, area)])
            if group == "suspects":
                _relate_if_holds(b, cell_id("people.summary", area, "suspect", "people"), [ids[-1]], ">=")
        _relate_if_holds(b, ids[0], ids[1:], "<=")
    for row, flag, roles in PEOPLE_ROWS:
        flagged = {}
        for area in prep.areas:
            r = people_in_areas(homes[roles][area], layers[flag], base)
            method = r["ratio_method"]
            p = people[(groups[roles], area)]
            assert _cell(b, p) == r["people"], (row, area)
            f = flagged[area] = b.count(table=t, area=area, row=row, column="in_flagged", value=r["in_flagged"])
            b.derived(table=t, area=area, row=row, column="share_pct", value=100 * r["share"] if r["people"] else None,
                      of=[f, p], op="ratio", scale=100, decimals=1)
            for column in ("ratio", "ratio_low", "ratio_high"):
                b.derived(table=t, area=area, row=row, column=column, value=r[column], of=[f, p], decimals=2)
            b.exempt(table=t, area=area, row=row, column="residents", value=round(r["residents"]), decimals=0,
                     reason="resident population of the county (ONS estimate)")
            b.exempt(table=t, area=area, row=row, column="residents_in_flagged", value=round(r["residents_in_flagged"]),
                     decimals=0, reason="residents of the county in the flagged neighbourhoods (ONS estimate)")
            b.exempt(table=t, area=area, row=row, column="residents_share_pct",
                     value=round(100 * r["residents_share"], 1) if r["residents_share"] is not None else None,
                     decimals=1, reason="share of the county's residents in the flagged neighbourhoods (ONS estimate)")
        _relate_if_holds(b, flagged[COUNTY], [flagged[a] for a in prep.csps], "<=")
    text["baseline_method"] = method


def _layers(b: CellBuilder, inputs) -> None:
    layers = inputs.layers
    sources = (("disorganisation_bin", "disorganisation_bin"), ("da_years_hot", "da_victim_homes_years_hot"))
    shares = layers["deprivation_share"].tolist()
    columns = {column: layers[source].tolist() for column, source in sources}
    for i, code in enumerate(layers.index.astype(str)):      # column lists: no per-LSOA frame look-up
        share = shares[i]
        b.exempt(table="risk.layers", area=COUNTY, row=code, column="deprivation_pct",
                 value=None if pd.isna(share) else round(100 * float(share), 1), decimals=1,
                 reason="Census 2021 share of households deprived in 2+ dimensions (published by ONS)")
        for column, _ in sources:
            v = columns[column][i]
            b.exempt(table="risk.layers", area=COUNTY, row=code, column=column, value=None if pd.isna(v) else float(v),
                     reason=HOTSPOT_REASON)


def _index(b: CellBuilder, prep, dataset, inputs, text: dict) -> None:
    from sna_lib.index.risk_index import tie_summary
    from sna_lib.index.risk_model import index_for_year

    settings = inputs.settings
    unsafe = [name for name, f in settings["risk_index"]["factors"].items() if f.get("normalisation") == "minmax"]
    if unsafe:
        raise ValueError(f"risk_index.factors {unsafe}: 'minmax' is linear in a count, so the risk score could not be "
                         "published as exempt; use bin, flag, fraction or rank")
    index = index_for_year(dataset, inputs.layers, settings, sv_ids=inputs.sv_ids, source=inputs.source)
    model = index.attrs.get("method") == "model"
    wanted = ["score", "rank", "top_county", "top_csp", *(["predicted_sv"] if model else [])]
    rows = dict(zip(wanted, (index[c].tolist() for c in wanted)))
    for i, code in enumerate(index.index.astype(str)):
        r = {c: rows[c][i] for c in wanted}
        values = {"score": round(float(r["score"]), 3) if pd.notna(r["score"]) else None,
                  "rank": None if pd.isna(r["rank"]) else int(r["rank"]),
                  "top_county": int(bool(r["top_county"])), "top_csp": int(bool(r["top_csp"]))}
        if model:
            values["predicted_sv"] = round(float(r["predicted_sv"]), 1)
        for column, v in values.items():
            b.exempt(table="risk.index", area=COUNTY, row=code, column=column, value=v,
                     reason=MODEL_REASON if column == "predicted_sv" else SCORE_REASON,
                     decimals=3 if column == "score" else 1 if column == "predicted_sv" else -1)
    text["method"] = index.attrs.get("method", "score")
    text["tie_rule"] = {}
    cfg = settings["risk_index"]
    ranked_by = index["predicted_sv"] if model else index["score"]
    for area in prep.areas:
        ranked = ranked_by if area == COUNTY else ranked_by[(index["area"] == area).to_numpy(dtype=bool)]
        tie = tie_summary(ranked, share=float(cfg.get("top_share", 0.05)), tie_rule=cfg.get("tie_rule", "at_most"))
        for column in ("n", "k", "selected", "above", "tied"):
            b.exempt(table="risk.ties", area=area, row="cut", column=column, value=int(tie[column]), reason=TIE_REASON)
        b.exempt(table="risk.ties", area=area, row="cut", column="straddles", value=int(bool(tie["straddles"])),
                 reason=TIE_REASON)
        for i, (score, size) in enumerate(tie["tie_groups"], start=1):
            b.exempt(table="risk.ties", area=area, row=f"group:{i}", column="score", value=round(score, 3),
                     reason=TIE_REASON, decimals=3)
            b.exempt(table="risk.ties", area=area, row=f"group:{i}", column="size", value=int(size), reason=TIE_REASON)
        text["tie_rule"][area] = str(tie["tie_rule"])


def _validation(b: CellBuilder, prep, dataset, inputs, text: dict) -> None:
    from sna_lib.index.validation import index_vs_baseline, too_few_years_sentence

    summary, run = index_vs_baseline(dataset, settings=inputs.settings, source=inputs.source)
    t = "risk.validation"
    years = sorted(run.selections)
    totals = {}
    for year in years:
        y = run.outcomes[year]
        totals[year] = b.count(table=t, area=COUNTY, row="outcome", column=f"total_{year}", value=int(y.sum()))
        _relate_if_holds(b, totals[year], [cell_id("sv.annual", COUNTY, year + 1, prep.primary)])
    total = b.count(table=t, area=COUNTY, row="outcome", column="total", value=int(sum(run.outcomes[y].sum() for y in years)))
    if totals:
        b.additive(total=total, parts=list(totals.values()))
    text["validation"] = {"years": years, "area_basis": run.area_basis, "methods": list(summary.index), "verdict": {}}
    if not years:  # records too short for an out-of-time check: the page says why
        text["validation"]["unavailable"] = too_few_years_sentence(dataset.config, inputs.settings)
    for method, r in summary.iterrows():
        for row, prefix, name in ((method, "", method), (f"{method}:baseline", "baseline_", r["baseline"])):
            captured = {}
            for year in years:
                sel = run.selections[year][name].to_numpy(dtype=bool)
                n = int(run.outcomes[year].reindex(run.selections[year].index).fillna(0).to_numpy()[sel].sum())
                captured[year] = b.count(table=t, area=COUNTY, row=row, column=f"captured_{year}", value=n)
                b.derived(table=t, area=COUNTY, row=row, column=f"capture_pct_{year}",
                          value=100 * r[f"{prefix}capture_by_year"][year], of=[captured[year], totals[year]],
                          op="ratio", scale=100, decimals=1)
            c = b.count(table=t, area=COUNTY, row=row, column="captured", value=sum(_cell(b, v) for v in captured.values()))
            b.additive(total=c, parts=list(captured.values()))
            b.derived(table=t, area=COUNTY, row=row, column="capture_pct", value=100 * r[f"{prefix}capture"], of=[c, total],
                      op="ratio", scale=100, decimals=1)
            low, high = r[f"{prefix}capture_interval"]
            b.derived(table=t, area=COUNTY, row=row, column="capture_low", value=100 * low, of=[c, total], decimals=1)
            b.derived(table=t, area=COUNTY, row=row, column="capture_high", value=100 * high, of=[c, total], decimals=1)
            b.derived(table=t, area=COUNTY, row=row, column="pai", value=r[f"{prefix}pai"], of=[c, total], decimals=2)
            low, high = r[f"{prefix}pai_interval"]
            b.derived(table=t, area=COUNTY, row=row, column="pai_low", value=low, of=[c, total], decimals=2)
            b.derived(table=t, area=COUNTY, row=row, column="pai_high", value=high, of=[c, total], decimals=2)
            sizes = [int(v) for v in r["lsoas"]]
            for column, v in (("lsoas_min", min(sizes)), ("lsoas_max", max(sizes))):
                b.exempt(table=t, area=COUNTY, row=row, column=column, value=v,
                         reason="number of neighbourhoods selected (areas, not records)")
        diff_of = [cell_id(t, COUNTY, method, "captured"), cell_id(t, COUNTY, f"{method}:baseline", "captured"), total]
        b.derived(table=t, area=COUNTY, row=method, column="difference_pts", value=100 * r["capture_difference"],
                  of=diff_of, decimals=1)
        low, high = r["capture_difference_interval"]
        b.derived(table=t, area=COUNTY, row=method, column="difference_low", value=100 * low, of=diff_of, decimals=1)
        b.derived(table=t, area=COUNTY, row=method, column="difference_high", value=100 * high, of=diff_of, decimals=1)
        text["validation"]["verdict"][method] = str(r["verdict"])


def _da_window(inputs) -> dict:
    """The DA hot-spot persistence window the layers analysed (``layers.attrs["da_years"]``): its years
    as text, how many, and how many of them make a neighbourhood "persistent"."""
    from sna_lib.index.persistence import window_label

    first, last = (int(y) for y in inputs.layers.attrs["da_years"])
    n = last - first + 1
    persistent = min(int(inputs.settings["domestic_abuse"]["persistent_years"]), n)
    return {"years": window_label(range(first, last + 1)), "n": n, "persistent_years": persistent}


def _cell(b: CellBuilder, cid: str) -> int:
    return int(b._cells[cid]["value"])


def _regression(b: CellBuilder, inputs, text: dict) -> None:
    from sna_lib.index.regression import sv_regression

    model = sv_regression(inputs.layers, inputs.settings, weights=inputs.weights)
    t = "risk.regression"
    rows = model.table.drop(index="const", errors="ignore")
    for term, r in rows.iterrows():
        for column in ("irr", "irr_low", "irr_high", "p_value"):
            v = float(r[column])
            b.exempt(table=t, area=COUNTY, row=term, column=column, value=round(v, 6) if np.isfinite(v) else math.nan,
                     reason=MODEL_REASON)
    if model.moran:
        for column in ("I", "p_value"):
            b.exempt(table=t, area=COUNTY, row="moran", column=column, value=round(float(model.moran[column]), 6),
                     reason=MODEL_REASON)
    for column in ("n", "excluded"):
        b.exempt(table=t, area=COUNTY, row="fit", column=column, value=int(getattr(model, column)),
                 reason="number of neighbourhoods in the model (areas, not records)")
    text["regression"] = {"terms": list(rows.index.astype(str)),
                          "labels": {str(k): str(model.labels.get(k, k)) for k in rows.index},
                          "left_out": {str(k): [str(v) for v in vs] for k, vs in model.left_out().items()}}


def _exclusions(b: CellBuilder, dataset) -> None:
    columns = ["permanent_exclusions", "suspensions"]
    totals = dataset.school_exclusions.groupby("academic_year", sort=True)[columns].sum()
    for year, r in totals.iterrows():
        for column in columns:
            b.count(table="risk.exclusions", area=COUNTY, row=str(year), column=column, value=int(r[column]))


def add_risk_cells(b: CellBuilder, prep, dataset, text: dict | None = None) -> None:
    """Declare the risk-factor tables (module docstring) for the county and every CSP.

    Needs ``people.summary`` and ``sv.annual`` declared first (it relates to their counts).
    """
    inputs = index_inputs(prep, dataset)
    own: dict = {"da_persistence": _da_window(inputs)}
    _people_in_areas(b, prep, dataset, inputs, own)
    _layers(b, inputs)
    _index(b, prep, dataset, inputs, own)
    _validation(b, prep, dataset, inputs, own)
    _regression(b, inputs, own)
    _exclusions(b, dataset)
    if text is not None:
        text["risk"] = own
