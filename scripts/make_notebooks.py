"""Write the book's section notebooks (``notebooks/NN_name.ipynb``) from the specs below.

The notebooks are presentation only: every number comes from an ``sna_lib`` call, goes through
:mod:`sna_lib.disclosure` (via :mod:`sna_lib.book.nbhelpers`) and reaches the prose with
myst-nb glue. Code cells are hidden from readers (``remove-cell`` / ``remove-input``).

Run ``python scripts/make_notebooks.py`` after editing a spec and commit the ``.ipynb`` files
(they are written without outputs). ``--check`` exits non-zero when a committed notebook
differs from what the specs produce.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from textwrap import dedent

import nbformat

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "notebooks"

PARAMETERS = dedent('''\
    area = "county"
    data_dir = None
    build_dir = None
    reporting_year = None''')

SETUP = dedent('''\
    import matplotlib.pyplot as plt
    import seaborn as sns
    from IPython.display import Markdown, display
    from matplotlib.ticker import MaxNLocator

    from sna_lib import context, disclosure, factors, index_validation, measures, people, place, regression, risk_index
    from sna_lib.book import describe
    from sna_lib.book import nbhelpers as nb
    from sna_lib.book import sv_overview as sv
    from sna_lib.book.charts import OKABE_ITO, palette
    from sna_lib.classify import serious_violence_ids
    from sna_lib.hotspots import index_settings, weights_for

    ctx = nb.setup(area, data_dir, build_dir, reporting_year)
    year = ctx.reporting_year
    crimes = sv.area_crimes(ctx.dataset, ctx.area)
    nb.glue_text("area_label", ctx.area_label)
    nb.glue_text("county_name", ctx.county_label)
    nb.glue_text("year", str(year))
    nb.glue_text("first_year", str(ctx.config.first_year))''')

PROVENANCE = "nb.provenance_stamp();"


def md(text: str) -> nbformat.NotebookNode:
    """A Markdown cell (text is dedented)."""
    return nbformat.v4.new_markdown_cell(dedent(text).strip("\n"))


def code(source: str, *, tags: tuple[str, ...] = ("remove-input",)) -> nbformat.NotebookNode:
    """A code cell whose source readers never see (output shown unless ``remove-cell``).

    A ``;`` is added to the last line so that the value of a final call (``nb.show_map``,
    ``nb.glue_number`` …) is not displayed a second time as the cell's result.
    """
    text = dedent(source).strip("\n").rstrip()
    if not text.endswith((";", ":")):
        text += ";"
    return nbformat.v4.new_code_cell(text, metadata={"tags": list(tags)})


def hidden(source: str) -> nbformat.NotebookNode:
    """A code cell removed from the page entirely (glue, setup)."""
    return code(source, tags=("remove-cell",))


def notebook(cells: list) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    nb.cells = [
        code(PARAMETERS, tags=("parameters", "remove-cell")),
        hidden(SETUP),
        *cells,
        code(PROVENANCE),
    ]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


SPECS: dict[str, list] = {}


def spec(name: str):
    def register(func):
        SPECS[name] = func
        return func
    return register


# ============================================================================ section specs
# Each spec returns the cells between the setup cell and the provenance stamp. Code in the
# cells only calls sna_lib and formats its results; glue keys are prefixed per notebook.


@spec("01_key_findings")
def key_findings() -> list:
    return [
        md("""
        # Key themes and findings: {glue:text}`area_label`

        This page draws together the main findings of the assessment for
        {glue:text}`area_label` in {glue:text}`year`. Every statement is computed from the data
        each time the book is built; the sections that follow give the tables and maps behind
        each one.
        """),
        hidden("""
        harm = sv.harm_comparison(crimes, year, "partnership")
        sv_n = int(harm.set_index("measure").loc["Offences", "serious_violence"])
        sv_now = describe.sv_year_withheld(ctx.dataset, year, config=ctx.config)
        sv_before = describe.sv_year_withheld(ctx.dataset, year, config=ctx.config, column_year=year - 1)
        volumes_all = describe.tables_by_area(ctx.dataset, describe.context_volumes, year)
        volumes = describe.publish_table(volumes_all[ctx.area], ["Offences"], {"% of all crime": "Offences"},
                                         area_level=ctx.area_level, config=ctx.config, assume_published_totals=False,
                                         also_withhold=describe.context_withheld(volumes_all, ctx.area, sv_now,
                                                                                 config=ctx.config))
        partnership = describe.context_row(volumes, "Serious violence (partnership)")
        nb.glue_text("kf_sv_offences", partnership["Offences"])
        nb.glue_text("kf_sv_share", partnership["% of all crime"] + "%")
        nb.glue_number("kf_harm_ratio", harm.attrs["harm_ratio"], kind="rate", count=sv_n)

        changes_all = describe.tables_by_area(ctx.dataset, describe.year_on_year_for, ctx.config, year)
        change = describe.publish_key_measures(
            changes_all[ctx.area], area_level=ctx.area_level, config=ctx.config,
            also_withhold=describe.change_withheld(changes_all, ctx.area, ctx.area in sv_before,
                                                   ctx.area in sv_now, config=ctx.config))
        row = describe.key_measure_row(change, "Y", "partnership")
        nb.glue_text("kf_sv_before", row["before"])
        nb.glue_text("kf_sv_change", row["change"])
        nb.glue_text("kf_sv_change_sig", row["significance_text"])
        """),
        md("""
        ## Serious violence this year

        In {glue:text}`year` there were **{glue:text}`kf_sv_offences`** serious violence offences
        in {glue:text}`area_label` under the partnership's definition, against
        {glue:text}`kf_sv_before` the year before ({glue:text}`kf_sv_change`;
        {glue:text}`kf_sv_change_sig`). Serious violence was {glue:text}`kf_sv_share` of all
        recorded crime, but an average serious violence offence carried
        **{glue:text}`kf_harm_ratio` times** the harm of an average crime.
        """),
        hidden("""
        sv_ids = serious_violence_ids(crimes, "partnership", year=year)
        persons = ctx.dataset.persons
        suspect_ages = people.age_profile(persons, sv_ids, "suspect")
        features = people.age_profile_features(suspect_ages.counts, smooth=3 if ctx.area != "county" else 1)
        nb.glue_text("kf_age_sentence", describe.age_profile_sentence(features, "suspects"))
        under25 = people.share_under_age(persons, sv_ids, 25, role="suspect")
        nb.glue_number("kf_under25", describe.percent(under25.share), kind="percent", count=under25.count)
        under25_v = people.share_under_age(persons, sv_ids, 25, role="victim")
        nb.glue_number("kf_under25_victims", describe.percent(under25_v.share), kind="percent", count=under25_v.count)
        da = people.domestic_abuse_link(persons, ctx.dataset.crimes, sv_ids, year)
        nb.glue_number("kf_da_link", describe.percent(da.share), kind="percent", count=da.count)
        """),
        md("""
        ## Age is a key indicator

        {glue:text}`kf_age_sentence` Of suspects with a known age, {glue:text}`kf_under25` were
        under 25, as were {glue:text}`kf_under25_victims` of victims.

        ## Violence in the household

        {glue:text}`kf_da_link` of this year's serious violence suspects were named on a domestic
        abuse crime in the last five years, as a suspect, a victim or an involved party. Domestic
        abuse is outside the partnership's definition of serious violence, but the overlap
        points to a culture of normalised violence that prevention needs to reach.
        """),
        hidden("""
        sv_all = serious_violence_ids(ctx.dataset, "partnership")
        layers = factors.build_factor_layers(ctx.dataset, year, sv_ids=sv_all)
        statements = place.place_statements(ctx.dataset, layers, sv_ids=sv_all, year=year)
        dep = statements["suspects_above_average_deprivation"]
        nb.glue_number("kf_deprivation", describe.percent(dep["share"]), kind="percent", count=dep["in_flagged"],
                       area_level="county")
        dis = statements["suspects_victims_disorganisation"]
        nb.glue_number("kf_disorganisation", describe.percent(dis["share"]), kind="percent", count=dis["in_flagged"],
                       area_level="county")
        """),
        md("""
        ## Place matters

        Across {glue:text}`county_name`, {glue:text}`kf_deprivation` of serious violence suspects
        with a known home in the area lived in neighbourhoods with a higher than average share of
        households deprived in two or more dimensions, and {glue:text}`kf_disorganisation` of
        suspects and victims lived in neighbourhoods with elevated anti-social behaviour,
        deliberate fires and arson. These are associations between places, not causes; see
        {doc}`/notebooks/08_risk_factors`.

        See {doc}`/book/evidence` for what works at each stage of prevention.
        """),
    ]


@spec("02_wider_perspective")
def wider_perspective() -> list:
    return [
        md("""
        # A wider perspective: {glue:text}`area_label`

        Serious violence as the partnership defines it is a small part of all recorded crime,
        but it overlaps with the work of other partnerships — on domestic abuse, sexual
        offences and violence against women and girls (VAWG). This page sets the partnership's
        definition beside those wider categories for {glue:text}`year`.
        """),
        code("""
        sv_withheld = describe.sv_year_withheld(ctx.dataset, year, config=ctx.config)
        volumes_all = describe.tables_by_area(ctx.dataset, describe.context_volumes, year)
        volumes = describe.publish_table(volumes_all[ctx.area], ["Offences"], {"% of all crime": "Offences"},
                                         area_level=ctx.area_level, config=ctx.config, assume_published_totals=False,
                                         also_withhold=describe.context_withheld(volumes_all, ctx.area, sv_withheld,
                                                                                 config=ctx.config))
        nb.show_table(volumes, "crime-context", f"Serious violence in the context of all crime, {ctx.area_label}, {year}")
        nb.show_note(describe.withheld_note(volumes, ctx.config))
        """),
        md("""
        The categories overlap — a knife robbery is violence, serious violence under both
        definitions, and may also be VAWG — so the percentages do not add up to 100. The
        partnership definition is the focus of the rest of this book (see
        {doc}`/notebooks/03_what_is_sv`).

        ## Domestic abuse, sexual offences and violence against women and girls

        Other partnerships lead on domestic abuse, sexual offences and violence against women and
        girls. Their share of all recorded crime is shown beside the partnership's serious
        violence, to show the scale of the overlapping remits.
        """),
        code("""
        shares_all = describe.tables_by_area(ctx.dataset, describe.context_shares, year, ctx.dataset.persons)
        shares = describe.publish_table(shares_all[ctx.area], ["Offences"], {"% of all crime": "Offences"},
                                        area_level=ctx.area_level, config=ctx.config, assume_published_totals=False,
                                        also_withhold=describe.context_withheld(shares_all, ctx.area, sv_withheld,
                                                                                config=ctx.config))
        nb.show_table(shares, "crime-remits", f"Domestic abuse, sexual offences and VAWG as a share of all crime, "
                      f"{ctx.area_label}, {year}")
        nb.show_note(describe.withheld_note(shares, ctx.config))
        """),
        md("""
        ## People involved

        The same person can be a suspect or a victim more than once. The table shows, for the
        partnership definition, the number of suspect and victim records, the number of
        different people, and how many were repeats — within the year, or involved in the
        previous five years.
        """),
        code("""
        people_all = describe.tables_by_area(ctx.dataset, describe.people_repeats_for, ctx.dataset.persons, year)
        people_table = describe.publish_people_table(
            people_all[ctx.area], area_level=ctx.area_level, config=ctx.config,
            also_withhold=describe.cross_csp_mask(people_all, ctx.area, ["Records"], config=ctx.config))
        nb.show_table(people_table, "people-repeats", f"Suspects and victims of serious violence, {ctx.area_label}, {year}")
        nb.show_note(describe.withheld_note(people_table, ctx.config))
        """),
        md("""
        While these numbers are small beside the population, the harm each offence does to
        victims, families and communities is large; see {doc}`/notebooks/03_what_is_sv`.
        """),
    ]


@spec("04_key_measures")
def key_measures() -> list:
    return [
        md("""
        # Key measures: {glue:text}`area_label`

        Violence Reduction Units track three national success measures: knife-enabled serious
        violence (excluding domestic abuse), non-domestic homicides, and hospital admissions of
        under-25s for assault with a sharp object. Tables A–E compare the latest position with
        the previous period and with the start of the programme.

        A percentage change on its own can mislead when counts are small. Each table therefore
        also says whether the change is **statistically significant** — larger than would be
        expected from chance variation in counts of that size (an exact test for two Poisson
        counts; see {doc}`/book/methods`).
        """),
        hidden("""
        hospital = ctx.dataset.hospital_admissions if ctx.area == "county" else None
        km = measures.key_measures(crimes, hospital, ctx.config)
        km_all = describe.tables_by_area(ctx.dataset, describe.key_measures_for, ctx.config)
        published = describe.publish_key_measures(
            km, area_level=ctx.area_level, config=ctx.config,
            also_withhold=describe.cross_csp_mask(km_all, ctx.area, ["before", "after"], config=ctx.config))
        knife = describe.key_measure_row(published, "A", "knife_sv")
        for field in ("before", "after", "change", "significance_text", "period"):
            nb.glue_text(f"km_knife_{field}", knife[field])
        """),
        md("""
        ## Latest position

        In the twelve months {glue:text}`km_knife_period` there were {glue:text}`km_knife_after`
        knife-enabled serious violence offences (excluding domestic abuse) in
        {glue:text}`area_label`, against {glue:text}`km_knife_before` in the previous twelve
        months ({glue:text}`km_knife_change`; {glue:text}`km_knife_significance_text`).
        """),
        code("""
        for letter, caption in describe.KEY_MEASURE_CAPTIONS.items():
            nb.show_table(describe.key_measure_table(published, letter), f"table-{letter}",
                          f"Key measures {letter}: {caption}, {ctx.area_label}")
        """),
        md("""
        Knife-enabled offences are identified with the "knife used" flag on police systems. The
        flag is known to have been recorded with low accuracy nationally before April 2019, so
        the knife baseline is a later calendar year (set in `config.yaml`). Table C compares a
        baseline financial year with the latest calendar year, as the national measure does.
        Hospital admissions are supplied for the whole area only, so they appear in the book for
        the whole area and not in a Community Safety Partnership's book.
        """),
    ]


@spec("05_trends")
def trends() -> list:
    return [
        md("""
        # Trends since {glue:text}`first_year`: {glue:text}`area_label`

        This page shows how serious violence in {glue:text}`area_label` has changed since
        {glue:text}`first_year`, and sets it beside external comparators where they are
        supplied. Look at the shape of the series over several years rather than at a single
        year's change.
        """),
        code("""
        definitions = [*ctx.config.definitions, "knife_enabled"]
        series_all = describe.tables_by_area(ctx.dataset, describe.annual_counts_for, ctx.config, definitions)
        withheld = describe.trend_withheld(
            series_all, ctx.area, year, describe.sv_year_withheld(ctx.dataset, year, config=ctx.config),
            describe.sv_year_withheld(ctx.dataset, year, config=ctx.config, column_year=year - 1), config=ctx.config)
        series = series_all[ctx.area]
        published = describe.publish_table(series, list(series.columns), area_level=ctx.area_level,
                                           config=ctx.config, assume_published_totals=False,
                                           also_withhold=withheld).reset_index()
        chart = describe.published_numbers(published, list(series.columns))
        fig, ax = plt.subplots()
        for i, column in enumerate(series.columns):
            ax.plot(chart["Year"], chart[column], marker="o", color=OKABE_ITO[i], label=column)
        ax.set(xlabel="Calendar year", ylabel="Offences", ylim=(0, None))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=1)
        sns.despine(ax=ax)
        nb.show_figure(fig, "sv-trend", caption=f"Serious violence offences a year, {ctx.area_label}, "
                       f"{ctx.config.first_year}–{year}.",
                       alt=describe.trend_alt_text(chart, "Year"), data=published)
        nb.show_note(describe.withheld_note(published, ctx.config))
        """),
        md("""
        ## Compared with elsewhere

        Comparator series are supplied with the data (for example national knife crime from the
        Office for National Statistics, or rates in other Violence Reduction Unit areas). They
        are shown as supplied; they describe other areas and may use other definitions.
        """),
        code("""
        for name, frame in describe.comparator_series(ctx.dataset.comparators).items():
            fig, ax = plt.subplots()
            sns.lineplot(data=frame, x="year", y="value", hue="area", marker="o", ax=ax,
                         palette=palette(len(set(frame["area"]))))
            ax.set(xlabel="Year", ylabel=describe.series_label(name), ylim=(0, None))
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(frameon=False, title=None)
            sns.despine(ax=ax)
            nb.show_figure(fig, f"comparator-{name}", caption=f"Comparator: {describe.series_label(name)}, as supplied.",
                           alt=describe.comparator_alt_text(frame, name), data=frame)
        """),
        md("""
        Knife-enabled offences before 2019 should be read with caution: the knife flag was
        recorded with low accuracy before April 2019.
        """),
    ]


@spec("06_people")
def people_section() -> list:
    return [
        md("""
        # People: {glue:text}`area_label`

        This page describes the people linked to serious violence in {glue:text}`area_label` in
        {glue:text}`year`: their ages, where suspects come from, how many victims were also
        suspects, and links to domestic abuse. People are counted by a pseudonymous identifier,
        so no individual can be identified from these figures. Suspects are people linked to an
        investigation, not people convicted.

        ## Age
        """),
        code("""
        sv_ids = serious_violence_ids(crimes, "partnership", year=year)
        persons = ctx.dataset.persons
        profiles = {role: people.age_profile(persons, sv_ids, role) for role in ("suspect", "victim")}
        features = people.age_profile_features(profiles["suspect"].counts,
                                               smooth=3 if ctx.area != "county" else 1)
        nb.glue_text("pp_age_sentence", describe.age_profile_sentence(features, "suspects"))
        ages = describe.age_profile_frame(profiles)
        if len(ages) == 0:
            display(Markdown(f"*No suspects or victims of serious violence were recorded in {ctx.area_label} in {year}.*"))
        else:
            chart = disclosure.suppress_counts(ages, ["Suspects", "Victims"], area_level=ctx.area_level,
                                               config=ctx.config, output="numeric")
            fig, ax = plt.subplots(figsize=(9, 4.5))
            ax.plot(chart["Age"], chart["Suspects"], color=OKABE_ITO[0], marker=".", label="Suspects")
            ax.plot(chart["Age"], chart["Victims"], color=OKABE_ITO[1], marker=".", label="Victims")
            ax.set(xlabel="Age at offence", ylabel="People", xlim=(0, 80), ylim=(0, None))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            for label, age in describe.age_feature_marks(features).items():
                ax.axvline(age, color="#555555", linestyle=":", linewidth=1)
                ax.annotate(f"{label} ({age})", (age, 1), xycoords=("data", "axes fraction"), rotation=90,
                            va="top", ha="right", fontsize=9, color="#333333")
            ax.legend(frameon=False)
            sns.despine(ax=ax)
            nb.show_figure(fig, "age-profile",
                           caption=f"Suspects and victims of serious violence by age, {ctx.area_label}, {year}. "
                                   "Dotted lines mark where the suspects' curve begins its steep incline, peaks "
                                   "and levels off.",
                           alt=f"Line chart of suspects and victims by single year of age. "
                               f"{describe.age_profile_sentence(features, 'suspects')}",
                           data=disclosure.suppress_counts(ages, ["Suspects", "Victims"], area_level=ctx.area_level,
                                                           config=ctx.config))
        """),
        md("""
        {glue:text}`pp_age_sentence` Serious violence does not only involve the young, but the
        steep rise in early adolescence marks the window in which primary and secondary
        prevention can act.

        ## Suspects and victims
        """),
        code("""
        people_all = describe.tables_by_area(ctx.dataset, describe.people_repeats_for, persons, year)
        table = describe.publish_people_table(
            people_all[ctx.area], area_level=ctx.area_level, config=ctx.config,
            also_withhold=describe.cross_csp_mask(people_all, ctx.area, ["Records"], config=ctx.config))
        nb.show_table(table, "people-summary", f"Suspects and victims of serious violence, {ctx.area_label}, {year}")
        nb.show_note(describe.withheld_note(table, ctx.config))
        overlap = people.victim_suspect_overlap(persons, serious_violence_ids(crimes, "partnership"))
        nb.glue_number("pp_overlap", describe.percent(overlap.share_of_victims), kind="percent", count=overlap.both)
        da = people.domestic_abuse_link(persons, ctx.dataset.crimes, sv_ids, year)
        nb.glue_number("pp_da_link", describe.percent(da.share), kind="percent", count=da.count)
        """),
        md("""
        Across all years of data, {glue:text}`pp_overlap` of victims of serious violence in
        {glue:text}`area_label` were also suspects for serious violence. Many people move between
        the two roles, which is why interventions at "reachable moments" — in hospital, in
        custody, after a first victimisation — matter.

        ## Where suspects come from
        """),
        code("""
        origins = people.origin_profile(persons, sv_ids, ctx.config.csps)
        shown = describe.origin_table(origins)
        nb.show_table(shown, "suspect-origins", f"Where suspects of serious violence in {ctx.area_label} "
                      f"lived, {year}", count_columns=["Suspects"]);
        """),
        md("""
        ## Links to domestic abuse

        {glue:text}`pp_da_link` of this year's suspects had been named on a domestic abuse crime
        in the last five years, as a suspect, a victim or an involved party.
        """),
    ]


@spec("07_place")
def place_section() -> list:
    return [
        md("""
        # Place: {glue:text}`area_label`

        Serious violence is concentrated in a small number of neighbourhoods. This page shows
        where it happened, how persistent those places are, and how the Community Safety
        Partnerships (CSPs) compare. Maps show neighbourhoods (Lower Layer Super Output Areas,
        LSOAs) coloured by a statistic for the whole neighbourhood — never the location of an
        incident or a home. Hotspots are always found across the whole of
        {glue:text}`county_name`, because a neighbourhood's neighbours matter.
        """),
        hidden("""
        sv_all = serious_violence_ids(ctx.dataset, "partnership")
        layers = factors.build_factor_layers(ctx.dataset, year, sv_ids=sv_all)
        statements = place.place_statements(ctx.dataset, layers, sv_ids=sv_all, year=year)
        urban_nte = statements["urban_nte"]
        nb.glue_number("pl_urban", describe.percent(urban_nte.loc["urban", "share"]), kind="percent",
                       count=urban_nte.loc["urban", "crimes"], area_level="county")
        nb.glue_number("pl_nte", describe.percent(urban_nte.loc["nte", "share"]), kind="percent",
                       count=urban_nte.loc["nte", "crimes"], area_level="county")
        nb.glue_text("pl_window", f"{year - 4}–{year}")
        """),
        md("""
        Over {glue:text}`pl_window`, {glue:text}`pl_urban` of serious violence in
        {glue:text}`county_name` happened in urban neighbourhoods and {glue:text}`pl_nte` in
        night-time-economy areas.

        ## Persistent hotspots
        """),
        code("""
        persistent = describe.sv_persistence(ctx.dataset, year, sv_ids=sv_all)
        nb.show_map(describe.map_frame(ctx.dataset.geography, persistent["years_hot"].astype("string")),
                    "value", kind="class", name="sv-persistence",
                    title=f"Years a hotspot, {year - 4}–{year}",
                    caption=f"Number of years in {year - 4}–{year} in which each neighbourhood was a serious "
                            "violence hotspot (Getis–Ord Gi*, 95% confidence). Darker = more persistent.")
        nb.glue_number("pl_new_hotspots", persistent.attrs["new_hotspots"], area_level="county")
        """),
        md("""
        {glue:text}`pl_new_hotspots` neighbourhoods were hotspots in {glue:text}`year` without
        having been one in any of the previous four years ({numref}`tbl-new-hotspots`). Serious
        violence is not a volume crime, so hotspots vary more from year to year than they would
        for a volume crime; the persistence map is the more reliable guide.
        """),
        code("""
        nb.show_table(describe.new_hotspots_by_csp(persistent, ctx.dataset.geography), "new-hotspots",
                      f"Serious violence hotspot neighbourhoods in {year}, and new hotspots, by CSP")
        """),
        md("""
        ## Hotspots in {glue:text}`year`
        """),
        code("""
        nb.show_map(describe.map_frame(ctx.dataset.geography, describe.flag_labels(layers["sv_offences_bin"])),
                    "value", kind="flag", name="sv-hotspots",
                    title=f"Serious violence hotspots, {year}",
                    caption=f"Serious violence hotspots and cold spots in {year} (Getis–Ord Gi*, 95% "
                            "confidence). Hover for the neighbourhood name.")
        """),
        md("""
        ## Rates by Community Safety Partnership

        The table compares the CSPs on serious violence offences in {glue:text}`year` and over the
        five years {glue:text}`pl_window`: their share of all serious violence in
        {glue:text}`county_name`, their rate per 1,000 residents, their rank (1 = highest) and the
        change in their share since the year before.
        """),
        code("""
        previous = place.csp_breakdown(ctx.dataset.crimes, sv_all, ctx.dataset.geography, ctx.dataset.population,
                                       years=[year - 1])
        table = describe.publish_csp_table(describe.csp_table(statements["csp_year"], statements["csp_window"], year,
                                                              previous), year, config=ctx.config,
                                           masks=describe.sv_csp_masks(ctx.dataset, year, config=ctx.config))
        nb.show_table(table, "csp-rates", f"Serious violence by Community Safety Partnership, {year} "
                      "(rates per 1,000 residents; rank 1 = highest rate)")
        nb.show_note(describe.withheld_note(table, ctx.config))
        """),
        md("""
        ## Ambulance call-outs for serious trauma

        Ambulance calls for assault or sexual assault and for stab, gunshot or penetrating trauma
        give an independent view of violence that does not depend on crimes being reported to
        the police.
        """),
        hidden("""
        overlap = statements["sv_trauma_overlap"]
        nb.glue_number("pl_overlap_share", describe.percent(overlap["share"]), kind="percent", count=overlap["both"],
                       area_level="county")
        nb.glue_number("pl_sv_elevated", overlap["elevated"], area_level="county")
        """),
        md("""
        Of the {glue:text}`pl_sv_elevated` neighbourhoods with elevated serious violence in
        {glue:text}`year`, {glue:text}`pl_overlap_share` also had elevated ambulance call-outs
        for serious trauma.
        """),
    ]


@spec("08_risk_factors")
def risk_factors() -> list:
    return [
        md("""
        # Risk and protective factors: {glue:text}`area_label`

        Research identifies factors in the individual, the family, the school and the community
        that are associated with a higher risk of violence. This page maps those that can be
        measured for small areas from the data supplied, combines them in a risk index, and
        checks how well the index anticipates where serious violence happens. These are
        associations between places, not causes, and they describe neighbourhoods, not the
        people who live there.
        """),
        hidden("""
        sv_all = serious_violence_ids(ctx.dataset, "partnership")
        layers = factors.build_factor_layers(ctx.dataset, year, sv_ids=sv_all)
        statements = place.place_statements(ctx.dataset, layers, sv_ids=sv_all, year=year)
        for key, name in (("rf_dep_above", "suspects_above_average_deprivation"),
                          ("rf_dep_over", "suspects_over_statement_deprivation"),
                          ("rf_da_persistent", "suspects_persistent_da"),
                          ("rf_disorganisation", "suspects_victims_disorganisation")):
            result = statements[name]
            nb.glue_number(key, describe.percent(result["share"]), kind="percent", count=result["in_flagged"], area_level="county")
        """),
        md("""
        ## Deprivation

        The Census 2021 counts households deprived in four dimensions: employment, education,
        health and disability, and housing. The map shows the share of households deprived in
        two or more.

        - {glue:text}`rf_dep_above` of serious violence suspects in {glue:text}`year` (with a
          known home in the area) lived in neighbourhoods with a higher than average share of
          such households;
        - {glue:text}`rf_dep_over` lived in neighbourhoods where more than 20% of households
          were.
        """),
        code("""
        nb.show_map(describe.map_frame(ctx.dataset.geography, 100 * layers["deprivation_share"]), "value",
                    name="deprivation", title="% households deprived in 2+ dimensions",
                    caption="Share of households deprived in two or more dimensions, Census 2021, by neighbourhood.")
        """),
        md("""
        ## School exclusions and suspensions

        Exclusion from school is associated with a higher risk of involvement in violence. The
        chart shows permanent exclusions and suspensions by academic year for the local
        authorities in the area.
        """),
        code("""
        exclusions = describe.exclusions_by_year(ctx.dataset.school_exclusions)
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for ax, (measure, colour) in zip(axes, (("Permanent exclusions", OKABE_ITO[3]), ("Suspensions", OKABE_ITO[0]))):
            sns.barplot(data=exclusions, x="Academic year", y=measure, color=colour, ax=ax)
            ax.set(title=measure, xlabel="Academic year", ylabel="Number")
            ax.tick_params(axis="x", rotation=45)
            sns.despine(ax=ax)
        nb.show_figure(fig, "exclusions", caption="Permanent exclusions and suspensions by academic year, "
                       "all local authorities in the area.",
                       alt=describe.exclusions_alt_text(exclusions), data=exclusions)
        """),
        md("""
        ## Neighbourhood disorganisation

        Anti-social behaviour, deliberate fires and arson are used as a proxy for neighbourhood
        disorganisation, weighted by seriousness (by default anti-social behaviour 1, deliberate
        fire 2, arson not endangering life 3, arson endangering life 5).
        {glue:text}`rf_disorganisation` of suspects and victims of serious violence lived in
        neighbourhoods that were hotspots of this weighted score in {glue:text}`year`.
        """),
        code("""
        nb.show_map(describe.map_frame(ctx.dataset.geography, describe.flag_labels(layers["disorganisation_bin"])),
                    "value", kind="flag", name="disorganisation",
                    title=f"Disorganisation hotspots, {year}",
                    caption=f"Hotspots of weighted anti-social behaviour, deliberate fires and arson, {year}.")
        """),
        md("""
        ## A culture of normalised violence: domestic abuse

        Domestic abuse is one indicator of a culture of normalised violence. The map shows in how
        many of the last five years each neighbourhood was a hotspot for the homes of domestic
        abuse victims. {glue:text}`rf_da_persistent` of serious violence suspects lived in
        neighbourhoods that were hotspots in all five years.
        """),
        code("""
        nb.show_map(describe.map_frame(ctx.dataset.geography,
                                       layers["da_victim_homes_years_hot"].astype("string")),
                    "value", kind="class", name="da-persistence",
                    title=f"Years a DA hotspot, {year - 4}–{year}",
                    caption="Years in which each neighbourhood was a hotspot for the homes of domestic abuse victims.")
        """),
        md("""
        ## Risk index

        The risk index combines the factor layers — hotspots of serious violence suspects' homes,
        deprivation, persistent domestic abuse, disorganisation, homes of Class A drug suspects
        and unemployment history — into one score per neighbourhood, with the weights set in
        `config.yaml`. The top 5% of neighbourhoods by score are mapped and listed below. The
        index is a guide for prioritising prevention, not a label for a community.
        """),
        code("""
        settings = index_settings(ctx.config)
        index = risk_index.risk_index(layers, settings)
        nb.show_map(describe.map_frame(ctx.dataset.geography, index["score"]), "value",
                    name="risk-index", title="Risk index score", decimals=2,
                    caption="Risk index score by neighbourhood (higher = more risk factors present).")
        nb.show_table(describe.top_risk_table(index, ctx.dataset.geography, ctx.area), "risk-top",
                      f"Highest-scoring neighbourhoods (top {ctx.config.risk_index.top_share:.0%}) in {ctx.area_label}");
        """),
        md("""
        ## How well does the index anticipate serious violence?

        An index built from one year's data is only useful if it points to where serious
        violence happens next. The check below builds the index for the year before the
        reporting year and measures the share of the reporting year's serious violence that
        happened in its top-ranked neighbourhoods (the **capture rate**), compared with simply
        ranking neighbourhoods by the previous year's serious violence (the **naive
        baseline**).
        """),
        code("""
        check = index_validation.validate_index(ctx.dataset, [year - 1], sv_ids=sv_all)
        nb.show_table(describe.validation_table(check), "index-validation",
                      f"Share of {year} serious violence in the neighbourhoods each method selected from {year - 1} data, "
                      f"{ctx.county_label}");
        """),
        md("""
        ## Which factors travel with serious violence?

        A negative binomial regression of each neighbourhood's serious violence count on the
        factor layers, allowing for population, shows which factors are associated with higher
        rates when the others are held constant. An incidence rate ratio (IRR) above 1 means a
        higher rate. Moran's I of the model's residuals tests whether neighbouring areas share
        something the model has missed.
        """),
        code("""
        model = regression.sv_regression(layers, settings, weights=weights_for(ctx.dataset.geography, settings))
        nb.show_table(describe.irr_table(model), "regression-irr",
                      f"Incidence rate ratios from a negative binomial model of serious violence by neighbourhood, "
                      f"{ctx.county_label}, {year}");
        nb.glue_text("rf_moran", describe.moran_sentence(model))
        """),
        md("""
        {glue:text}`rf_moran`
        """),
    ]




@spec("09_community_voices")
def community_voices() -> list:
    return [
        md("""
        # Community voices: {glue:text}`area_label`

        Data tell us where and to whom serious violence happens; residents, and especially young
        people, tell us how it feels and what would help. The Serious Violence Duty guidance
        expects partnerships to involve communities in understanding the problem and shaping
        the response.

        This page summarises the themes raised in community and youth surveys supplied with the
        data: the number of responses that raised each theme. The counts are of responses, not
        of people, and one response can raise several themes.
        """),
        code("""
        themes = describe.survey_themes(ctx.dataset.community_survey, ctx.area)
        years = list(themes.columns[1:])
        if years:
            chart = disclosure.suppress_counts(themes, years, area_level=ctx.area_level, config=ctx.config,
                                               output="numeric")
            fig, ax = plt.subplots(figsize=(8, 0.8 + 0.5 * len(chart)))
            sns.barplot(data=chart, y="Theme", x=years[-1], color=OKABE_ITO[2], ax=ax)
            ax.set(xlabel=f"Responses raising the theme, {years[-1]}", ylabel="")
            sns.despine(ax=ax, left=True)
            nb.show_figure(fig, "survey-latest", caption=f"Themes raised in the {years[-1]} community survey, "
                           f"{ctx.area_label}.", alt=describe.survey_alt_text(chart, years[-1]),
                           data=disclosure.suppress_counts(themes, years, area_level=ctx.area_level,
                                                           config=ctx.config))
        nb.show_table(themes, "survey-themes", f"Themes raised in community surveys by year, {ctx.area_label}",
                      count_columns=years);
        """),
        md("""
        ## Using these findings

        Survey themes are most useful read alongside the data sections: a theme such as "more
        youth facilities" or "better street lighting" can be checked against the places
        identified in {doc}`/notebooks/07_place` and the risk factors in
        {doc}`/notebooks/08_risk_factors`. Report back to the people who took part on what
        changed as a result ("you said, we did").
        """),
    ]


@spec("10_area_profile")
def area_profile() -> list:
    return [
        md("""
        # Area profile: {glue:text}`area_label`

        This profile shows serious violence in {glue:text}`area_label` per 1,000 residents each
        year since {glue:text}`first_year`, beside the rate for {glue:text}`county_name`, and
        the area's rank among the Community Safety Partnerships (1 = highest rate).
        """),
        code("""
        profile = describe.area_profile(ctx.dataset, ctx.area, definition="partnership")
        chart = describe.profile_chart_data(profile, config=ctx.config)
        fig, ax = plt.subplots()
        ax.plot(chart["year"], chart["rate_per_1000"], marker="o", color=OKABE_ITO[0], label=ctx.area_label)
        ax.plot(chart["year"], chart["county_rate_per_1000"], marker="o", color=OKABE_ITO[5],
                label=ctx.county_label)
        ax.set(xlabel="Calendar year", ylabel="Offences per 1,000 residents", ylim=(0, None))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(frameon=False)
        sns.despine(ax=ax)
        nb.show_figure(fig, f"profile-trend-{ctx.area}", caption=f"Serious violence offences per 1,000 residents, "
                       f"{ctx.area_label} and {ctx.county_label}. Gaps: withheld to protect the people involved.",
                       alt=describe.trend_alt_text(chart, "year"), data=chart)
        table = describe.profile_table(profile, config=ctx.config)
        nb.show_table(table, f"profile-table-{ctx.area}", f"Serious violence in {ctx.area_label} by year")
        nb.show_note(describe.withheld_note(table, ctx.config))
        """),
    ]


@spec("11_data_quality")
def data_quality() -> list:
    return [
        md("""
        # Data quality: {glue:text}`area_label`

        Every record in the input data folder was checked against the toolkit's data contract
        before any figure in this book was computed. The table lists, for each input file, how
        many records were **read**, how many were **used** and how many were **rejected**, with
        the reasons. For every file, records read = records used + records rejected: no record
        is dropped without being counted here.

        The checks cover the whole data folder, so this table is the same in the book for the
        whole area and in each Community Safety Partnership's book.
        """),
        code("""
        quality = ctx.quality.rename(columns={"file": "File", "read": "Read", "used": "Used",
                                              "rejected": "Rejected", "reasons": "Reasons for rejection"})
        nb.show_table(quality, "data-quality", "Records read, used and rejected, by input file");
        """),
        md("""
        ## What to do about rejected records

        A small number of rejected records is normal — for example a crime dated outside the
        analysis period. If many records are rejected for the same reason, the extract that
        produced the file probably needs correcting at source; rebuild the book afterwards.
        Run `sna validate --data <folder>` to see each problem with its file, column and row.

        See {doc}`/book/biases` for the wider limitations of the data.
        """),
    ]


def render(name: str) -> str:
    return nbformat.writes(notebook(SPECS[name]()), version=4) + ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if committed notebooks are stale")
    args = parser.parse_args(argv)
    stale = []
    for name in sorted(SPECS):
        path = OUT_DIR / f"{name}.ipynb"
        text = render(name)
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale notebooks: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
