"""Fictional county geography: outline, towns, CSPs and LSOA polygons (EPSG:27700).

LSOAs have roughly equal populations, so their generating points are sampled from a
population-density surface (rural background + Gaussian town bumps); the polygons are the
Voronoi cells of those points clipped to a smooth county outline. CSPs are the Voronoi
regions of their main towns, and every CSP gets at least ``min_lsoas_per_csp`` LSOAs.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from sna_lib.synthetic.profile import Scaled


@dataclass(frozen=True)
class Towns:
    """Town centres: coordinates (m), density amplitude, spread (m), risk weight, owning CSP."""

    x: np.ndarray
    y: np.ndarray
    amplitude: np.ndarray
    sigma: np.ndarray
    risk: np.ndarray
    csp: np.ndarray  # index of the CSP whose main town this is (-1 for secondary towns)

    def density(self, x: np.ndarray, y: np.ndarray, rural: float) -> np.ndarray:
        """Relative population density at points (rural background + town bumps)."""
        out = np.empty(len(x))
        step = max(1, 4_000_000 // max(len(self.x), 1))  # bound memory: chunks of points
        for start in range(0, len(x), step):
            sl = slice(start, start + step)
            d2 = (x[sl, None] - self.x[None, :]) ** 2 + (y[sl, None] - self.y[None, :]) ** 2
            out[sl] = rural + (self.amplitude * np.exp(-d2 / (2 * self.sigma**2))).sum(axis=1)
        return out


@dataclass(frozen=True)
class Geography:
    """The generated geography plus the internals other layers need."""

    frame: gpd.GeoDataFrame  # lsoa_code, lsoa_name, area, urban, nte, geometry
    x: np.ndarray            # generating point of each LSOA (m)
    y: np.ndarray
    csp: np.ndarray          # CSP index per LSOA
    density: np.ndarray      # relative population density at the point
    towns: Towns
    outline: shapely.Polygon
    csp_names: tuple[str, ...]


def county_outline(rng: np.random.Generator, profile: dict, scaled: Scaled) -> shapely.Polygon:
    """A smooth, irregular county outline (one valid polygon).

    Examples
    --------
    >>> from sna_lib.synthetic.profile import load_profile
    >>> p = load_profile(); s = Scaled.from_profile(p, 1)
    >>> county_outline(np.random.default_rng(0), p, s).is_valid
    True
    """
    geo = profile["geography"]
    radius = geo["radius_m"] * scaled.radius_factor
    theta = np.linspace(0, 2 * np.pi, 721)[:-1]
    wobble = np.ones_like(theta)
    for k, amp in ((2, 0.10), (3, 0.07), (5, 0.04), (7, 0.025)):
        wobble += amp * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
    x = geo["centre_x"] + radius * geo["aspect"] * wobble * np.cos(theta)
    y = geo["centre_y"] + radius * wobble * np.sin(theta)
    x, y = x + _inside_grid(x, GRID_X), y + _inside_grid(y, GRID_Y)
    return shapely.Polygon(np.column_stack([x, y]))


#: Onshore Great Britain on the British National Grid (EPSG:27700), metres, with a margin: a
#: national-scale demo county (``--scale 30``) is moved inside it rather than into the sea.
GRID_X = (10_000.0, 650_000.0)
GRID_Y = (10_000.0, 1_200_000.0)


def _inside_grid(values: np.ndarray, limits: tuple[float, float]) -> float:
    """The shift that brings ``values`` inside ``limits`` (0 when they already are).

    Examples
    --------
    >>> _inside_grid(np.array([600_000.0, 700_000.0]), GRID_X), _inside_grid(np.array([5.0e5]), GRID_X)
    (-50000.0, 0.0)
    """
    low, high = limits
    if values.max() - values.min() > high - low:
        raise ValueError(f"a demo county {values.max() - values.min():,.0f} m across does not fit the grid")
    if values.max() > high:
        return float(high - values.max())
    if values.min() < low:
        return float(low - values.min())
    return 0.0


def _points_in(outline: shapely.Polygon, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = outline.bounds
    x = rng.uniform(minx, maxx, n)
    y = rng.uniform(miny, maxy, n)
    inside = shapely.contains_xy(outline, x, y)
    return x[inside], y[inside]


def place_towns(rng: np.random.Generator, profile: dict, scaled: Scaled,
                outline: shapely.Polygon) -> Towns:
    """Main towns (one per CSP, spread out by best-candidate sampling) and secondary towns.

    Examples
    --------
    >>> from sna_lib.synthetic.profile import load_profile
    >>> p = load_profile(); s = Scaled.from_profile(p, 1)
    >>> t = place_towns(np.random.default_rng(0), p, s, county_outline(np.random.default_rng(0), p, s))
    >>> int((t.csp >= 0).sum())
    14
    """
    geo = profile["geography"]
    csps = profile["csps"]
    inner = outline.buffer(-0.12 * geo["radius_m"] * scaled.radius_factor)
    cx, cy = _points_in(inner, 20000, rng)
    chosen: list[int] = []
    for _ in range(len(csps)):  # best-candidate: 14 iterations, each vectorised
        if chosen:
            d2 = ((cx[:, None] - cx[chosen][None, :]) ** 2
                  + (cy[:, None] - cy[chosen][None, :]) ** 2).min(axis=1)
            cand = rng.choice(len(cx), 40, replace=False)
            chosen.append(int(cand[np.argmax(d2[cand])]))
        else:
            chosen.append(int(rng.integers(len(cx))))
    sx, sy = _points_in(outline, 4000, rng)
    n_sec = max(2, int(round(geo["secondary_towns"] * scaled.radius_factor**2)))
    sec = rng.choice(len(sx), n_sec, replace=False)
    sigma = float(geo["town_sigma_m"]) * min(1.0, scaled.radius_factor) ** 0.5
    pop = np.array([c["pop"] for c in csps], dtype=float)
    risk = np.array([c["risk"] for c in csps], dtype=float)
    return Towns(
        x=np.concatenate([cx[chosen], sx[sec]]),
        y=np.concatenate([cy[chosen], sy[sec]]),
        amplitude=np.concatenate([pop, rng.uniform(0.2, 0.5, n_sec)]),
        sigma=np.concatenate([sigma * np.sqrt(pop), rng.uniform(0.4, 0.7, n_sec) * sigma]),
        risk=np.concatenate([risk, rng.uniform(-0.2, 0.9, n_sec)]),
        csp=np.concatenate([np.arange(len(csps)), -np.ones(n_sec, dtype=int)]),
    )


def _nearest_main_town(x: np.ndarray, y: np.ndarray, towns: Towns) -> np.ndarray:
    main = towns.csp >= 0
    d2 = (x[:, None] - towns.x[main][None, :]) ** 2 + (y[:, None] - towns.y[main][None, :]) ** 2
    return towns.csp[main][np.argmin(d2, axis=1)]


def sample_lsoa_points(rng: np.random.Generator, profile: dict, scaled: Scaled,
                       outline: shapely.Polygon, towns: Towns):
    """LSOA generating points: density-proportional, with per-CSP quotas."""
    geo = profile["geography"]
    n_csp = len(profile["csps"])
    rural = geo["rural_density"]
    # estimate each CSP's share of population from a Monte Carlo sample of the surface
    mx, my = _points_in(outline, 60000, rng)
    md = towns.density(mx, my, rural)
    share = np.bincount(_nearest_main_town(mx, my, towns), weights=md, minlength=n_csp)
    share /= share.sum()
    quota = np.maximum(int(geo["min_lsoas_per_csp"]), np.round(share * scaled.n_lsoas)).astype(int)
    quota[np.argmax(quota)] += scaled.n_lsoas - quota.sum()
    dmax = md.max() * 1.05
    xs, ys, cs = [], [], []
    have = np.zeros(n_csp, dtype=int)
    while (have < quota).any():  # batches, a handful of iterations
        bx, by = _points_in(outline, max(20000, 12 * scaled.n_lsoas), rng)
        keep = rng.random(len(bx)) < towns.density(bx, by, rural) / dmax
        bx, by = bx[keep], by[keep]
        bc = _nearest_main_town(bx, by, towns)
        for c in np.flatnonzero(have < quota):
            rows = np.flatnonzero(bc == c)[: quota[c] - have[c]]
            xs.append(bx[rows]); ys.append(by[rows]); cs.append(np.full(len(rows), c))
            have[c] += len(rows)
    x, y, c = np.concatenate(xs), np.concatenate(ys), np.concatenate(cs)
    # order like ONS numbering: by CSP, then north to south, west to east
    order = np.lexsort((np.round(x, -3), -np.round(y, -3), c))
    return x[order], y[order], c[order]


def lsoa_polygons(x: np.ndarray, y: np.ndarray, outline: shapely.Polygon) -> np.ndarray:
    """Voronoi cells of the points, clipped to the outline, snapped to a 1 m grid (valid)."""
    points = shapely.multipoints(np.column_stack([x, y]))
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=outline, ordered=True))
    clipped = shapely.intersection(cells, outline)
    snapped = shapely.set_precision(clipped, 1.0)
    bad = ~shapely.is_valid(snapped) | shapely.is_empty(snapped)
    if bad.any():
        snapped[bad] = shapely.make_valid(clipped[bad])
    return snapped


def build_geography(rng: np.random.Generator, profile: dict, scaled: Scaled) -> Geography:
    """Generate the whole geography.

    Examples
    --------
    >>> from sna_lib.synthetic.profile import load_profile
    >>> p = load_profile(); s = Scaled.from_profile(p, 0.05)
    >>> g = build_geography(np.random.default_rng(1), p, s)
    >>> len(g.frame), g.frame["area"].nunique(), bool(g.frame.is_valid.all())
    (60, 14, True)
    """
    geo = profile["geography"]
    names = tuple(c["name"] for c in profile["csps"])
    outline = county_outline(rng, profile, scaled)
    towns = place_towns(rng, profile, scaled, outline)
    x, y, csp = sample_lsoa_points(rng, profile, scaled, outline, towns)
    density = towns.density(x, y, geo["rural_density"])
    polys = lsoa_polygons(x, y, outline)

    n = len(x)
    # names: "<CSP> 001A" - five LSOAs per MSOA-like group, numbered within each CSP
    first_of_csp = np.searchsorted(csp, csp)
    within = np.arange(n) - first_of_csp
    letters = np.array(list("ABCDE"))
    area = np.array(names, dtype=object)[csp]
    lsoa_name = [f"{a} {m:03d}{l}" for a, m, l in zip(area, within // 5 + 1, letters[within % 5])]
    lsoa_code = [f"X01{i:06d}" for i in range(1, n + 1)]
    rank = np.argsort(np.argsort(-density))
    urban = rank < int(round(geo["urban_share"] * n))
    # night-time economy: the LSOAs nearest each town centre, more for bigger towns
    n_nte = max(1, int(round(geo["nte_share"] * n)))
    per_town = np.maximum(1, np.round(n_nte * towns.amplitude / towns.amplitude.sum())).astype(int)
    d2 = (towns.x[:, None] - x[None, :]) ** 2 + (towns.y[:, None] - y[None, :]) ** 2
    nearest = np.argsort(d2, axis=1)
    nte = np.zeros(n, dtype=bool)
    for t in range(len(towns.x)):  # one small step per town
        nte[nearest[t, : per_town[t]]] = True
    frame = gpd.GeoDataFrame(
        {"lsoa_code": lsoa_code, "lsoa_name": lsoa_name, "area": area.astype(str),
         "urban": urban, "nte": nte},
        geometry=polys, crs="EPSG:27700",
    )
    return Geography(frame=frame, x=x, y=y, csp=csp, density=density, towns=towns,
                     outline=outline, csp_names=names)
