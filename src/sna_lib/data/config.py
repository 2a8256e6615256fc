"""Read and check a data folder's ``config.yaml`` (see ``data/README.md``).

:func:`load_config` returns a frozen :class:`Config` with every documented default filled in.
Nested maps (``baselines``, ``disclosure``, ``hotspots``, ``risk_index``, ``validation``) are
small frozen dataclasses that also behave like read-only mappings, so both
``config.disclosure.suppress_max`` and ``config.disclosure["suppress_max"]`` work.

Every problem found is collected and raised together as
:class:`sna_lib.errors.DataValidationError` with ``file="config.yaml"`` and ``column`` set to
the offending key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from sna_lib.data import safeyaml
from sna_lib.errors import DataValidationError, Problem
from sna_lib.data.names import csp_problems, is_formula_text, name_problem

CONFIG_FILE = "config.yaml"
_FINANCIAL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
_DEFINITION_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_MAX_YEAR, _MIN_YEAR = 2100, 1990
_MAX_CONFIG_BYTES = 1_000_000


class _MapLike(Mapping):
    """Read-only mapping behaviour for the frozen config sections.

    Documented settings are dataclass fields; sections that other modules extend
    (``hotspots``, ``risk_index``) also carry pass-through settings in ``extra``, reachable
    as items and attributes like the documented ones.
    """

    def _extra(self) -> Mapping[str, Any]:
        return getattr(self, "extra", None) or {}

    def keys(self):  # type: ignore[override]
        names = [f.name for f in dataclasses.fields(self) if f.name != "extra"]  # type: ignore[arg-type]
        return names + [k for k in self._extra() if k not in names]

    def __getitem__(self, key: str) -> Any:
        if key == "extra" or key not in self.keys():
            raise KeyError(key)
        extra = self._extra()
        return extra[key] if key in extra else getattr(self, key)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "extra":
            raise AttributeError(name)
        extra = self.__dict__.get("extra") or {}
        if name in extra:
            return extra[name]
        raise AttributeError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def to_dict(self) -> dict[str, Any]:
        """Plain nested ``dict`` copy."""
        return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in self.items()}

    def __hash__(self) -> int:
        return hash(repr(sorted(self.to_dict().items(), key=lambda kv: kv[0])))


@dataclass(frozen=True, eq=True)
class Baselines(_MapLike):
    """Baseline periods for the 'change since baseline' measures (reference SNA Table B)."""

    knife_sv_calendar_year: int = 2020
    homicide_financial_year: str = "2018/19"
    hospital_financial_year: str = "2018/19"


@dataclass(frozen=True, eq=True)
class Disclosure(_MapLike):
    """Statistical disclosure control settings; counts in ``suppress_min..suppress_max`` are hidden.

    ``rounding`` is ``None`` (YAML ``none``/``null``, the default) or an integer base such as 5.
    ``marker`` replaces a withheld number; ``suppress_county`` also suppresses county tables.
    """

    suppress_min: int = 1
    suppress_max: int = 7
    rounding: int | None = None
    marker: str = "[c]"
    suppress_county: bool = False


@dataclass(frozen=True, eq=True)
class Hotspots(_MapLike):
    """Hot-spot method settings (further keys of ``sna_lib/config/index.yaml`` pass through in ``extra``)."""

    method: str = "gistar"
    confidence: float = 0.95
    permutations: int = 999
    seed: int = 12345
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, eq=True)
class RiskIndex(_MapLike):
    """Risk index settings; empty ``weights`` means every factor is weighted equally
    (further keys of ``sna_lib/config/index.yaml`` pass through in ``extra``)."""

    top_share: float = 0.05
    weights: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, eq=True)
class People(_MapLike):
    """Windows of the people measures (defaults: the reference SNA's meaning).

    ``overlap_years``: calendar years ending with the reporting year whose crimes count for
    "victims who were also suspects" (1 = the reporting year alone). ``previous_years``:
    years strictly before the reporting year for "involved in the previous five years".
    ``da_link_years``: years of domestic-abuse involvement, strictly before the reporting year
    unless ``da_link_include_reporting_year``.
    """

    overlap_years: int = 1
    previous_years: int = 5
    da_link_years: int = 5
    da_link_include_reporting_year: bool = False


@dataclass(frozen=True, eq=True)
class Harm(_MapLike):
    """Harm weights: ``cchi_workbook`` is the official CCHI ``.xlsx`` a user downloaded (path,
    relative to the data folder); empty = the shipped sna-book estimates. ``offence_counts``
    (open-data level): a CSV ``offence_code,count`` of recorded offences per Home Office code
    (e.g. from the Home Office police recorded crime tables) weighting the category-mean harm;
    empty = sna-book's modelled offence mix."""

    cchi_workbook: Path | None = None
    offence_counts: Path | None = None


@dataclass(frozen=True, eq=True)
class Validation(_MapLike):
    """Row-problem policy: ``fail`` (default) makes any problem fatal; ``reject`` drops bad rows."""

    on_error: str = "fail"
    max_rejected_share: float = 0.1
    max_rejected_share_by_table: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def max_share(self, table: str) -> float:
        """Largest share of ``table``'s rows that ``on_error: reject`` may drop."""
        return float(self.max_rejected_share_by_table.get(table, self.max_rejected_share))


@dataclass(frozen=True, eq=True)
class Coverage(_MapLike):
    """Which calendar months the data hold (``YYYY-MM``); ``None`` = not declared.

    ``missing_months`` lie between ``first_month`` and ``last_month`` and have no records at all
    (e.g. a police.uk month that was not published or not downloaded); a record dated in one
    is a problem. See :mod:`sna_lib.data.periods` for labelling periods that span a gap.
    """

    first_month: str | None = None
    last_month: str | None = None
    missing_months: tuple[str, ...] = ()


# dataclass(frozen, eq) would hash the fields, and mapping fields are unhashable: hash the content
for _section_class in (Baselines, Disclosure, Hotspots, RiskIndex, Validation, Coverage, People, Harm):
    _section_class.__hash__ = _MapLike.__hash__  # type: ignore[method-assign]


@functools.lru_cache(maxsize=1)
def _index_yaml_sections() -> MappingProxyType:
    """Section -> its keys in the package's ``config/index.yaml``, parsed once per process
    (every :func:`load_config` asks; a notebook run loads the config several times)."""
    try:
        from importlib import resources

        text = resources.files("sna_lib").joinpath("config", "index.yaml").read_text(encoding="utf-8")
        data = yaml.safe_load(text) or {}
    except (FileNotFoundError, OSError, ModuleNotFoundError, yaml.YAMLError):
        return MappingProxyType({})
    if not isinstance(data, Mapping):
        return MappingProxyType({})
    return MappingProxyType({str(k): frozenset(map(str, v)) for k, v in data.items() if isinstance(v, Mapping)})


def _index_yaml_keys(section: str) -> set[str]:
    """Keys of ``section`` in the package's ``config/index.yaml`` (index/hot-spot defaults)."""
    return set(_index_yaml_sections().get(section, ()))


def _choice(*allowed: str):
    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}, got {value!r}"
    return check


def _number_in(low: float, high: float, *, nullable: bool = False, low_open: bool = False):
    def check(value: Any) -> str | None:
        if value is None and nullable:
            return None
        ok = _is_number(value) and (low < float(value) if low_open else low <= float(value)) and float(value) <= high
        opener = "above" if low_open else "from"
        return None if ok else (f"must be a number {opener} {low:g} up to {high:g}"
                                f"{' (or null)' if nullable else ''}, got {value!r}")
    return check


def _bool_value(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {value!r}"


def _levels(value: Any) -> str | None:
    if (isinstance(value, list) and value and all(_is_number(v) and 0.5 <= float(v) < 1 for v in value)
            and list(value) == sorted(set(value))):
        return None
    return f"must be a list of increasing confidence levels from 0.5 up to 1 (e.g. [0.90, 0.95, 0.99]), got {value!r}"


_FACTOR_KEYS = {"column", "normalisation", "weight", "denominator"}


def _factors(value: Any) -> str | None:
    if not isinstance(value, Mapping) or not value:
        return f"must be a map of factor name: settings, got {type(value).__name__}"
    for name, spec in value.items():
        if not isinstance(spec, Mapping):
            return f"factor {name!r} must be a map (column, normalisation, weight), got {type(spec).__name__}"
        unknown = sorted(set(map(str, spec)) - _FACTOR_KEYS)
        if unknown:
            return f"factor {name!r} has unknown setting(s) {', '.join(unknown)} (allowed: {', '.join(sorted(_FACTOR_KEYS))})"
        if not isinstance(spec.get("column"), str) or not spec["column"].strip():
            return f"factor {name!r} needs column: the factor-layer column name (text)"
        problem = _choice("bin", "flag", "fraction", "rank")(spec.get("normalisation"))
        if problem:
            return f"factor {name!r} normalisation {problem}"
        for key, low in (("weight", 0.0), ("denominator", 0.0)):
            if key in spec and (not _is_number(spec[key]) or float(spec[key]) < low or float(spec[key]) > 1e6
                                or (key == "denominator" and float(spec[key]) == 0)):
                return f"factor {name!r} {key} must be a number above 0 (weight: 0 or more), got {spec[key]!r}"
    return None


def _whole_in(low: int, high: int):
    def check(value: Any) -> str | None:
        return None if _is_int(value) and low <= value <= high else \
            f"must be a whole number from {low:,} to {high:,}, got {value!r}"
    return check


_TRANSFORMS = ("log1p", "scale")


def _model(value: Any) -> str | None:
    """``risk_index.model``: family, penalty and predictors of the next-year count model."""
    if not isinstance(value, Mapping):
        return f"must be a map (family, penalty, predictors), got {type(value).__name__}"
    unknown = sorted(set(map(str, value)) - {"family", "penalty", "predictors"})
    if unknown:
        return f"has unknown setting(s) {', '.join(unknown)} (allowed: family, penalty, predictors)"
    if "family" in value and (problem := _choice("negative_binomial", "poisson")(value["family"])):
        return f"family {problem}"
    if "penalty" in value and (problem := _number_in(0, 1e6)(value["penalty"])):
        return f"penalty {problem}"
    predictors = value.get("predictors", {})
    if not isinstance(predictors, Mapping):
        return f"predictors must be a map of layer: {{transform: …}}, got {type(predictors).__name__}"
    for name, spec in predictors.items():
        if not isinstance(spec, Mapping) or (spec.get("transform") is not None
                                             and spec.get("transform") not in _TRANSFORMS):
            return f"predictor {name!r} must be a map with an optional transform ({', '.join(_TRANSFORMS)})"
    return None


#: Schemas of the settings that pass through to ``sna_lib/config/index.yaml`` consumers: every
#: key ``config.yaml`` accepts is checked by ``sna validate`` (a check returns the reason or None).
PASSTHROUGH_SCHEMA: dict[str, dict[str, Any]] = {
    "hotspots": {
        "inference": _choice("permutation", "analytical"),
        "transform": _choice("B", "R"),
        "islands": _choice("nearest", "keep"),
        "snap_tolerance": _number_in(0, 10_000),
        "fdr": _bool_value,
        "levels": _levels,
        "poisson_alpha": _number_in(0, 0.5, nullable=True, low_open=True),
    },
    "risk_index": {
        "tie_rule": _choice("at_most", "include_ties", "stable"),
        "factors": _factors,
        "method": lambda v: None if v in ("score", "model") else f"must be 'score' or 'model', got {v!r}",
        "model": _model,
        "bootstrap": _whole_in(0, 100_000),
        "bootstrap_seed": _whole_in(0, 2**32 - 1),
    },
}


def _passthrough(section: str, sec: Mapping[str, Any], documented: set[str], out: _Collector) -> dict[str, Any]:
    """Pass-through settings of ``section`` checked against :data:`PASSTHROUGH_SCHEMA`."""
    schema = PASSTHROUGH_SCHEMA[section]
    allowed = documented | set(schema) | (_index_yaml_keys(section) - documented)
    _unknown_keys(sec, allowed, f"{section}.", out)
    kept: dict[str, Any] = {}
    for key, value in sec.items():
        if key in documented or key not in allowed:
            continue
        check = schema.get(key)
        if check is None:
            out.add(f"{section}.{key}", "has no schema and cannot be set in config.yaml")
            continue
        problem = check(value)
        if problem:
            out.add(f"{section}.{key}", problem)
        else:
            kept[key] = value
    return kept


DEFAULT_DEFINITIONS = ("partnership", "home_office")
#: Definitions computed at ``data_level: open`` when ``definitions`` is not given.
OPEN_DEFAULT_DEFINITIONS = ("open_data_proxy",)
DATA_LEVELS = ("full", "open")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
DEFAULT_DISORGANISATION_WEIGHTS = MappingProxyType(
    {"asb": 1.0, "deliberate_fire": 2.0, "arson_not_endangering_life": 3.0, "arson_endangering_life": 5.0}
)


@dataclass(frozen=True)
class Config:
    """The partnership's ``config.yaml`` with defaults filled in.

    ``definitions`` holds definition ids (e.g. ``"partnership"``) unchanged and file entries
    resolved to absolute paths inside the data folder. ``data_dir`` is the folder the config
    was read from (not a YAML key).

    Examples
    --------
    >>> cfg = Config(county="Demo", csps=("North", "South"), reporting_year=2023, first_year=2014)
    >>> cfg.rolling_end
    datetime.date(2023, 12, 31)
    >>> cfg.disclosure["suppress_max"], cfg.hotspots.method
    (7, 'gistar')
    """

    county: str
    csps: tuple[str, ...]
    reporting_year: int
    first_year: int
    synthetic: bool = False
    rolling_end: dt.date | None = None
    baselines: Baselines = field(default_factory=Baselines)
    definitions: tuple[str, ...] = DEFAULT_DEFINITIONS
    disclosure: Disclosure = field(default_factory=Disclosure)
    hotspots: Hotspots = field(default_factory=Hotspots)
    risk_index: RiskIndex = field(default_factory=RiskIndex)
    disorganisation_weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_DISORGANISATION_WEIGHTS)
    validation: Validation = field(default_factory=Validation)
    data_level: str = "full"
    coverage: Coverage = field(default_factory=Coverage)
    people: People = field(default_factory=People)
    harm: Harm = field(default_factory=Harm)
    data_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.rolling_end is None:
            object.__setattr__(self, "rolling_end", dt.date(self.reporting_year, 12, 31))

    def __hash__(self) -> int:
        return hash((self.county, self.csps, self.reporting_year, self.first_year, self.rolling_end,
                     self.definitions, self.disclosure, self.hotspots, self.risk_index, self.baselines,
                     tuple(sorted(self.disorganisation_weights.items())), self.validation, self.data_level,
                     self.coverage, self.people, self.harm, self.data_dir))

    @property
    def period_start(self) -> dt.date:
        """First date any record may carry (1 January of ``first_year``)."""
        return dt.date(self.first_year, 1, 1)

    @property
    def period_end(self) -> dt.date:
        """Last date any record may carry: 31 December of ``reporting_year`` or ``rolling_end``."""
        return max(dt.date(self.reporting_year, 12, 31), self.rolling_end)  # type: ignore[type-var]

    @property
    def areas(self) -> tuple[str, ...]:
        """Valid ``area`` parameters: ``"county"`` followed by every CSP."""
        return ("county", *self.csps)


# --------------------------------------------------------------------------- parsing helpers


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, key: str | None, reason: str) -> None:
        self.problems.append(Problem(CONFIG_FILE, key, None, reason))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(float(value))


def _year(raw: Mapping[str, Any], key: str, out: _Collector, default: Any = None) -> int | None:
    value = raw.get(key, default)
    if value is None:
        out.add(key, "is required (a calendar year such as 2023)")
        return None
    if not _is_int(value) or not _MIN_YEAR <= value <= _MAX_YEAR:
        out.add(key, f"must be a whole calendar year between {_MIN_YEAR} and {_MAX_YEAR}, got {value!r}")
        return None
    return int(value)


def _financial_year(value: Any, key: str, out: _Collector) -> str | None:
    match = _FINANCIAL_YEAR.match(str(value)) if isinstance(value, str) else None
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        out.add(key, f"must be a financial year like '2018/19', got {value!r}")
        return None
    return value


def _section(raw: Mapping[str, Any], key: str, out: _Collector) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        out.add(key, f"must be a map of settings, got {type(value).__name__}")
        return {}
    return dict(value)


def _unknown_keys(section: Mapping[str, Any], allowed: set[str], prefix: str, out: _Collector) -> None:
    for key in sorted(set(map(str, section)) - allowed):
        out.add(f"{prefix}{key}", f"unknown setting (allowed: {', '.join(sorted(allowed))})")


def _weights(value: Any, key: str, out: _Collector) -> dict[str, float] | None:
    if not isinstance(value, Mapping):
        out.add(key, f"must be a map of name: weight, got {type(value).__name__}")
        return None
    weights: dict[str, float] = {}
    for name, weight in value.items():
        if not _is_number(weight) or float(weight) < 0 or float(weight) > 1e6:
            out.add(f"{key}.{name}", f"weight must be a number between 0 and 1,000,000, got {weight!r}")
        else:
            weights[str(name)] = float(weight)
    return weights


def _resolve_definition(entry: Any, data_dir: Path, out: _Collector) -> str | None:
    """Keep a definition id; resolve a YAML path, refusing anything outside the data folder."""
    if not isinstance(entry, str) or not entry.strip():
        out.add("definitions", f"each entry must be a definition id or a YAML file name, got {entry!r}")
        return None
    if _DEFINITION_ID.match(entry):
        return entry
    path = Path(entry)
    if path.is_absolute() or entry.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", entry):
        out.add("definitions", f"definition path {entry!r} must be relative to the data folder, not absolute")
        return None
    if ".." in re.split(r"[\\/]", entry):
        out.add("definitions", f"definition path {entry!r} must not use '..' to leave the data folder")
        return None
    if path.suffix.lower() not in {".yaml", ".yml"}:
        out.add("definitions", f"definition {entry!r} is neither a known id (lower_snake_case) nor a .yaml file")
        return None
    root = data_dir.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root):
        out.add("definitions", f"definition path {entry!r} resolves outside the data folder (symbolic link?)")
        return None
    if not target.is_file():
        out.add("definitions", f"definition file {entry!r} does not exist in the data folder")
        return None
    return str(target)


def _parse_date(value: Any, key: str, out: _Collector) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    out.add(key, f"must be an ISO date YYYY-MM-DD, got {value!r}")
    return None


# --------------------------------------------------------------------------- public API

_TOP_KEYS = {
    "county", "synthetic", "csps", "reporting_year", "first_year", "rolling_end", "baselines",
    "definitions", "disclosure", "hotspots", "risk_index", "disorganisation_weights", "validation",
    "data_level", "coverage", "people", "harm",
}


def _month(value: Any, key: str, out: _Collector) -> str | None:
    if isinstance(value, (dt.date, dt.datetime)):
        value = f"{value.year:04d}-{value.month:02d}"
    if not isinstance(value, str) or not _MONTH.match(value.strip()):
        out.add(key, f"must be a calendar month 'YYYY-MM', got {value!r}")
        return None
    return value.strip()


def _coverage(raw: Mapping[str, Any], out: _Collector) -> Coverage:
    sec = _section(raw, "coverage", out)
    _unknown_keys(sec, {"first_month", "last_month", "missing_months"}, "coverage.", out)
    first = _month(sec["first_month"], "coverage.first_month", out) if sec.get("first_month") is not None else None
    last = _month(sec["last_month"], "coverage.last_month", out) if sec.get("last_month") is not None else None
    if first and last and first > last:
        out.add("coverage.first_month", f"{first} is after coverage.last_month {last}")
    missing_raw = sec.get("missing_months") or []
    if not isinstance(missing_raw, list):
        out.add("coverage.missing_months", "must be a list of months 'YYYY-MM'")
        missing_raw = []
    missing = []
    for item in missing_raw:
        month = _month(item, "coverage.missing_months", out)
        if month is None:
            continue
        if (first and month < first) or (last and month > last):
            out.add("coverage.missing_months", f"{month} lies outside coverage.first_month … last_month")
        elif month in missing:
            out.add("coverage.missing_months", f"{month} is listed twice")
        else:
            missing.append(month)
    if missing and not (first and last):
        out.add("coverage.missing_months", "needs coverage.first_month and coverage.last_month")
    return Coverage(first_month=first, last_month=last, missing_months=tuple(sorted(missing)))


def parse_config(raw: Any, data_dir: Path | str = ".") -> Config:
    """Check a parsed YAML mapping and build a :class:`Config`.

    Parameters
    ----------
    raw : Any
        The object ``yaml.safe_load`` returned for ``config.yaml``.
    data_dir : Path or str
        Folder that relative definition paths are resolved against.

    Returns
    -------
    Config

    Raises
    ------
    DataValidationError
        Listing every problem found (``file='config.yaml'``, ``column`` = key).

    Examples
    --------
    >>> cfg = parse_config({"county": "Demo", "csps": ["A", "B"], "reporting_year": 2023,
    ...                     "first_year": 2014, "hotspots": {"method": "poisson"}})
    >>> cfg.hotspots.method, cfg.hotspots.permutations, cfg.definitions
    ('poisson', 999, ('partnership', 'home_office'))
    """
    data_dir = Path(data_dir)
    out = _Collector()
    if not isinstance(raw, Mapping):
        raise DataValidationError([Problem(CONFIG_FILE, None, None,
                                           "must be a YAML map of settings (key: value lines)")])
    raw = {str(k): v for k, v in raw.items()}
    _unknown_keys(raw, _TOP_KEYS, "", out)

    county = raw.get("county")
    if not isinstance(county, str) or not county.strip():
        out.add("county", "is required: the name of the county / VRU area (text)")
        county = ""
    elif (problem := name_problem(county, "county name")) is not None:
        out.add("county", f"county name {county!r} {problem}" if not problem.startswith("county") else problem)
        county = ""
    synthetic = raw.get("synthetic", False)
    if not isinstance(synthetic, bool):
        out.add("synthetic", f"must be true or false, got {synthetic!r}")
        synthetic = False

    csps_raw = raw.get("csps")
    csps: tuple[str, ...] = ()
    if not isinstance(csps_raw, list) or not csps_raw:
        out.add("csps", "is required: a list of Community Safety Partnership names")
    elif not all(isinstance(c, str) and c.strip() for c in csps_raw):
        out.add("csps", "every CSP name must be non-empty text")
    elif len(set(csps_raw)) != len(csps_raw):
        out.add("csps", "CSP names must be unique")
    elif problems := csp_problems(csps_raw):
        for key, reason in problems:
            out.add(key, reason)
    else:
        csps = tuple(csps_raw)

    reporting_year = _year(raw, "reporting_year", out)
    first_year = _year(raw, "first_year", out)
    if reporting_year and first_year and first_year > reporting_year:
        out.add("first_year", f"first_year {first_year} is after reporting_year {reporting_year}")

    rolling_end = None
    if raw.get("rolling_end") is not None:
        rolling_end = _parse_date(raw["rolling_end"], "rolling_end", out)
        if rolling_end and reporting_year and not (
            dt.date(reporting_year, 1, 1) <= rolling_end <= dt.date(reporting_year + 1, 12, 31)
        ):
            out.add("rolling_end", f"{rolling_end} must fall in reporting_year {reporting_year} or the year after")

    sec = _section(raw, "baselines", out)
    _unknown_keys(sec, {f.name for f in dataclasses.fields(Baselines)}, "baselines.", out)
    b_kw: dict[str, Any] = {}
    if "knife_sv_calendar_year" in sec:
        b_kw["knife_sv_calendar_year"] = _year(sec, "knife_sv_calendar_year", out) or 2020
    for key in ("homicide_financial_year", "hospital_financial_year"):
        if key in sec:
            b_kw[key] = _financial_year(sec[key], f"baselines.{key}", out) or "2018/19"
    baselines = Baselines(**b_kw)

    data_level = raw.get("data_level", "full")
    if data_level not in DATA_LEVELS:
        out.add("data_level", f"must be one of {', '.join(DATA_LEVELS)}, got {data_level!r}")
        data_level = "full"
    coverage = _coverage(raw, out)
    default_definitions = OPEN_DEFAULT_DEFINITIONS if data_level == "open" else DEFAULT_DEFINITIONS
    definitions_raw = raw.get("definitions", list(default_definitions))
    if isinstance(definitions_raw, str):
        definitions_raw = [definitions_raw]
    if not isinstance(definitions_raw, list) or not definitions_raw:
        out.add("definitions", "must be a non-empty list of definition ids or YAML file names")
        definitions_raw = list(default_definitions)
    resolved = [_resolve_definition(e, data_dir, out) for e in definitions_raw]
    definitions = tuple(d for d in resolved if d is not None)

    sec = _section(raw, "disclosure", out)
    _unknown_keys(sec, {"suppress_min", "suppress_max", "rounding", "marker", "suppress_county"}, "disclosure.", out)
    if "marker" in sec and not (isinstance(sec["marker"], str) and 0 < len(sec["marker"].strip()) <= 20):
        out.add("disclosure.marker", f"must be short text such as '[c]', got {sec['marker']!r}")
    elif "marker" in sec and (problem := _marker_problem(sec["marker"])):
        out.add("disclosure.marker", problem)
        sec.pop("marker")
    if "suppress_county" in sec and not isinstance(sec["suppress_county"], bool):
        out.add("disclosure.suppress_county", f"must be true or false, got {sec['suppress_county']!r}")
    d_kw: dict[str, Any] = {}
    for key in ("suppress_min", "suppress_max"):
        if key in sec:
            if _is_int(sec[key]) and 0 <= sec[key] <= 1000:
                d_kw[key] = sec[key]
            else:
                out.add(f"disclosure.{key}", f"must be a whole number between 0 and 1000, got {sec[key]!r}")
    rounding = sec.get("rounding")
    if isinstance(rounding, str) and rounding.strip().lower() == "none":
        rounding = None
    if rounding is not None and not (_is_int(rounding) and 1 <= rounding <= 1000):
        out.add("disclosure.rounding", f"must be none or a whole-number base such as 5, got {rounding!r}")
        rounding = None
    d_kw["rounding"] = rounding
    if isinstance(sec.get("marker"), str) and 0 < len(sec["marker"]) <= 20:
        d_kw["marker"] = sec["marker"]
    if isinstance(sec.get("suppress_county"), bool):
        d_kw["suppress_county"] = sec["suppress_county"]
    disclosure = Disclosure(**d_kw)
    if disclosure.suppress_min > disclosure.suppress_max:
        out.add("disclosure.suppress_min", "must not exceed disclosure.suppress_max")

    sec = _section(raw, "hotspots", out)
    documented = {"method", "confidence", "permutations", "seed"}
    h_kw: dict[str, Any] = {"extra": MappingProxyType(_passthrough("hotspots", sec, documented, out))}
    if "method" in sec:
        if sec["method"] in ("gistar", "poisson"):
            h_kw["method"] = sec["method"]
        else:
            out.add("hotspots.method", f"must be 'gistar' or 'poisson', got {sec['method']!r}")
    if "confidence" in sec:
        if _is_number(sec["confidence"]) and 0.5 <= float(sec["confidence"]) < 1:
            h_kw["confidence"] = float(sec["confidence"])
        else:
            out.add("hotspots.confidence", f"must be a number from 0.5 up to (not including) 1, got {sec['confidence']!r}")
    if "permutations" in sec:
        if _is_int(sec["permutations"]) and 0 <= sec["permutations"] <= 99_999:
            h_kw["permutations"] = sec["permutations"]
        else:
            out.add("hotspots.permutations", f"must be a whole number between 0 and 99999, got {sec['permutations']!r}")
    if "seed" in sec:
        if _is_int(sec["seed"]) and 0 <= sec["seed"] < 2**32:
            h_kw["seed"] = sec["seed"]
        else:
            out.add("hotspots.seed", f"must be a whole number between 0 and 2**32-1, got {sec['seed']!r}")
    hotspots = Hotspots(**h_kw)

    sec = _section(raw, "risk_index", out)
    documented = {"top_share", "weights"}
    r_kw: dict[str, Any] = {"extra": MappingProxyType(_passthrough("risk_index", sec, documented, out))}
    if "top_share" in sec:
        if _is_number(sec["top_share"]) and 0 < float(sec["top_share"]) <= 1:
            r_kw["top_share"] = float(sec["top_share"])
        else:
            out.add("risk_index.top_share", f"must be a share above 0 and at most 1, got {sec['top_share']!r}")
    if sec.get("weights") is not None:
        w = _weights(sec["weights"], "risk_index.weights", out)
        if w is not None:
            r_kw["weights"] = MappingProxyType(w)
    risk_index = RiskIndex(**r_kw)

    disorganisation: Mapping[str, float] = DEFAULT_DISORGANISATION_WEIGHTS
    if raw.get("disorganisation_weights") is not None:
        w = _weights(raw["disorganisation_weights"], "disorganisation_weights", out)
        if w is not None:
            _unknown_keys(w, set(DEFAULT_DISORGANISATION_WEIGHTS), "disorganisation_weights.", out)
            disorganisation = MappingProxyType({**DEFAULT_DISORGANISATION_WEIGHTS, **w})

    sec = _section(raw, "validation", out)
    _unknown_keys(sec, {"on_error", "max_rejected_share"}, "validation.", out)
    on_error = sec.get("on_error", "fail")
    if on_error not in ("fail", "reject"):
        out.add("validation.on_error", f"must be 'fail' or 'reject', got {on_error!r}")
        on_error = "fail"
    validation = _validation(on_error, sec.get("max_rejected_share"), out)

    people = _people_section(raw, out)
    harm = _harm_section(raw, data_dir, out)

    if out.problems:
        raise DataValidationError(out.problems)
    return Config(
        county=county, csps=csps, reporting_year=reporting_year, first_year=first_year,  # type: ignore[arg-type]
        synthetic=synthetic, rolling_end=rolling_end, baselines=baselines, definitions=definitions,
        disclosure=disclosure, hotspots=hotspots, risk_index=risk_index,
        disorganisation_weights=disorganisation, validation=validation,
        data_level=data_level, coverage=coverage, people=people, harm=harm, data_dir=data_dir.resolve(),
    )


def _marker_problem(marker: str) -> str | None:
    if re.search(r"[\x00-\x1f\x7f]", marker):
        return f"must be one line of text without control characters, got {marker!r}"
    if is_formula_text(marker):
        return (f"must not start with =, +, - or @: it is written into every withheld cell of the CSV "
                f"downloads and would run as a spreadsheet formula, got {marker!r}")
    if re.fullmatch(r"\s*[+\-−]?[0-9.,]+%?\s*", marker):
        return f"must not look like a number (readers would take it for a count), got {marker!r}"
    return None


def _share(value: Any, key: str, out: _Collector) -> float | None:
    if _is_number(value) and 0 <= float(value) <= 1:
        return float(value)
    out.add(key, f"must be a share from 0 to 1 (0.1 = at most 10% of a table's rows rejected), got {value!r}")
    return None


def _validation(on_error: str, raw_share: Any, out: _Collector) -> Validation:
    """``validation`` section: ``max_rejected_share`` is a share, or a map of table: share
    (``default`` sets the others)."""
    from sna_lib.data.schemas import TABLES

    if raw_share is None:
        return Validation(on_error=on_error)
    key = "validation.max_rejected_share"
    if isinstance(raw_share, Mapping):
        shares: dict[str, float] = {}
        for table, value in raw_share.items():
            if str(table) not in set(TABLES) | {"default"}:
                out.add(f"{key}.{table}", f"is not a table of the contract (tables: {', '.join(TABLES)}, or default)")
                continue
            share = _share(value, f"{key}.{table}", out)
            if share is not None:
                shares[str(table)] = share
        default = shares.pop("default", Validation.max_rejected_share)
        return Validation(on_error=on_error, max_rejected_share=default,
                          max_rejected_share_by_table=MappingProxyType(shares))
    share = _share(raw_share, key, out)
    return Validation(on_error=on_error) if share is None else Validation(on_error=on_error, max_rejected_share=share)


def _people_section(raw: Mapping[str, Any], out: _Collector) -> People:
    sec = _section(raw, "people", out)
    _unknown_keys(sec, {f.name for f in dataclasses.fields(People)}, "people.", out)
    kw: dict[str, Any] = {}
    for key in ("overlap_years", "previous_years", "da_link_years"):
        if key in sec:
            if _is_int(sec[key]) and 1 <= sec[key] <= 50:
                kw[key] = sec[key]
            else:
                out.add(f"people.{key}", f"must be a whole number of years from 1 to 50, got {sec[key]!r}")
    if "da_link_include_reporting_year" in sec:
        if isinstance(sec["da_link_include_reporting_year"], bool):
            kw["da_link_include_reporting_year"] = sec["da_link_include_reporting_year"]
        else:
            out.add("people.da_link_include_reporting_year",
                    f"must be true or false, got {sec['da_link_include_reporting_year']!r}")
    return People(**kw)


def _harm_section(raw: Mapping[str, Any], data_dir: Path, out: _Collector) -> Harm:
    sec = _section(raw, "harm", out)
    _unknown_keys(sec, {"cchi_workbook", "offence_counts"}, "harm.", out)
    return Harm(cchi_workbook=_harm_file(sec, "cchi_workbook", ".xlsx", "the CCHI .xlsx file", "an .xlsx workbook",
                                         data_dir, out),
                offence_counts=_harm_file(sec, "offence_counts", ".csv", "a CSV of offence counts", "a .csv file",
                                          data_dir, out))


def _harm_file(sec: Mapping[str, Any], key: str, suffix: str, what: str, kind: str, data_dir: Path,
               out: _Collector) -> Path | None:
    value = sec.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        out.add(f"harm.{key}", f"must be the path of {what}, got {value!r}")
        return None
    path = Path(value) if Path(value).is_absolute() else (data_dir / value)
    if path.suffix.lower() != suffix:
        out.add(f"harm.{key}", f"must name {kind}, got {value!r}")
        return None
    if not path.is_file():
        out.add(f"harm.{key}", f"file not found: {value!r} (looked in {data_dir})")
        return None
    return path.resolve()


def load_config(data_dir: Path | str) -> Config:
    """Read ``DATA_DIR/config.yaml`` and return a checked :class:`Config`.

    Parameters
    ----------
    data_dir : Path or str
        The partnership data folder.

    Returns
    -------
    Config

    Raises
    ------
    DataValidationError
        When the file is missing, unreadable, not YAML, or any setting breaks the contract.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "config.yaml").write_text(
    ...     "county: Demo\\ncsps: [North, South]\\nreporting_year: 2023\\nfirst_year: 2014\\n")
    >>> load_config(d).csps
    ('North', 'South')
    """
    data_dir = Path(data_dir)
    path = data_dir / CONFIG_FILE
    if not path.is_file():
        raise DataValidationError([Problem(CONFIG_FILE, None, None,
                                           f"missing: every data folder needs a config.yaml ({data_dir})")])
    data = path.read_bytes()
    if len(data) > _MAX_CONFIG_BYTES:
        raise DataValidationError([Problem(CONFIG_FILE, None, None, "is larger than 1 MB; not a settings file")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataValidationError([Problem(CONFIG_FILE, None, None,
                                           f"is not valid UTF-8 text (byte {exc.start}); save it as UTF-8")]) from None
    try:
        raw = safeyaml.load(text)
    except safeyaml.YamlRefused as exc:
        raise DataValidationError([Problem(CONFIG_FILE, None, None, f"is refused: {exc}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise DataValidationError([Problem(CONFIG_FILE, None, None,
                                           f"is not valid YAML{where}: {getattr(exc, 'problem', exc)}")]) from None
    return parse_config(raw, data_dir)


def contract_entries(config: Config) -> list[str]:
    """Files inside the data folder that ``config.yaml`` names (definition YAMLs, the CCHI
    workbook, the offence counts): with the tables and ``config.yaml`` they are the only files read, copied or named."""
    entries = [str(d) for d in config.definitions]
    for key in ("cchi_workbook", "offence_counts"):
        path = getattr(getattr(config, "harm", None), key, None)
        if path:
            entries.append(str(path))
    return entries
