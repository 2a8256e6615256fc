"""Hostile config.yaml and definition files (issue #12): every key has a schema, YAML is strict,
names follow one rule. Each case is refused by ``sna validate`` with the key and the reason."""

from __future__ import annotations

from pathlib import Path

from hostile.builder import CONFIG
from hostile.cases import Case, write_config


def _csps(names: str):
    return write_config(CONFIG.replace("csps: [North, South]", f"csps: {names}"))


def _county(value: str):
    return write_config(CONFIG.replace("county: Tinyshire", f"county: {value}"))


def _with(extra: str):
    return write_config(CONFIG + extra)


def _definition(text: str, name: str = "local.yaml"):
    def mutate(d: Path) -> None:
        (d / name).write_text(text, encoding="utf-8")
        (d / "config.yaml").write_text(CONFIG + f"definitions: [partnership, {name}]\n", encoding="utf-8")

    return mutate


_BOMB = """hotspots:
  levels: &a [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]
"""
_GOOD_DEF = "id: local_sv\nname: Local SV\noffence_groups: [robbery]\n"
_ALIASES = "anchors and aliases are not allowed"
_TWICE = "appears twice in the same map"

CONFIG_CASES: list[Case] = [
    # ---- strict YAML: aliases, anchors, merge keys, duplicate keys
    Case("yaml_alias_bomb_hotspots", _with(_BOMB), "config.yaml", None, None, _ALIASES),
    Case("yaml_alias_bomb_risk_index", _with(_BOMB.replace("hotspots:", "risk_index:")),
         "config.yaml", None, None, _ALIASES),
    Case("yaml_anchor_on_csps", _csps("&names [North, South]"), "config.yaml", None, None, _ALIASES),
    Case("yaml_alias_reused_value", _with("baselines: &b {knife_sv_calendar_year: 2020}\nrisk_index: {weights: *b}\n"),
         "config.yaml", None, None, _ALIASES),
    Case("yaml_merge_key", _with("disclosure:\n  <<: {suppress_max: 9}\n"), "config.yaml", None, None, "merge key"),
    Case("yaml_duplicate_top_key", _with("county: Othershire\n"), "config.yaml", None, None, _TWICE),
    Case("yaml_duplicate_nested_key", _with("disclosure:\n  marker: '[c]'\n  marker: '*'\n"),
         "config.yaml", None, None, _TWICE),
    Case("yaml_duplicate_csps_key", _with("csps: [North]\n"), "config.yaml", None, None, _TWICE),
    Case("yaml_duplicate_flow_key", _with("hotspots: {seed: 1, seed: 2}\n"), "config.yaml", None, None, _TWICE),
    # ---- pass-through keys have schemas
    Case("passthrough_islands_sideways", _with("hotspots: {islands: sideways}\n"),
         "config.yaml", "hotspots.islands", None, "must be one of nearest, keep"),
    Case("passthrough_inference", _with("hotspots: {inference: bootstrap}\n"),
         "config.yaml", "hotspots.inference", None, "must be one of permutation, analytical"),
    Case("passthrough_transform", _with("hotspots: {transform: Q}\n"),
         "config.yaml", "hotspots.transform", None, "must be one of B, R"),
    Case("passthrough_snap_tolerance_text", _with("hotspots: {snap_tolerance: near}\n"),
         "config.yaml", "hotspots.snap_tolerance", None, "must be a number"),
    Case("passthrough_snap_tolerance_negative", _with("hotspots: {snap_tolerance: -5}\n"),
         "config.yaml", "hotspots.snap_tolerance", None, "must be a number"),
    Case("passthrough_fdr_text", _with("hotspots: {fdr: 'yes'}\n"),
         "config.yaml", "hotspots.fdr", None, "must be true or false"),
    Case("passthrough_levels_unordered", _with("hotspots: {levels: [0.99, 0.9]}\n"),
         "config.yaml", "hotspots.levels", None, "increasing confidence levels"),
    Case("passthrough_levels_scalar", _with("hotspots: {levels: 0.95}\n"),
         "config.yaml", "hotspots.levels", None, "increasing confidence levels"),
    Case("passthrough_poisson_alpha", _with("hotspots: {poisson_alpha: 2}\n"),
         "config.yaml", "hotspots.poisson_alpha", None, "must be a number above 0"),
    Case("passthrough_tie_rule", _with("risk_index: {tie_rule: random}\n"),
         "config.yaml", "risk_index.tie_rule", None, "must be one of at_most, include_ties, stable"),
    Case("passthrough_factors_list", _with("risk_index: {factors: [deprivation]}\n"),
         "config.yaml", "risk_index.factors", None, "must be a map of factor name"),
    Case("passthrough_factor_normalisation", _with(
        "risk_index: {factors: {deprivation: {column: deprivation_high, normalisation: log}}}\n"),
         "config.yaml", "risk_index.factors", None, "normalisation must be one of bin, flag, fraction, rank"),
    Case("passthrough_factor_weight_text", _with(
        "risk_index: {factors: {deprivation: {column: d, normalisation: flag, weight: heavy}}}\n"),
         "config.yaml", "risk_index.factors", None, "weight must be a number"),
    Case("passthrough_factor_unknown_key", _with(
        "risk_index: {factors: {deprivation: {column: d, normalisation: flag, colour: red}}}\n"),
         "config.yaml", "risk_index.factors", None, "unknown setting(s) colour"),
    Case("passthrough_factor_no_column", _with("risk_index: {factors: {deprivation: {normalisation: flag}}}\n"),
         "config.yaml", "risk_index.factors", None, "needs column"),
    Case("rejected_share_text", _with("validation: {on_error: reject, max_rejected_share: lots}\n"),
         "config.yaml", "validation.max_rejected_share", None, "must be a share from 0 to 1"),
    Case("rejected_share_above_one", _with("validation: {max_rejected_share: 1.5}\n"),
         "config.yaml", "validation.max_rejected_share", None, "must be a share from 0 to 1"),
    Case("rejected_share_unknown_table", _with("validation: {max_rejected_share: {crime: 0.1}}\n"),
         "config.yaml", "validation.max_rejected_share.crime", None, "is not a table of the contract"),
    # ---- one name rule for validate and build
    Case("csp_case_collision", _csps("[North, north]"), "config.yaml", "csps", None, "would share the book folder"),
    Case("csp_punctuation_collision", _csps("[North East, North-East, South]"),
         "config.yaml", "csps", None, "would share the book folder 'north-east'"),
    Case("csp_accent_collision", _csps("[Môn, Mon, South]"), "config.yaml", "csps", None, "would share the book folder"),
    Case("csp_named_all", _csps("[North, all]"), "config.yaml", "csps", None, "is reserved"),
    Case("csp_named_ALL_upper", _csps("[North, ALL]"), "config.yaml", "csps", None, "is reserved"),
    Case("csp_slug_county", _csps("[North, '(County)']"), "config.yaml", "csps", None, "is reserved"),
    Case("csp_no_folder_name", _csps("[North, 深圳]"), "config.yaml", "csps", None, "no letters or digits"),
    Case("csp_only_punctuation", _csps("[North, '!!!']"), "config.yaml", "csps", None, "no letters or digits"),
    Case("csp_newline", _csps('[North, "South\\nEast"]'), "config.yaml", "csps", None, "without control characters"),
    Case("csp_tab", _csps('[North, "South\\tEast"]'), "config.yaml", "csps", None, "without control characters"),
    Case("csp_nul", _csps('[North, "South\\0"]'), "config.yaml", "csps", None, "without control characters"),
    Case("csp_too_long", _csps("[North, " + "S" * 200 + "]"), "config.yaml", "csps", None, "at most 120"),
    Case("csp_formula_equals", _csps("[North, '=SUM(1+1)']"), "config.yaml", "csps", None, "spreadsheet formula"),
    Case("csp_formula_at", _csps("[North, '@South']"), "config.yaml", "csps", None, "spreadsheet formula"),
    Case("csp_formula_plus", _csps("[North, '+South']"), "config.yaml", "csps", None, "spreadsheet formula"),
    Case("csp_formula_minus", _csps("[North, '-cmd|x']"), "config.yaml", "csps", None, "spreadsheet formula"),
    Case("county_formula_hyperlink", _county("'=HYPERLINK(\"http://x.example\",\"click\")'"),
         "config.yaml", "county", None, "spreadsheet formula"),
    Case("county_formula_at", _county("'@SUM(A1)'"), "config.yaml", "county", None, "spreadsheet formula"),
    Case("county_formula_leading_space", _county("'  =1+1'"), "config.yaml", "county", None, "spreadsheet formula"),
    Case("county_newline", _county('"Tiny\\nshire"'), "config.yaml", "county", None, "without control characters"),
    Case("county_too_long", _county("T" * 300), "config.yaml", "county", None, "at most 120"),
    Case("county_no_letters", _county("'???'"), "config.yaml", "county", None, "no letters or digits"),
    # ---- disclosure.marker lands in every withheld cell of every CSV
    Case("marker_formula_cmd", _with("disclosure: {marker: \"=cmd|' /C calc'!A0\"}\n"),
         "config.yaml", "disclosure.marker", None, "spreadsheet formula"),
    Case("marker_formula_at", _with("disclosure: {marker: '@x'}\n"), "config.yaml", "disclosure.marker", None,
         "spreadsheet formula"),
    Case("marker_formula_minus", _with("disclosure: {marker: '-x'}\n"), "config.yaml", "disclosure.marker", None,
         "spreadsheet formula"),
    Case("marker_formula_plus_space", _with("disclosure: {marker: ' +x'}\n"), "config.yaml", "disclosure.marker",
         None, "spreadsheet formula"),
    Case("marker_tab", _with('disclosure: {marker: "\\t=1"}\n'), "config.yaml", "disclosure.marker", None,
         "control characters"),
    Case("marker_carriage_return", _with('disclosure: {marker: "\\r=1"}\n'), "config.yaml", "disclosure.marker",
         None, "control characters"),
    Case("marker_looks_like_count", _with("disclosure: {marker: '0'}\n"), "config.yaml", "disclosure.marker", None,
         "must not look like a number"),
    Case("marker_blank", _with("disclosure: {marker: '   '}\n"), "config.yaml", "disclosure.marker", None,
         "must be short text"),
    # ---- definition YAML files are validated by validate, not first at build
    Case("definition_bad_group", _definition(_GOOD_DEF.replace("robbery", "robery")),
         "local.yaml", "offence_groups", None, "unknown offence group"),
    Case("definition_bad_syntax", _definition("id: local_sv\nname: [unclosed\n"), "local.yaml", None, None,
         "not valid YAML"),
    Case("definition_unknown_key", _definition(_GOOD_DEF + "colour: red\n"), "local.yaml", "colour", None,
         "unknown key"),
    Case("definition_alias", _definition("id: &i local_sv\nname: *i\noffence_groups: [robbery]\n"),
         "local.yaml", None, 1, _ALIASES),
    Case("definition_duplicate_key", _definition(_GOOD_DEF + "name: Other\n"), "local.yaml", None, 4, _TWICE),
    Case("definition_no_scope", _definition("id: local_sv\nname: Local SV\n"), "local.yaml", "offence_groups", None,
         "at least one of"),
    Case("definition_unknown_id", _with("definitions: [partnership, knife_crimes]\n"), "definitions", None, None,
         "unknown definition id"),
    Case("definition_id_reused", _definition(_GOOD_DEF.replace("local_sv", "partnership")), "local.yaml", "id",
         None, "used by more than one definition"),
    Case("definition_not_a_map", _definition("- robbery\n"), "local.yaml", None, None, "must be"),
]
