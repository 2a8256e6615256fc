"""People linked to crimes: suspects, victims and involved parties with stable pseudonyms.

Three mechanisms, all vectorised within a year:

* **Serious violence** (partnership definition) suspects and victims are built by quota:
  a year's suspect slots are filled by ``U = slots x (1 - repeat_within_year)`` distinct
  people, of whom a set share were already SV suspects in the previous five years; the rest
  are new people whose ages follow the profile's age curve exactly (systematic sampling).
* **Pools** (general suspects / victims, domestic-abuse suspects / victims, drug suspects):
  persistent people with a home LSOA drawn from ``population x exp(beta x latent)``, an
  "anchor" year and a gamma-distributed propensity, re-drawn across crimes and years, so
  repeat victimisation / offending and home-location hotspots arise naturally.
* **DA link**: a share of each year's SV suspects is written into domestic-abuse crimes of the
  previous five years (as suspect, victim or involved party).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from sna_lib.synthetic.crime import Crimes, format_ids
from sna_lib.synthetic.geography import Geography
from sna_lib.synthetic.latent import Latent
from sna_lib.synthetic.sampling import (knots_pmf, pick_without_replacement, sample_index,
                                        systematic_counts, systematic_values)

ROLES = ("suspect", "victim", "involved_party")
SUSPECT, VICTIM, INVOLVED = 0, 1, 2
DAYS_PER_YEAR = 365.25


@dataclass
class PersonStore:
    """Attributes of every generated person (index = internal person number)."""

    birth: list = field(default_factory=list)   # datetime64[D] arrays
    male: list = field(default_factory=list)
    home: list = field(default_factory=list)    # LSOA index, -1 = outside county / unknown
    origin: list = field(default_factory=list)  # codes into _Context.origin_names
    size: int = 0

    def add(self, birth, male, home, origin) -> np.ndarray:
        n = len(birth)
        self.birth.append(np.asarray(birth, dtype="datetime64[D]"))
        self.male.append(np.asarray(male, dtype=bool))
        self.home.append(np.asarray(home, dtype=np.int64))
        self.origin.append(np.asarray(origin, dtype=np.int16))
        idx = np.arange(self.size, self.size + n)
        self.size += n
        return idx

    def arrays(self):
        cat = lambda parts, dt: np.concatenate(parts) if parts else np.zeros(0, dt)
        return (cat(self.birth, "datetime64[D]"), cat(self.male, bool), cat(self.home, np.int64),
                cat(self.origin, np.int16))


@dataclass
class Links:
    """Rows of the persons table under construction."""

    crime: list = field(default_factory=list)
    person: list = field(default_factory=list)
    role: list = field(default_factory=list)

    def add(self, crime, person, role) -> None:
        crime = np.asarray(crime, dtype=np.int32)  # int32 halves memory at stress scale
        self.crime.append(crime)
        self.person.append(np.asarray(person, dtype=np.int32))
        self.role.append(np.full(len(crime), role, dtype=np.int8) if np.isscalar(role)
                         else np.asarray(role, dtype=np.int8))

    def arrays(self):
        if not self.crime:
            z = np.zeros(0, np.int32)
            return z, z, z.astype(np.int8)
        return np.concatenate(self.crime), np.concatenate(self.person), np.concatenate(self.role)


class _Context:
    """Shared inputs for the person generators."""

    def __init__(self, rng, profile, geo, latent, pop_totals, crimes):
        self.rng = rng
        self.profile = profile
        self.people = profile["people"]
        self.geo = geo
        self.latent = latent
        self.pop_totals = pop_totals
        self.crimes = crimes
        outside = [a for a in self.people["outside_areas"]]
        self.origin_names = list(geo.csp_names) + [a for a in outside if a not in geo.csp_names]
        self.outside_codes = np.array([self.origin_names.index(a) for a in outside], dtype=np.int16)
        self.outside_p = np.array(list(self.people["outside_areas"].values()), dtype=float)
        self.store = PersonStore()

    def homes(self, n: int, year: int, beta: float, outside: float, sv: bool = False):
        """Home LSOA (or -1) and origin area for ``n`` new people."""
        rng = self.rng
        yi = self.latent.year_index(year)
        z = self.latent.sv_z(year) if sv else self.latent.z[yi]
        home = sample_index(self.pop_totals[yi] * np.exp(beta * z), n, rng)
        out = rng.random(n) < outside
        origin = self.geo.csp[home].astype(np.int16)
        origin[out] = self.outside_codes[sample_index(self.outside_p, int(out.sum()), rng)]
        home = np.where(out, -1, home)
        return home, origin

    def births_for_age(self, ages: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Birth dates so that the age on date ``at`` is exactly ``ages``."""
        days = np.floor(ages * DAYS_PER_YEAR + self.rng.uniform(1, DAYS_PER_YEAR - 1, len(ages)))
        return at - days.astype("timedelta64[D]")


def _per_crime_counts(pmf, n, rng) -> np.ndarray:
    return sample_index(np.asarray(pmf, dtype=float), n, rng)


def _serious_violence(ctx: _Context, links: Links, sv_rows: np.ndarray) -> dict[int, np.ndarray]:
    """Quota construction of SV suspects and victims; returns unique suspects per year."""
    rng, pp, cr = ctx.rng, ctx.people, ctx.crimes
    ages = np.arange(0, 101)
    sus_pmf = knots_pmf(pp["sv_suspect_age"], ages)
    vic_pmf = knots_pmf(pp["sv_victim_age"], ages)
    suspects_by_year: dict[int, np.ndarray] = {}
    victims_by_year: dict[int, np.ndarray] = {}
    for year in ctx.latent.years:
        rows = sv_rows[cr.year[sv_rows] == year]
        if len(rows) == 0:
            suspects_by_year[year] = victims_by_year[year] = np.zeros(0, np.int64)
            continue
        for role, pmf_counts, within, prior_share, age_pmf, outside, male, store in (
            (SUSPECT, pp["sv_suspects"], pp["sv_suspect_repeat_within_year"],
             pp["sv_suspect_prior_five_years"], sus_pmf, pp["sv_suspect_outside_county"],
             pp["sv_suspect_male"], suspects_by_year),
            (VICTIM, pp["sv_victims"], pp["sv_victim_repeat_within_year"],
             pp["sv_victim_prior_five_years"], vic_pmf, pp["sv_victim_outside_county"],
             pp["sv_victim_male"], victims_by_year),
        ):
            per_crime = _per_crime_counts(pmf_counts, len(rows), rng)
            slots_crime = np.repeat(rows, per_crime)
            n_slots = len(slots_crime)
            if n_slots == 0:
                store[year] = np.zeros(0, np.int64)
                continue
            n_unique = max(1, int(round(n_slots * (1 - within))))
            births_so_far = ctx.store.arrays()[0]
            age_in = lambda people: np.clip(year - 1970 - births_so_far[people].astype("datetime64[Y]").astype(int), 0, 100)
            prior = np.unique(np.concatenate(
                [store.get(y, np.zeros(0, np.int64)) for y in range(year - 5, year)]))
            n_prior = min(len(prior), int(round(n_unique * prior_share)))
            # people returning from earlier years, favouring ages the curve expects now
            chosen = ([prior[pick_without_replacement(age_pmf[age_in(prior)] + 1e-9, n_prior, rng)]]
                      if n_prior else [])
            if role == VICTIM:  # victim-offender overlap, mostly with this year's suspects
                taken = chosen[0] if chosen else np.zeros(0, np.int64)
                n_sus = int(round(n_unique * pp["sv_victim_was_suspect"]))
                for pool, share in ((suspects_by_year.get(year, np.zeros(0, np.int64)), 0.6),
                                    (np.concatenate([suspects_by_year.get(y, np.zeros(0, np.int64))
                                                     for y in range(year - 5, year)]), 0.4)):
                    pool = np.setdiff1d(pool, taken)
                    k = min(len(pool), int(round(n_sus * share)))
                    if k:
                        chosen.append(rng.choice(pool, k, replace=False))
                        taken = np.concatenate([taken, chosen[-1]])
            old = np.concatenate(chosen) if chosen else np.zeros(0, np.int64)
            n_new = n_unique - len(old)
            # new people's ages make the unique people follow the curve exactly (systematic)
            want = systematic_counts(age_pmf, n_unique, rng)
            need = np.clip(want - np.bincount(age_in(old), minlength=len(ages)), 0, None).astype(float)
            need = need / need.sum() if need.sum() > 0 else age_pmf
            new_age = systematic_values(ages, need, n_new, rng)
            # slots: every unique person once, the surplus re-uses them (within-year repeats)
            order = rng.permutation(n_slots)
            first_slots, extra_slots = order[:n_unique], order[n_unique:]
            new_first = first_slots[len(old):]
            births = ctx.births_for_age(new_age, cr.date[slots_crime[new_first]])
            home, origin = ctx.homes(n_new, year, pp["sv_home_beta"], outside, sv=True)
            new = ctx.store.add(births, rng.random(n_new) < male, home, origin)
            unique_people = np.concatenate([old, new])
            unique_age = np.concatenate([age_in(old), new_age])
            person = np.empty(n_slots, dtype=np.int64)
            person[first_slots] = unique_people
            person[extra_slots] = _repeat_by_age(unique_people, unique_age, age_pmf, n_slots,
                                                 len(extra_slots), rng)
            links.add(slots_crime, person, role)
            store[year] = np.unique(unique_people)
    return suspects_by_year


def _repeat_by_age(people: np.ndarray, age: np.ndarray, age_pmf: np.ndarray, n_slots: int,
                   n_extra: int, rng: np.random.Generator) -> np.ndarray:
    """Choose ``n_extra`` repeat appearances so that all slots together follow ``age_pmf``.

    The age of each repeat is drawn (systematically) from the shortfall between the target
    slot ages and the ages of the people already placed once; a random person of that age repeats.
    """
    if n_extra == 0:
        return np.zeros(0, dtype=np.int64)
    want = systematic_counts(age_pmf, n_slots, rng)
    short = np.clip(want - np.bincount(age, minlength=len(age_pmf)), 0, None).astype(float)
    have = np.bincount(age, minlength=len(age_pmf)) > 0
    short = short * have
    if short.sum() == 0:
        return rng.choice(people, n_extra)
    dup_age = systematic_values(np.arange(len(age_pmf)), short / short.sum(), n_extra, rng)
    order = np.argsort(age, kind="stable")
    sorted_age = age[order]
    lo = np.searchsorted(sorted_age, dup_age, side="left")
    hi = np.searchsorted(sorted_age, dup_age, side="right")
    pick = lo + (rng.random(n_extra) * (hi - lo)).astype(np.int64)
    return people[order[pick]]


@dataclass
class Pool:
    """A persistent population of people who recur across crimes."""

    people: np.ndarray      # person indices in the store
    weight: np.ndarray      # propensity
    anchor: np.ndarray      # anchor year
    birth_year: np.ndarray
    min_age: int

    def draw(self, year: int, n: int, rng: np.random.Generator) -> np.ndarray:
        age = year - self.birth_year
        w = self.weight * np.exp(-np.abs(year - self.anchor) / 1.5) * (age >= self.min_age)
        return self.people[sample_index(w, n, rng)]


def _make_pool(ctx: _Context, name: str, row_years: np.ndarray, min_age: int) -> Pool:
    """Create the pool ``name`` sized for the rows it will serve (by year)."""
    rng, pp = ctx.rng, ctx.people
    n_rows = len(row_years)
    size = max(1, int(np.ceil(n_rows / pp["pool_rows_per_person"][name])))
    anchor = row_years[rng.integers(0, max(n_rows, 1), size)] if n_rows else np.full(size, ctx.latent.years[-1])
    ages = np.arange(0, 101)
    age = sample_index(knots_pmf(pp[f"{name}_age"], ages), size, rng)
    at = (anchor - 1970).astype("datetime64[Y]").astype("datetime64[D]") + rng.integers(0, 365, size).astype("timedelta64[D]")
    births = ctx.births_for_age(age, at)
    home = np.empty(size, dtype=np.int64)
    origin = np.empty(size, dtype=np.int16)
    for year in np.unique(anchor):
        rows = np.flatnonzero(anchor == year)
        home[rows], origin[rows] = ctx.homes(len(rows), int(year), pp["pool_home_beta"][name],
                                             pp["pool_outside_county"][name])
    people = ctx.store.add(births, rng.random(size) < pp["pool_male"][name], home, origin)
    weight = rng.gamma(pp["pool_gamma_shape"][name], 1.0, size)
    return Pool(people=people, weight=weight, anchor=anchor, min_age=min_age,
                birth_year=births.astype("datetime64[Y]").astype(int) + 1970)


def _fill_from_pool(ctx: _Context, links: Links, pool: Pool, crime_rows: np.ndarray, role: int) -> np.ndarray:
    person = np.empty(len(crime_rows), dtype=np.int64)
    for year in np.unique(ctx.crimes.year[crime_rows]):
        sel = np.flatnonzero(ctx.crimes.year[crime_rows] == year)
        person[sel] = pool.draw(int(year), len(sel), ctx.rng)
    links.add(crime_rows, person, role)
    return person


def _da_link(ctx: _Context, links: Links, suspects_by_year: dict[int, np.ndarray],
             da_rows: np.ndarray) -> None:
    """Write a share of each year's SV suspects into DA crimes of the previous five years."""
    rng, pp, cr = ctx.rng, ctx.people, ctx.crimes
    birth, _, home, _ = ctx.store.arrays()
    role_names = list(pp["da_link_roles"])
    role_p = np.array(list(pp["da_link_roles"].values()), dtype=float)
    for year in ctx.latent.years:
        sus = suspects_by_year.get(year, np.zeros(0, np.int64))
        if len(sus) == 0:
            continue
        window = da_rows[(cr.year[da_rows] > year - 5) & (cr.year[da_rows] <= year)]
        if len(window) == 0:
            continue
        crime, person, role = links.arrays()
        in_window = np.isin(crime, window)
        linked = np.isin(sus, person[in_window])
        need = int(round(pp["sv_suspect_da_link"] * len(sus))) - int(linked.sum())
        if need <= 0:
            continue
        cand = sus[~linked]
        cand = np.concatenate([cand[home[cand] >= 0], cand[home[cand] < 0]])[:need]
        target = window[rng.integers(0, len(window), len(cand))]
        age = (cr.date[target] - birth[cand]).astype(int) / DAYS_PER_YEAR
        r = np.array([ROLES.index(role_names[i]) for i in sample_index(role_p, len(cand), rng)])
        r = np.where((age < 16) & (r == SUSPECT), np.where(rng.random(len(cand)) < 0.5, VICTIM, INVOLVED), r)
        # replace an existing person of that role in that crime when there is one
        flat_person = person.copy()
        for rr in (SUSPECT, VICTIM):
            slot = np.full(cr.n, -1, dtype=np.int64)
            at = np.flatnonzero(role == rr)
            slot[crime[at]] = at
            mine = np.flatnonzero(r == rr)
            pos = slot[target[mine]]
            ok = pos >= 0
            flat_person[pos[ok]] = cand[mine[ok]]
            r[mine[ok]] = -1  # handled
        links.crime, links.person, links.role = [crime], [flat_person], [role]
        rest = r >= 0
        links.add(target[rest], cand[rest], r[rest])


def build_persons(rng: np.random.Generator, profile: dict, geo: Geography, latent: Latent,
                  pop_totals: np.ndarray, crimes: Crimes) -> tuple[pa.Table, dict]:
    """Generate the persons table; also move DA dwelling crimes to the victim's home LSOA.

    Returns the Arrow table and a small dict of internals (unique SV suspects per year).

    Examples
    --------
    >>> from sna_lib.synthetic.profile import load_profile, Scaled
    >>> from sna_lib.synthetic.geography import build_geography
    >>> from sna_lib.synthetic.latent import build_latent
    >>> p = load_profile(); s = Scaled.from_profile(p, 0.05)
    >>> geo = build_geography(np.random.default_rng(1), p, s)
    >>> lat = build_latent(np.random.default_rng(2), p, s, geo)
    >>> from sna_lib.synthetic.population import build_population
    >>> from sna_lib.synthetic.crime import build_crimes
    >>> _, totals = build_population(np.random.default_rng(3), p, geo, s.years)
    >>> crimes = build_crimes(np.random.default_rng(4), p, geo, lat, totals, s.years, 0.05)
    >>> table, info = build_persons(np.random.default_rng(5), p, geo, lat, totals, crimes)
    >>> table.column_names
    ['crime_id', 'person_id', 'role', 'age', 'sex', 'home_lsoa', 'origin_area']
    """
    ctx = _Context(rng, profile, geo, latent, pop_totals, crimes)
    pp = ctx.people
    links = Links()
    cr = crimes
    sv = cr.partnership_sv()
    sv_rows = np.flatnonzero(sv)
    suspects_by_year = _serious_violence(ctx, links, sv_rows)

    is_drug = (cr.offences.group == "drugs")[cr.code]
    da_rows = np.flatnonzero(cr.domestic_abuse & ~sv)
    drug_rows = np.flatnonzero(is_drug & ~sv & ~cr.domestic_abuse)
    other = ~sv & ~cr.domestic_abuse & ~is_drug
    roles = pp["group_roles"]
    u = rng.random(cr.n)
    p_sus = np.array([roles[g]["suspect"] for g in cr.offences.group])[cr.code]
    p_vic = np.array([roles[g]["victim"] for g in cr.offences.group])[cr.code]
    gen_sus_rows = np.flatnonzero(other & (u < p_sus))
    gen_vic_rows = np.flatnonzero(other & (rng.random(cr.n) < p_vic))
    da_vic_rows = da_rows[rng.random(len(da_rows)) < 0.99]
    da_sus_rows = da_rows[rng.random(len(da_rows)) < 0.92]
    da_inv_rows = da_rows[rng.random(len(da_rows)) < pp["da_involved_party"]]

    pools = {
        "general_suspect": (_make_pool(ctx, "general_suspect", cr.year[gen_sus_rows], 10), gen_sus_rows, SUSPECT),
        "general_victim": (_make_pool(ctx, "general_victim", cr.year[np.concatenate([gen_vic_rows, da_inv_rows])], 0),
                           gen_vic_rows, VICTIM),
        "da_suspect": (_make_pool(ctx, "da_suspect", cr.year[da_sus_rows], 12), da_sus_rows, SUSPECT),
        "da_victim": (_make_pool(ctx, "da_victim", cr.year[da_vic_rows], 10), da_vic_rows, VICTIM),
        "drug_suspect": (_make_pool(ctx, "drug_suspect", cr.year[drug_rows], 12), drug_rows, SUSPECT),
    }
    filled = {}
    for name, (pool, rows, role) in pools.items():
        filled[name] = _fill_from_pool(ctx, links, pool, rows, role)
    _fill_from_pool(ctx, links, pools["general_victim"][0], da_inv_rows, INVOLVED)

    # domestic abuse at a dwelling happens at the victim's home
    _, _, home, _ = ctx.store.arrays()
    vic_home = home[filled["da_victim"]]
    move = ~cr.public[da_vic_rows] & (vic_home >= 0)
    cr.lsoa[da_vic_rows[move]] = vic_home[move]

    _da_link(ctx, links, suspects_by_year, da_rows)
    return persons_table(ctx, links), {"sv_suspects_by_year": suspects_by_year}


def persons_table(ctx: _Context, links: Links) -> pa.Table:
    """Assemble the contract's ``persons`` table (deduplicated on crime, person, role)."""
    rng, pp, cr = ctx.rng, ctx.people, ctx.crimes
    crime, person, role = links.arrays()
    n_people = max(ctx.store.size, 1)
    key = (crime.astype(np.int64) * n_people + person) * 3 + role
    key, first = np.unique(key, return_index=True)
    crime, person, role = crime[first], person[first], role[first]
    birth, male, home, origin = ctx.store.arrays()
    age = np.floor((cr.date[crime] - birth[person]).astype(int) / DAYS_PER_YEAR).astype(np.int64)
    age = np.clip(age, 0, 110)
    unknown_age = rng.random(len(crime)) < pp["unknown_age"]
    sex = male[person].astype(np.int8)  # 0 = F, 1 = M, 2 = U
    sex[rng.random(len(crime)) < 0.01] = 2
    pseudonym = rng.permutation(n_people)
    ids = format_ids("P", n_people, width=8)
    lsoa_codes = pa.array(ctx.geo.frame["lsoa_code"].to_numpy().astype(str))
    home_p = home[person]
    home_codes = lsoa_codes.take(pa.array(np.where(home_p >= 0, home_p, 0), mask=home_p < 0))
    return pa.table({
        "crime_id": cr.crime_ids().take(pa.array(crime)),
        "person_id": ids.take(pa.array(pseudonym[person])),
        "role": pa.array(ROLES).take(pa.array(role)),
        "age": pa.array(age, mask=unknown_age, type=pa.int16()),
        "sex": pa.array(["F", "M", "U"]).take(pa.array(sex)),
        "home_lsoa": home_codes,
        "origin_area": pa.array(ctx.origin_names).take(pa.array(origin[person])),
    })
