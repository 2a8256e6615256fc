"""Interactive area-profile trend: offences per 1,000 residents for a CSP against the county.

The reference SNA's area profiles (Annex 1) show a trend whose county line can be switched
off. :func:`trend_data` gives the disclosure-controlled numbers, :func:`trend_chart` the
Vega-Lite chart (Altair) with

* a **Yearly / Monthly** switch (radio buttons) and a **county line** switch (checkbox),
* hover values (tooltip on every point: area, period, rate, offences),
* colour-blind-safe colours (Okabe–Ito blue for the CSP, vermillion for the county) *and* a
  dashed county line, so the two never depend on colour alone;

and :func:`trend_html` an offline document: the Vega, Vega-Lite and Vega-Embed JavaScript come
from ``vl-convert``'s bundle and are inlined (``bundle=True``), never fetched. Notebooks show it
with :func:`show_trend`, which also writes the plotted values as CSV and a static PNG of both
views that replaces the interactive chart in print (PDF) and is its text/no-JS fallback.

Disclosure
----------
Yearly values are those of the area profile (:func:`sna_lib.book.describe.profile_chart_data`):
the CSP rate is withheld wherever its count is, including across CSPs. Monthly CSP values are
smaller counts, published only when they cannot reveal a small count by any difference:

* a CSP's monthly line is published only if *every* month of the calendar years shown is 0 or
  above ``suppress_max`` (so a part-year remainder, yearly total minus published months, is a
  sum of such months) and none of its yearly counts for those years is withheld;
* the county line is a sum over CSPs, so when exactly one CSP's monthly line would be withheld,
  the next smallest CSP's is withheld too (county minus the published CSPs then gives only the
  sum of two or more CSPs).
"""

from __future__ import annotations

import html
import io
import json
from typing import Any

import numpy as np
import pandas as pd

from sna_lib.book.charts import OKABE_ITO

__all__ = ["monthly_counts", "monthly_publishable", "trend_data", "trend_chart", "trend_html",
           "static_trend_png", "trend_alt", "show_trend", "CSP_COLOUR", "COUNTY_COLOUR"]

CSP_COLOUR = OKABE_ITO[0]  # blue
COUNTY_COLOUR = OKABE_ITO[3]  # vermillion
_MEMO: dict[tuple, Any] = {}


def _months(config) -> list[pd.Period]:
    end = pd.Period(config.rolling_end, freq="M")
    start = pd.Period(f"{end.year - 1}-01", freq="M")
    return list(pd.period_range(start, end, freq="M"))


def monthly_counts(dataset, *, definition: str = "partnership") -> pd.DataFrame:
    """Offences per CSP and calendar month for the two calendar years ending at ``rolling_end``'s year.

    Returns
    -------
    pandas.DataFrame
        Index: CSPs (config order); columns: every month (``pd.Period``) of those two years,
        whole years (months after ``rolling_end`` included, for the disclosure check).
    """
    from sna_lib.measures.classify import serious_violence_ids

    config = dataset.config
    end = pd.Period(config.rolling_end, freq="M")
    months = list(pd.period_range(f"{end.year - 1}-01", f"{end.year}-12", freq="M"))
    ids = pd.Index(serious_violence_ids(dataset, definition))
    crimes = dataset.crimes
    crimes = crimes[crimes["crime_id"].isin(ids)]
    area_of = pd.Series(dataset.geography["area"].astype(str).to_numpy(),
                        index=dataset.geography["lsoa_code"].astype(str).to_numpy())
    frame = pd.DataFrame({"area": crimes["lsoa_code"].astype(str).map(area_of).to_numpy(),
                          "month": crimes["date"].dt.to_period("M").to_numpy()})
    frame = frame[frame["month"].isin(months)]
    table = frame.groupby(["area", "month"]).size().unstack(fill_value=0)
    return table.reindex(index=list(config.csps), columns=months, fill_value=0).astype("int64")


def monthly_publishable(counts: pd.DataFrame, yearly_withheld: dict[str, bool], *, config=None) -> dict[str, bool]:
    """Which CSPs' monthly lines may be published (rules in the module docstring).

    Parameters
    ----------
    counts : DataFrame
        From :func:`monthly_counts` (CSPs × months of whole calendar years).
    yearly_withheld : dict
        CSP → True when any of its yearly counts for those years is withheld in the profile.

    Examples
    --------
    >>> c = pd.DataFrame({"m1": [10, 3, 20, 30], "m2": [9, 12, 0, 40]}, index=list("ABCD"))
    >>> monthly_publishable(c, {"A": False, "B": False, "C": False, "D": False})
    {'A': False, 'B': False, 'C': True, 'D': True}
    """
    from sna_lib.publication.disclosure import disclosure_rules

    rules = disclosure_rules(config)
    values = counts.to_numpy()
    small = ((values >= max(1, rules.suppress_min)) & (values <= rules.suppress_max)).any(axis=1)
    ok = {str(a): not (s or yearly_withheld.get(str(a), False)) for a, s in zip(counts.index, small)}
    withheld = [a for a, v in ok.items() if not v]
    if len(withheld) == 1 and len(ok) > 1:
        totals = counts.sum(axis=1)
        others = [a for a in ok if ok[a]]
        smallest = min(others, key=lambda a: (int(totals.loc[a]), a))
        ok[smallest] = False
    return ok


def _population(dataset) -> pd.DataFrame:
    pop = dataset.population.groupby(["lsoa_code", "year"], as_index=False)["population"].sum()
    geo = dataset.geography[["lsoa_code", "area"]].astype(str)
    pop = pop.assign(lsoa_code=pop["lsoa_code"].astype(str)).merge(geo, on="lsoa_code")
    return pop.groupby(["area", "year"])["population"].sum().unstack(fill_value=0)


def _all_areas(dataset, definition: str) -> dict:
    key = (id(dataset), definition, str(dataset.config.rolling_end), int(dataset.config.reporting_year))
    if key in _MEMO:
        return _MEMO[key]
    from sna_lib.book.describe import area_profile, profile_chart_data

    config = dataset.config
    counts = monthly_counts(dataset, definition=definition)
    pop = _population(dataset)
    years_shown = {counts.columns[0].year, counts.columns[-1].year}
    profiles, withheld = {}, {}
    for csp in config.csps:
        profile = area_profile(dataset, csp, definition=definition)
        chart = profile_chart_data(profile, config=config)
        profiles[csp] = (profile, chart)
        shown = chart[chart["year"].isin(years_shown)]
        withheld[csp] = bool(shown["rate_per_1000"].isna().any())
    publish = monthly_publishable(counts, withheld, config=config)
    entry = {"counts": counts, "pop": pop, "profiles": profiles, "publish": publish}
    _MEMO.clear()
    _MEMO[key] = entry
    return entry


def _pop_for(pop: pd.DataFrame, area: str | None, year: int) -> float:
    years = [y for y in pop.columns if y <= year] or list(pop.columns)
    y = max(years)
    return float(pop[y].sum() if area is None else pop.loc[area, y])


def trend_data(dataset, area: str, *, definition: str = "partnership") -> pd.DataFrame:
    """Disclosure-controlled trend values for CSP ``area`` and the county.

    Returns
    -------
    pandas.DataFrame
        Long format: ``grain`` ("Yearly" | "Monthly"), ``period`` (``YYYY`` or ``YYYY-MM``),
        ``date`` (ISO first day), ``series`` (area name / county label), ``is_county``,
        ``rate_per_1000`` (NaN = withheld), ``offences`` (NaN = withheld; monthly only).
        Monthly rates are per 1,000 residents *in the month*; yearly rates per year.
    """
    from sna_lib.book.nbhelpers import _county_label

    config = dataset.config
    if area not in config.csps:
        raise ValueError(f"the trend compares a CSP with the county: {area!r} is not one of {list(config.csps)}")
    county = _county_label(config)
    entry = _all_areas(dataset, definition)
    profile, chart = entry["profiles"][area]
    rows = []
    for year, rate, county_rate in zip(chart["year"], chart["rate_per_1000"], chart["county_rate_per_1000"]):
        withheld = pd.isna(rate)
        offences = profile.loc[profile["year"] == year, "offences"]
        rows.append(("Yearly", str(year), f"{year}-01-01", area, False,
                     np.nan if withheld else float(rate),
                     np.nan if withheld or offences.empty else float(offences.iloc[0])))
        rows.append(("Yearly", str(year), f"{year}-01-01", county, True, float(county_rate), np.nan))
    counts, pop = entry["counts"], entry["pop"]
    ok = entry["publish"][area]
    for month in _months(config):
        n_area = int(counts.loc[area, month])
        n_county = int(counts[month].sum())
        rate = 1000 * n_area / _pop_for(pop, area, month.year)
        rows.append(("Monthly", str(month), f"{month}-01", area, False, rate if ok else np.nan,
                     float(n_area) if ok else np.nan))
        rows.append(("Monthly", str(month), f"{month}-01", county, True,
                     1000 * n_county / _pop_for(pop, None, month.year), float(n_county)))
    return pd.DataFrame(rows, columns=["grain", "period", "date", "series", "is_county", "rate_per_1000",
                                       "offences"])


def trend_alt(data: pd.DataFrame, area: str, county: str) -> str:
    """Alt text: what the chart shows, with first and last yearly values and the controls.

    Examples
    --------
    >>> d = pd.DataFrame({"grain": ["Yearly"] * 4, "period": ["2014", "2014", "2023", "2023"],
    ...                   "series": ["A", "C", "A", "C"], "is_county": [False, True, False, True],
    ...                   "rate_per_1000": [1.0, 2.0, float("nan"), 2.5]})
    >>> trend_alt(d, "A", "C")  # doctest: +ELLIPSIS
    'Line chart of serious violence offences per 1,000 residents, A (solid blue) and C (dashed ...'
    """
    yearly = data[data["grain"] == "Yearly"]

    def describe(series: str) -> str:
        s = yearly[yearly["series"] == series]
        if s.empty:
            return f"{series}: no data"
        first, last = s.iloc[0], s.iloc[-1]
        fmt = lambda v: "withheld" if pd.isna(v) else f"{v:.2f}"  # noqa: E731
        return f"{series}: {fmt(first['rate_per_1000'])} in {first['period']}, {fmt(last['rate_per_1000'])} in {last['period']}"

    return (f"Line chart of serious violence offences per 1,000 residents, {area} (solid blue) and {county} "
            f"(dashed vermillion), yearly and monthly views. {describe(area)}; {describe(county)}. "
            "The county line can be switched off; hover a point for its value.")


def trend_chart(data: pd.DataFrame, area: str, county: str):
    """The interactive Altair chart (see module docstring)."""
    import altair as alt

    records = data.assign(rate=data["rate_per_1000"].round(3),
                          rate_text=[("withheld" if pd.isna(v) else f"{v:,.2f}") for v in data["rate_per_1000"]],
                          offences_text=[("–" if pd.isna(v) else f"{int(v):,}") for v in data["offences"]],
                          line=np.where(data["is_county"], "county", "area"))
    records = records.drop(columns=["rate_per_1000", "offences"])
    values = json.loads(records.to_json(orient="records"))
    grain = alt.param(name="grain", value="Yearly",
                      bind=alt.binding_radio(options=["Yearly", "Monthly"], name="View: "))
    show = alt.param(name="show_county", value=True, bind=alt.binding_checkbox(name="Show county line "))
    hover = alt.selection_point(name="hover", on="pointerover", nearest=True, fields=["period"], empty=False,
                                clear="pointerout")
    base = (alt.Chart(alt.Data(values=values))
            .transform_filter("datum.grain == grain")
            .transform_filter("show_county || !datum.is_county"))
    colour = alt.Color("series:N", title=None, sort=[area, county],
                       scale=alt.Scale(domain=[area, county], range=[CSP_COLOUR, COUNTY_COLOUR]),
                       legend=alt.Legend(orient="bottom"))
    dash = alt.StrokeDash("line:N", legend=None, scale=alt.Scale(domain=["area", "county"], range=[[1, 0], [6, 4]]))
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=8))
    y = alt.Y("rate:Q", title="Offences per 1,000 residents", scale=alt.Scale(zero=True))
    tooltip = [alt.Tooltip("series:N", title="Area"), alt.Tooltip("period:N", title="Period"),
               alt.Tooltip("rate_text:N", title="Per 1,000 residents"),
               alt.Tooltip("offences_text:N", title="Offences")]
    lines = base.mark_line(strokeWidth=2.5).encode(x=x, y=y, color=colour, strokeDash=dash)
    points = base.mark_point(filled=True, size=60).encode(
        x=x, y=y, color=colour, tooltip=tooltip,
        opacity=alt.condition(hover, alt.value(1), alt.value(0.6))).add_params(hover)
    rule = base.mark_rule(color="#777777").encode(x=x).transform_filter(hover)
    chart = (alt.layer(lines, points, rule)
             .add_params(grain, show)
             .properties(width=620, height=300,
                         title=f"Serious violence offences per 1,000 residents: {area} and {county}",
                         description=trend_alt(data, area, county)))
    return chart


def trend_html(chart) -> str:
    """Self-contained offline HTML of ``chart`` (Vega, Vega-Lite, Vega-Embed inlined)."""
    import vl_convert as vlc

    document = vlc.vegalite_to_html(chart.to_dict(), bundle=True, renderer="svg")
    # no actions menu: its "Open in Vega Editor" would send the data to a web site
    document = document.replace('const opts = {"renderer":"svg"}', 'const opts = {"renderer":"svg","actions":false}', 1)
    if '"actions":false' not in document:
        raise RuntimeError("vl-convert's HTML changed: cannot switch the chart's actions menu off")
    if "<script src=" in document or "cdn.jsdelivr" in document:
        raise RuntimeError("trend chart HTML references external JavaScript")
    return document


def static_trend_png(data: pd.DataFrame, area: str, county: str) -> bytes:
    """Both views (yearly, monthly) as a PNG for print and readers without JavaScript."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.8), dpi=110)
    for i, grain in enumerate(("Yearly", "Monthly")):
        ax = fig.add_subplot(1, 2, i + 1)
        part = data[data["grain"] == grain]
        for series, colour, style in ((area, CSP_COLOUR, "-"), (county, COUNTY_COLOUR, "--")):
            s = part[part["series"] == series]
            ax.plot(pd.to_datetime(s["date"]), s["rate_per_1000"], style, marker="o", markersize=3,
                    color=colour, label=series)
        ax.set_title(f"{grain}: offences per 1,000 residents" + (" (in the month)" if grain == "Monthly" else ""),
                     fontsize=9)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    fig.axes[0].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def show_trend(ctx=None, *, definition: str = "partnership", name: str | None = None) -> str:
    """Display the interactive trend for the active CSP context (plus CSV download and print PNG).

    Returns the HTML shown (iframe + static image), for tests.
    """
    from IPython.display import HTML, Markdown, display

    from sna_lib.book import charts
    from sna_lib.book import nbhelpers as nb
    from sna_lib.book.maps import PRINT_CSS, static_img

    ctx = ctx or nb.context()
    data = trend_data(ctx.dataset, ctx.area, definition=definition)
    county = ctx.county_label
    stem = charts.safe_name(name or f"profile-interactive-{ctx.area}")
    data.drop(columns=["date"]).to_csv(ctx.downloads_dir / f"{stem}.csv", index=False, lineterminator="\n")
    alt_text = trend_alt(data, ctx.area, county)
    document = trend_html(trend_chart(data, ctx.area, county))
    shown = (PRINT_CSS
             + f'<iframe class="sna-trend sna-screen-only" title="{html.escape(alt_text, quote=True)}" '
               f'srcdoc="{html.escape(document, quote=True)}" style="width:100%;height:470px;border:0;"></iframe>'
             + static_img(static_trend_png(data, ctx.area, county), alt_text))
    display(HTML(shown))
    display(Markdown(f"{charts.markdown_escape(alt_text)} "
                     f"{{download}}`Download the plotted values (CSV) <{charts.DOWNLOAD_TOKEN}{stem}.csv>`\n"))
    return shown
