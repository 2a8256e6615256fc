"""All police-recorded crime for the synthetic county, with serious-violence flags.

Volumes per Home Office offence code and year come from the profile (reporting-year volume x
all-crime trend x group trend, Poisson noise). Each crime is placed in an LSOA with
probability proportional to ``population x exp(beta_kind x latent) x NTE boost`` (domestic
abuse uses the ``domestic`` kind). Knife flags are then put on exactly the profile's yearly
number of non-domestic crimes (weighted towards serious codes and high-risk places), and
other weapon / firearm / county-lines / gang flags top the partnership definition up to its
yearly target. Everything is vectorised; loops run over years and spatial kinds only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sna_lib.synthetic.geography import Geography
from sna_lib.synthetic.latent import Latent, intensity
from sna_lib.synthetic.sampling import (pick_without_replacement, random_dates, sample_index,
                                        stochastic_round)

SV_CLASSES = ("homicide", "vwi", "robbery", "sexual")
HOMICIDE_CODES = ("1", "4.1")
FLAG_COLUMNS = ("knife", "firearm", "other_weapon", "county_lines", "gang")
SV_LAYER_KINDS = ("violence", "drugs")  # kinds that see the last year's new hotspots


@dataclass(frozen=True)
class OffenceTable:
    """The profile's offence mix as parallel arrays (one entry per offence code)."""

    code: np.ndarray
    title: np.ndarray
    volume: np.ndarray
    group: np.ndarray
    kind: np.ndarray
    da: np.ndarray
    public: np.ndarray
    sv_class: np.ndarray
    knife_weight: np.ndarray

    @classmethod
    def from_profile(cls, profile: dict) -> "OffenceTable":
        items = list(profile["offences"].items())
        col = lambda key, default=None: np.array([v.get(key, default) for _, v in items], dtype=object)
        return cls(
            code=np.array([str(k) for k, _ in items], dtype=object),
            title=col("title"),
            volume=col("n").astype(float),
            group=col("group"),
            kind=col("kind"),
            da=col("da", 0.0).astype(float),
            public=col("public", 0.5).astype(float),
            sv_class=col("sv", "none"),
            knife_weight=col("knife", 0.0).astype(float),
        )

    def index(self, code: str) -> int:
        return int(np.flatnonzero(self.code == code)[0])


@dataclass
class Crimes:
    """Generated crimes as arrays (row order = chronological)."""

    offences: OffenceTable
    year: np.ndarray
    date: np.ndarray        # datetime64[D]
    code: np.ndarray        # index into offences
    lsoa: np.ndarray        # index into geography
    domestic_abuse: np.ndarray
    public: np.ndarray
    flags: dict[str, np.ndarray]
    _ids: pa.Array | None = None

    @property
    def n(self) -> int:
        return len(self.year)

    def partnership_sv(self) -> np.ndarray:
        """Boolean mask of the partnership serious-violence definition (section 5 of the SNA)."""
        cls = np.isin(self.offences.sv_class, SV_CLASSES)[self.code]
        enabled = np.zeros(self.n, dtype=bool)
        for f in FLAG_COLUMNS:
            enabled |= self.flags[f]
        return cls & ~self.domestic_abuse & self.public & enabled

    def crime_ids(self) -> pa.Array:
        """Crime identifiers ``C00000001`` ... in row (chronological) order."""
        if self._ids is None or len(self._ids) != self.n:
            self._ids = format_ids("C", self.n, width=8)
        return self._ids


def format_ids(prefix: str, n: int, width: int) -> pa.Array:
    """``prefix`` + zero-padded 1-based sequence numbers, as an Arrow string array.

    Examples
    --------
    >>> format_ids("C", 2, 3).to_pylist()
    ['C001', 'C002']
    """
    import pyarrow.compute as pc

    digits = pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, "")


def yearly_volumes(profile: dict, offences: OffenceTable, years: tuple[int, ...],
                   scale: float) -> np.ndarray:
    """Expected crimes per (year, offence code), before noise; homicide codes excluded.

    Examples
    --------
    >>> from sna_lib.synthetic.profile import load_profile
    >>> p = load_profile(); o = OffenceTable.from_profile(p)
    >>> v = yearly_volumes(p, o, (2023,), 1.0)
    >>> round(float(v.sum()) / 157000, 4)   # homicides are set separately from yearly targets
    0.9999
    """
    cfg = profile["crime"]
    homicide = np.isin(offences.code, HOMICIDE_CODES)
    share_hom = offences.volume[homicide].sum() / offences.volume.sum()
    out = np.zeros((len(years), len(offences.code)))
    for i, year in enumerate(years):
        mult = np.array([cfg["group_trend"].get(g, {}).get(year, 1.0) for g in offences.group])
        raw = np.where(homicide, 0.0, offences.volume * mult)
        total = cfg["total_reporting_year"] * cfg["total_trend"][year] * scale
        out[i] = raw / raw.sum() * total * (1 - share_hom)
    return out


def _locate(rng, profile, geo, latent, pop_totals, years, year_bounds, kind_idx, kind_names, out):
    """Fill ``out`` (LSOA index per row) by (year, kind) intensity sampling."""
    nte = geo.frame["nte"].to_numpy()
    spatial = profile["spatial_kinds"]
    for yi, year in enumerate(years):
        start, stop = year_bounds[yi], year_bounds[yi + 1]
        y_kind = kind_idx[start:stop]
        for k in np.unique(y_kind):
            kind = kind_names[k]
            rows = start + np.flatnonzero(y_kind == k)
            z = latent.sv_z(year) if kind in SV_LAYER_KINDS else latent.z[yi]
            w = intensity(pop_totals[yi], z, spatial[kind]["beta"], nte, spatial[kind]["nte_boost"])
            out[rows] = sample_index(w, len(rows), rng)


def build_crimes(rng: np.random.Generator, profile: dict, geo: Geography, latent: Latent,
                 pop_totals: np.ndarray, years: tuple[int, ...], scale: float) -> Crimes:
    """Generate every crime for ``years``.

    ``pop_totals`` is the population per (year, LSOA). See the module docstring for the model.

    Examples
    --------
    >>> from sna_lib.synthetic.profile import load_profile, Scaled
    >>> from sna_lib.synthetic.geography import build_geography
    >>> from sna_lib.synthetic.latent import build_latent
    >>> p = load_profile(); s = Scaled.from_profile(p, 0.05)
    >>> geo = build_geography(np.random.default_rng(1), p, s)
    >>> lat = build_latent(np.random.default_rng(2), p, s, geo)
    >>> from sna_lib.synthetic.population import build_population
    >>> _, totals = build_population(np.random.default_rng(3), p, geo, s.years)
    >>> crimes = build_crimes(np.random.default_rng(4), p, geo, lat, totals, s.years, 0.05)
    >>> int(crimes.partnership_sv()[crimes.year == 2023].sum())  # 1,100 x 0.05
    55
    """
    cfg = profile["crime"]
    tg = profile["targets"]
    off = OffenceTable.from_profile(profile)
    n_codes = len(off.code)
    expected = yearly_volumes(profile, off, years, scale)
    counts = rng.poisson(expected)
    da_counts = rng.binomial(counts, off.da[None, :])
    hom = np.flatnonzero(np.isin(off.code, HOMICIDE_CODES))
    hom_share = off.volume[hom] / off.volume[hom].sum()
    for i, year in enumerate(years):
        non_da = rng.multinomial(stochastic_round(tg["homicide_non_da"][year] * scale, rng), hom_share)
        da = rng.multinomial(stochastic_round(tg["homicide_da"][year] * scale, rng), hom_share)
        counts[i, hom] = non_da + da
        da_counts[i, hom] = da

    # one block per (year, da, code), in that order, so each year's rows are contiguous
    yi_grid, da_grid, code_grid = np.meshgrid(np.arange(len(years)), np.array([False, True]),
                                              np.arange(n_codes), indexing="ij")
    block_n = np.stack([counts - da_counts, da_counts], axis=1).ravel()
    year_idx = np.repeat(yi_grid.ravel(), block_n)
    code = np.repeat(code_grid.ravel(), block_n)
    da_flag = np.repeat(da_grid.ravel(), block_n)
    year_bounds = np.concatenate([[0], np.cumsum(counts.sum(axis=1))])
    n = len(code)
    years_arr = np.array(years)[year_idx]

    kind_names = sorted(set(off.kind.astype(str)) | {"domestic"})
    code_kind = np.array([kind_names.index(k) for k in off.kind], dtype=np.int8)
    kind_idx = np.where(da_flag, kind_names.index("domestic"), code_kind[code])
    lsoa = np.empty(n, dtype=np.int64)
    _locate(rng, profile, geo, latent, pop_totals, years, year_bounds, kind_idx, kind_names, lsoa)

    date = np.empty(n, dtype="datetime64[D]")
    date[da_flag] = random_dates(years_arr[da_flag], rng, cfg["seasonality_amplitude"], 0.0)
    date[~da_flag] = random_dates(years_arr[~da_flag], rng, cfg["seasonality_amplitude"],
                                  cfg["covid_lockdown_dip"])
    public = np.where(da_flag, rng.random(n) >= cfg["da_dwelling_share"],
                      rng.random(n) < off.public[code])

    flags = {f: np.zeros(n, dtype=bool) for f in FLAG_COLUMNS}
    is_sv_class = np.isin(off.sv_class, SV_CLASSES)[code]
    is_hom = np.isin(code, hom)
    extra = profile["sv_extra_beta"]
    enablers = tg["other_enablers"]
    enabler_names = np.array(list(enablers))
    enabler_p = np.array(list(enablers.values()), dtype=float)
    for i, year in enumerate(years):
        sl = slice(year_bounds[i], year_bounds[i + 1])
        start = year_bounds[i]
        svz_rows = np.exp(extra * latent.sv_z(year)[lsoa[sl]])
        y_code, y_da, y_public, y_hom = code[sl], da_flag[sl], public[sl], is_hom[sl]
        knife = flags["knife"][sl]  # views: writes go through to the full arrays
        # homicides: knife share by year
        h = np.flatnonzero(y_hom & ~y_da)
        n_knife_h = int(round(tg["homicide_knife_share"][year] * len(h)))
        knife[rng.choice(h, n_knife_h, replace=False)] = True
        k_target = int(stochastic_round(tg["knife_non_da"][year] * scale, rng)) - n_knife_h
        eligible = ~y_da & ~y_hom & (off.knife_weight[y_code] > 0)
        w = np.where(eligible, off.knife_weight[y_code] * svz_rows, 0.0)
        knife[pick_without_replacement(w, k_target, rng)] = True
        # top the partnership definition up with other enablers
        sv_now = is_sv_class[sl] & ~y_da & y_public
        s0 = int((sv_now & knife).sum())
        h_other = np.flatnonzero(sv_now & y_hom & ~knife)
        top_up = int(stochastic_round(tg["partnership_sv"][year] * scale, rng)) - s0 - len(h_other)
        # non-knife public homicides always count (weapon / other means recorded)
        flags["other_weapon"][start + h_other] = True
        cand = sv_now & ~knife & ~y_hom
        w = np.where(cand, (off.knife_weight[y_code] + 0.3) * svz_rows, 0.0)
        chosen = start + pick_without_replacement(w, max(top_up, 0), rng)
        which = enabler_names[sample_index(enabler_p, len(chosen), rng)]
        for name in enabler_names:
            flags[str(name)][chosen[which == name]] = True

    # background flags that do not change the partnership count
    bg = tg["background_flags"]
    u = rng.random(n)
    flags["knife"] |= da_flag & is_sv_class & ~is_hom & (u < bg["da_knife"])
    trafficking = np.char.startswith(off.code.astype(str), "92A")[code]
    possession = np.isin(off.code.astype(str), ["92D/A", "92D/BC", "92E"])[code]
    flags["county_lines"] |= trafficking & (u < bg["county_lines_supply"])
    flags["county_lines"] |= possession & (u < bg["county_lines_possession"])
    dwelling_sv = is_sv_class & ~public & ~da_flag
    v = rng.random(n)
    flags["gang"] |= dwelling_sv & (v < bg["gang_violence_dwelling"])
    flags["other_weapon"] |= dwelling_sv & (v > 1 - bg["other_weapon_dwelling"])
    for flag, shares in (("knife", bg["knife_other"]), ("firearm", bg["firearm_other"])):
        p = np.zeros(len(off.code))
        for c, share in shares.items():
            p[off.index(str(c))] = share
        flags[flag] |= ~da_flag & (rng.random(n) < p[code])

    # chronological order (ties broken by a random key) so ids follow time
    tiebreak = rng.integers(0, 1 << 31, n, dtype=np.int64)
    order = np.argsort((date.astype(np.int64) << 31) | tiebreak)
    return Crimes(offences=off, year=years_arr[order], date=date[order], code=code[order],
                  lsoa=lsoa[order], domestic_abuse=da_flag[order], public=public[order],
                  flags={k: v[order] for k, v in flags.items()})


def crimes_table(crimes: Crimes, lsoa_codes: np.ndarray) -> pa.Table:
    """The contract's ``crimes`` table."""
    codes = pa.array(lsoa_codes.astype(str))
    return pa.table({
        "crime_id": crimes.crime_ids(),
        "date": pa.array(crimes.date, type=pa.date32()),
        "offence_code": pa.array(crimes.offences.code.astype(str)).take(pa.array(crimes.code)),
        "offence_description": pa.array(crimes.offences.title.astype(str)).take(pa.array(crimes.code)),
        "lsoa_code": codes.take(pa.array(crimes.lsoa)),
        "domestic_abuse": pa.array(crimes.domestic_abuse),
        **{f: pa.array(crimes.flags[f]) for f in FLAG_COLUMNS},
        "location_type": pa.array(["dwelling", "public"]).take(pa.array(crimes.public.astype(np.int8))),
    })
