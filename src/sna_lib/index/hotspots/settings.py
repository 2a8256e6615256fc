"""Index/hot-spot settings: package defaults (``sna_lib/config/index.yaml``) + data config."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

OVERRIDABLE = ("hotspots", "risk_index", "disorganisation_weights")


@lru_cache(maxsize=1)
def _defaults() -> dict:
    text = resources.files("sna_lib").joinpath("config", "index.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def index_settings(config: Any = None) -> dict:
    """Defaults from ``index.yaml`` deep-merged with the data folder's config.

    Parameters
    ----------
    config : Config, mapping or None
        ``sna_lib.data.config.Config`` (attributes) or a plain mapping; only the keys
        ``hotspots``, ``risk_index`` and ``disorganisation_weights`` are read.

    Returns
    -------
    dict
        a fresh, mutable copy (callers may modify it).

    Examples
    --------
    >>> s = index_settings({"hotspots": {"permutations": 99}})
    >>> s["hotspots"]["permutations"], s["hotspots"]["seed"]
    (99, 12345)
    """
    settings = copy.deepcopy(_defaults())
    if config is None:
        return settings
    for key in OVERRIDABLE:
        value = config.get(key) if isinstance(config, Mapping) else getattr(config, key, None)
        if value is None:
            continue
        if not isinstance(value, Mapping):
            if hasattr(value, "keys") and hasattr(value, "__getitem__"):   # sna_lib.data.config sections
                value = {k: value[k] for k in value.keys()}
            else:
                value = dict(vars(value))
        settings[key] = _merge(settings.get(key, {}), value)
    weights = settings["risk_index"].get("weights") or {}
    for factor, weight in weights.items():
        if factor in settings["risk_index"]["factors"]:
            settings["risk_index"]["factors"][factor]["weight"] = float(weight)
        else:
            settings["risk_index"]["factors"].setdefault(factor, {})["weight"] = float(weight)
    return settings


def _merge(base: Mapping, override: Mapping) -> dict:
    out = dict(copy.deepcopy(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def hotspot_inference_note(settings: dict) -> str:
    """One plain sentence on how the configured Gi* inference decides significance.

    Examples
    --------
    >>> from sna_lib.index.hotspots import index_settings
    >>> hotspot_inference_note(index_settings()).split(";")[0]
    "Each LSOA's own count is held fixed and its neighbourhood total is compared with 999 totals made from counts drawn at random from the other LSOAs (esda's conditional permutation)"
    >>> "normal approximation" in hotspot_inference_note(index_settings({"hotspots": {"inference": "analytical"}}))
    True
    """
    cfg = settings["hotspots"]
    permutations = int(cfg.get("permutations", 0) or 0)
    if cfg.get("inference", "permutation") == "analytical" or permutations <= 0:
        return ("Significance comes from the normal approximation of the Gi* z-score (as ArcGIS), as configured "
                "(hotspots.inference: analytical); on sparse, skewed counts it flags more LSOAs than the "
                "conditional permutation test used by default.")
    return (f"Each LSOA's own count is held fixed and its neighbourhood total is compared with {permutations:,} "
            "totals made from counts drawn at random from the other LSOAs (esda's conditional permutation); the "
            "same data and seed give the same hot spots.")


def hotspot_method(settings: dict) -> str:
    """The hot-spot method, inference, permutations and seed in words, for captions and prose.

    Examples
    --------
    >>> from sna_lib.index.hotspots import index_settings
    >>> hotspot_method(index_settings())
    'Getis–Ord Gi* at 95% confidence; conditional permutation test, 999 permutations, seed 12345'
    >>> hotspot_method(index_settings({"hotspots": {"inference": "analytical", "fdr": True}}))
    'Getis–Ord Gi* at 95% confidence; normal approximation (as ArcGIS); false-discovery-rate corrected'
    >>> hotspot_method(index_settings({"hotspots": {"method": "poisson"}}))
    'Poisson probability against the population, upper tail p ≤ 0.05'
    """
    cfg = settings["hotspots"]
    confidence = float(cfg["confidence"])
    if cfg.get("method", "gistar") == "poisson":
        alpha = cfg.get("poisson_alpha") or (1 - confidence)
        return f"Poisson probability against the population, upper tail p ≤ {alpha:.2g}"
    permutations = int(cfg.get("permutations", 0) or 0)
    if cfg.get("inference", "permutation") == "analytical" or permutations <= 0:
        inference = "normal approximation (as ArcGIS)"
    else:
        inference = f"conditional permutation test, {permutations:,} permutations, seed {int(cfg['seed'])}"
    text = f"Getis–Ord Gi* at {confidence:.0%} confidence; {inference}"
    return text + ("; false-discovery-rate corrected" if cfg.get("fdr") else "")
