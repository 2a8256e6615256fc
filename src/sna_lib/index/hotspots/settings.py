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
        ``sna_lib.config.Config`` (attributes) or a plain mapping; only the keys
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
            if hasattr(value, "keys") and hasattr(value, "__getitem__"):   # sna_lib.config sections
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
