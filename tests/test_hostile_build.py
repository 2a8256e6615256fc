"""One real book built with every hostile name at once (issue #12).

The small demo county (``--scale 0.05``) is renamed so that

* the county is ``<script>alert('county')</script>shire`` (it is in every page's title),
* one CSP is ``{{lipsum.__globals__.os.popen('touch PWNED').read()}}`` (the Jinja2 payload
  that ran during ``sna build`` when area labels reached MyST substitutions),
* one of that CSP's LSOAs is ``<img src=x onerror=alert(1)>`` (map tooltips),

and the CSP's book is built. Each entry of :data:`BUILD_CHECKS` is one corpus case, asserted on
the published HTML a reader would download.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

COUNTY = "<script>alert('county')</script>shire"
CSP = "{{lipsum.__globals__.os.popen('touch PWNED').read()}}"
LSOA = "<img src=x onerror=alert(1)>"
VICTIM_CSP = "Brackenford"

BUILD_CHECKS = [
    "jinja_csp_name_runs_nothing",
    "jinja_csp_name_shown_literally",
    "script_county_title_not_raw",
    "script_county_title_escaped_in_navbar",
    "img_onerror_lsoa_not_in_tooltip_markup",
    "img_onerror_lsoa_escaped_in_tooltip",
    "build_succeeds_with_hostile_names",
]


def _hostile_demo(root: Path) -> Path:
    import geopandas as gpd
    import pandas as pd
    import yaml

    from sna_lib.synthetic import generate_demo

    data = root / "demo"
    generate_demo(data, seed=7, scale=0.05)
    config = yaml.safe_load((data / "config.yaml").read_text(encoding="utf-8"))
    config["county"] = COUNTY
    config["csps"] = [CSP if c == VICTIM_CSP else c for c in config["csps"]]
    (data / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    geo = gpd.read_parquet(data / "geography.parquet")
    inside = geo["area"] == VICTIM_CSP
    geo.loc[inside.idxmax(), "lsoa_name"] = LSOA
    geo.loc[inside, "area"] = CSP
    geo.to_parquet(data / "geography.parquet")
    for name in ("community_survey", "comparators"):
        path = data / f"{name}.parquet"
        if path.is_file():
            frame = pd.read_parquet(path)
            if "area" in frame:
                frame["area"] = frame["area"].replace({VICTIM_CSP: CSP})
                frame.to_parquet(path, index=False)
    return data


@pytest.fixture(scope="module")
def hostile_book(tmp_path_factory):
    from sna_lib.book.pipeline import build_book
    from sna_lib.data.validate import validate_dir

    root = tmp_path_factory.mktemp("hostile_book")
    data = _hostile_demo(root)
    report = validate_dir(data)
    assert report.ok, report.render()
    work = root / "cwd"
    work.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)  # a Jinja payload would 'touch PWNED' here (the cwd of sna build / jupyter-book)
        result = build_book(data, area=CSP, build_dir=root / "build", workers=2)
    return root, result


def _pages(site: Path) -> list[Path]:
    """Book pages (not theme snippets under _static, not the root redirect)."""
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts
                  and 'http-equiv="Refresh"' not in p.read_text(encoding="utf-8")[:2000])


@pytest.mark.book
@pytest.mark.slow
def test_book_build_with_hostile_names(hostile_book):
    root, result = hostile_book
    # build_succeeds_with_hostile_names
    assert result.ok, "\n".join(map(str, result.failures))
    site = Path(result.published[CSP])
    pages = _pages(site)
    assert len(pages) >= 10
    texts = {p: p.read_text(encoding="utf-8") for p in pages}

    # jinja_csp_name_runs_nothing: no file named PWNED anywhere the build could write
    project = Path(__file__).resolve().parents[1]
    made = [p for base in (root, project) for p in base.rglob("PWNED")]
    assert made == [], made

    # jinja_csp_name_shown_literally: the name is on the pages as text
    literal = html.escape("{{lipsum.__globals__.os.popen(", quote=False)
    assert sum(literal in t or "{{lipsum.__globals__.os.popen(" in t for t in texts.values()) >= 5

    # script_county_title_not_raw: the county's <script> never appears as markup
    raw = [p.name for p, t in texts.items() if "<script>alert('county')" in t]
    assert raw == [], raw
    # script_county_title_escaped_in_navbar: it is shown, escaped, in the title of every page
    titled = [p for p, t in texts.items() if "&lt;script&gt;alert(" in t]
    assert len(titled) == len(pages)

    # img_onerror_lsoa_not_in_tooltip_markup / img_onerror_lsoa_escaped_in_tooltip
    documents = [html.unescape(m) for t in texts.values() for m in re.findall(r'srcdoc="([^"]*)"', t)]
    assert documents and not any("<img src=x onerror" in d for d in documents)
    escaped = ("&lt;img src=x onerror=alert(1)&gt;", "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;")  # JSON: & = \u0026
    assert any(e in d for d in documents for e in escaped), "the LSOA name is in a tooltip, escaped"
