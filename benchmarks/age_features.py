"""Turning points of the demo county's age curves (issue 13, "People").

The suspects' and victims' single-year age curves of the reporting year's serious violence
(each person once per role, at the youngest age recorded: exactly the county's ``people.age``
cells) and their features by :func:`sna_lib.measures.people.age_profile_features`, the rule the
publication stage applies. The reference SNA's suspects: incline from 12, peak 15, dip 16, rise
again 17, decline to about 21, plateau from about 23.

Usage::

    sna demo-data --out /tmp/demo1 --scale 1 --seed 2024
    python benchmarks/age_features.py --data /tmp/demo1

Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    args = parser.parse_args()

    from sna_lib.data.dataset import load_dataset
    from sna_lib.measures.people import age_profile, age_profile_features
    from sna_lib.publication.compute import prepare

    dataset = load_dataset(args.data)
    prep = prepare(dataset)
    crimes = prep.crimes
    year = int(dataset.config.reporting_year)
    ids = crimes.loc[(crimes["sv"] & (crimes["year"] == year)).to_numpy(dtype=bool), "crime_id"]
    print(f"{args.data}: serious violence {year}, {len(ids):,} offences")
    for role in ("suspect", "victim"):
        prof = age_profile(dataset.persons, ids, role=role, unit="people")
        f = age_profile_features(prof.counts)
        c = prof.counts
        print(f"{role}: {int(c.sum()):,} people of known age ({prof.unknown:,} unknown), ages {c.index.min()}-"
              f"{c.index.max()}, modal age {int(c.idxmax())} ({int(c.max())} people)")
        print(f"  incline {f.incline_start}, peaks {list(f.peaks)}, dips {list(f.dips)}, "
              f"rises again {list(f.rises_again)}, plateau {f.plateau_start}")
        ages = np.arange(10, 41)
        print("  counts 10-40:", " ".join(str(int(c.get(a, 0))) for a in ages))


if __name__ == "__main__":
    main()
