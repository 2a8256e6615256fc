"""Command-line interface: ``sna demo-data | import police-uk | validate | run | build | figures``
(and ``sna --version``).

Each sub-command is a thin shell over a library function so that notebooks, tests and the
CLI share one implementation. Heavy imports are deferred to keep ``sna --help`` instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from sna_lib.synthetic import generate_demo

    generate_demo(Path(args.out), seed=args.seed, scale=args.scale, fmt=args.format, progress=True)
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from sna_lib.data.validate import validate_dir

    report = validate_dir(Path(args.data))
    print(report.render())
    return 0 if report.ok else 1


def _cmd_run(args: argparse.Namespace) -> int:
    from sna_lib.book.pipeline import run_notebooks

    result = run_notebooks(Path(args.data).resolve(), area=args.area, build_dir=Path(args.build_dir).resolve(),
                           workers=args.workers, progress=True, reporting_year=args.reporting_year,
                           as_of=args.as_of, scheduler=args.scheduler)
    return 0 if result.ok else 1


def _cmd_build(args: argparse.Namespace) -> int:
    from sna_lib.book.pipeline import build_book

    result = build_book(Path(args.data).resolve(), area=args.area, build_dir=Path(args.build_dir).resolve(),
                        workers=args.workers, progress=True, reporting_year=args.reporting_year,
                        as_of=args.as_of, pdf=args.pdf, workbooks=not args.no_workbooks,
                        scheduler=args.scheduler)
    return 0 if result.ok else 1


def _cmd_figures(args: argparse.Namespace) -> int:
    from sna_lib.book.stores import export_figures

    text = export_figures(Path(args.data), area=args.area, fmt=args.format,
                          reporting_year=args.reporting_year, as_of=args.as_of, cache_dir=args.cache_dir)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _period_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reporting-year", type=int, metavar="YYYY",
                   help="calendar year of the year-based tables (default: config.yaml reporting_year)")
    p.add_argument("--as-of", metavar="YYYY-MM",
                   help="last month of the rolling 12 months, compared with the 12 months before "
                        "(default: config.yaml rolling_end)")

def _cmd_import_police_uk(args: argparse.Namespace) -> int:
    from sna_lib.data.importers.police_uk import import_police_uk

    result = import_police_uk(
        Path(args.out), street=args.street, boundaries=args.boundaries, lookups=args.lookup,
        population=args.population, census=args.census, imd=args.imd, force=args.force,
        county=args.county, progress=True)
    print(result.render())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sna",
        description="Build a Serious Violence Strategic Needs Assessment book from partnership data.",
    )
    from sna_lib import __version__

    parser.add_argument("--version", action="version", version=f"sna-book {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo-data", help="write the deterministic synthetic demo county")
    p.add_argument("--out", required=True, help="folder to write the data set into")
    p.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="volume multiplier: 1 = Essex-sized county, 0.05 = test-sized, 30 = national")
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet", help="table file format")
    p.set_defaults(func=_cmd_demo_data)

    p = sub.add_parser("import", help="import open data into a data folder (sna import police-uk ...)")
    isub = p.add_subparsers(dest="source", required=True, metavar="SOURCE")
    q = isub.add_parser("police-uk", help="police.uk street-level crime + ONS open data for one force")
    q.add_argument("--street", nargs="+", required=True, metavar="DIR|ZIP|CSV[.GZ]",
                   help="monthly folders YYYY-MM/YYYY-MM-<force>-street.csv, the police.uk .zip, or files")
    q.add_argument("--boundaries", required=True, help="LSOA boundaries (GeoJSON, GeoPackage, shapefile; 2011 or 2021)")
    q.add_argument("--lookup", nargs="+", required=True, metavar="CSV",
                   help="ONS lookups: LAD→CSP→PFA (required), LSOA→LAD, LSOA 2011→2021")
    q.add_argument("--population", nargs="+", required=True, metavar="CSV",
                   help="ONS small-area population estimates by single year of age (one file per mid-year)")
    q.add_argument("--census", required=True, help="Census TS011 (2021) or QS119 (2011) households by deprivation")
    q.add_argument("--imd", help="English IMD ranks and deciles per LSOA (optional)")
    q.add_argument("--force", required=True, help="police.uk force id (essex), force area name or PFA code")
    q.add_argument("--county", help="name used in headings (default: the force area name)")
    q.add_argument("--out", required=True, help="data folder to write (empty, or an earlier import)")
    q.set_defaults(func=_cmd_import_police_uk)

    p = sub.add_parser("validate", help="check a data folder against the input contract")
    p.add_argument("--data", required=True, help="data folder (see data/README.md)")
    p.set_defaults(func=_cmd_validate)

    for name, func, helptext in (
        ("run", _cmd_run, "execute the section notebooks with papermill (no book assembly)"),
        ("build", _cmd_build, "execute notebooks and assemble the HTML book"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--data", required=True, help="data folder")
        p.add_argument("--area", default="county",
                       help="'county' (default), a CSP name, or 'all' (county + every CSP)")
        p.add_argument("--build-dir", default="book/_build", help="output folder (default book/_build)")
        p.add_argument("--workers", type=int, default=2, help="parallel notebook workers (default 2)")
        _period_options(p)
        if name == "build":
            p.add_argument("--pdf", action="store_true",
                           help="also print every book to PDF (headless chromium; scripts/ensure-chromium.sh)")
            p.add_argument("--no-workbooks", action="store_true",
                           help="do not write the Excel workbook of published tables for each book")
        p.add_argument("--scheduler", default="local", metavar="ADDRESS",
                       help="where notebooks run: 'local' (default: threads on this machine), 'processes', "
                            "or a Dask scheduler address such as tcp://10.0.0.5:8786 (needs the 'dask' "
                            "extra; workers must see the same data and build paths)")
        p.set_defaults(func=func)

    p = sub.add_parser("figures", help="export every published figure of an area (from the publication store) "
                                        "as JSON or CSV")
    p.add_argument("--data", required=True, help="data folder (or a build's validated copy)")
    p.add_argument("--area", default="county", help="'county' or a CSP name")
    p.add_argument("--format", choices=["json", "csv"], default="json")
    p.add_argument("--out", help="write to this file instead of stdout")
    p.add_argument("--cache-dir", type=Path, default=None,
                   help="where the validated copy and publication store are kept (default: $SNA_CACHE_DIR, "
                        "else build/.cache of the project, shared with notebooks opened by hand; give a "
                        "build's <build-dir>/.cache to reuse what that build made)")
    _period_options(p)
    p.set_defaults(func=_cmd_figures)
    return parser


def main(argv: list[str] | None = None) -> int:
    from sna_lib.book.execute import skip_slow_imports

    skip_slow_imports()  # before anything imports jsonschema (nbformat, papermill)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - every failure must end with a clear message and non-zero exit
        from sna_lib.errors import SnaError

        if isinstance(exc, SnaError):
            print(f"sna {args.command}: error: {exc}", file=sys.stderr)
            return 2
        if isinstance(exc, OSError):
            print(f"sna {args.command}: error: {os_error_text(exc)}", file=sys.stderr)
            return 2
        if os.environ.get("SNA_DEBUG"):
            raise
        print(f"sna {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(a bug: please report it; set SNA_DEBUG=1 to see the traceback)", file=sys.stderr)
        return 3


def os_error_text(exc: OSError) -> str:
    """One line for a file-system fault: what, where, and what to do.

    Examples
    --------
    >>> os_error_text(PermissionError(13, "Permission denied", "/srv/book/_build/.cache"))
    "cannot write or read '/srv/book/_build/.cache': Permission denied (check the folder exists, is writable and the disk has space)"
    """
    where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
    if getattr(exc, "filename2", None):
        where += f" -> {exc.filename2!r}"
    reason = exc.strerror or str(exc)
    return (f"cannot write or read{where}: {reason} "
            "(check the folder exists, is writable and the disk has space)")


if __name__ == "__main__":
    raise SystemExit(main())
