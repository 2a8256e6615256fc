"""Content hashes of the published store, to check that a change keeps it byte for byte.

Runs ``publication_cells`` + ``control`` + ``write_store`` on DATA_DIR (loaded without the
contract checks, as the stage re-reads a validated copy; no input hashes, code version or git
commit in the provenance, so the files depend on the data and the code's output only) into
OUT_DIR/store, and prints the cell / withheld counts and sha256 (first 16 hex digits) of every
store file and of the whole controlled frame (every column as text, sorted by cell id).

Usage::

    python benchmarks/store_hash.py DATA_DIR OUT_DIR
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path


def main() -> None:
    import pandas as pd

    from sna_lib.data.dataset import load_dataset
    from sna_lib.publication.compute import publication_cells
    from sna_lib.publication.control import control
    from sna_lib.publication.disclosure import disclosure_rules
    from sna_lib.publication.store import write_store

    data, out = sys.argv[1], Path(sys.argv[2])
    ds = load_dataset(data, validate=False)
    cells, relations, prov = publication_cells(ds)
    rules = disclosure_rules(ds.config)
    controlled = control(cells, relations, rules)
    os.makedirs(out, exist_ok=True)
    write_store(out / "store", controlled, relations, prov, rules=rules)
    hashes = {f.name: hashlib.sha256(f.read_bytes()).hexdigest()[:16] for f in sorted((out / "store").iterdir())}
    full = controlled.sort_values("cell_id").reset_index(drop=True)
    hashes["controlled_frame"] = hashlib.sha256(
        pd.util.hash_pandas_object(full.astype(str), index=False).values.tobytes()).hexdigest()[:16]
    print(json.dumps({"cells": len(controlled), "withheld": int((~controlled["published"]).sum()),
                      "hash": hashes}, indent=1))


if __name__ == "__main__":
    main()
