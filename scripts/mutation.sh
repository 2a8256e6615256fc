#!/usr/bin/env bash
# Mutation testing of the core statistical modules (not run in CI: minutes to hours on 2 cores).
#   bash scripts/mutation.sh            # all modules listed in pyproject [tool.mutmut]
#   MAX_CHILDREN=1 bash scripts/mutation.sh
# Prints mutmut's results and the score = killed / (killed + survived + timeout).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/mutmut" ]; then
  echo "mutmut is not installed: run 'make env' (the dev extra)" >&2
  exit 2
fi
export SNA_SHARED_DIR=${SNA_SHARED_DIR:-$(cd .. && pwd)/shared}
rm -rf mutants
"$VENV/bin/mutmut" run --max-children "${MAX_CHILDREN:-2}" || true
"$VENV/bin/python" - <<'PY'
# score from mutmut's per-file metadata: exit 1 = killed, 0 = survived, 33 = no test ran it,
# 36 = timeout (counted as killed by mutmut; here as not killed, to be strict)
import collections, glob, json
total = collections.Counter()
for path in sorted(glob.glob("mutants/src/**/*.py.meta", recursive=True)):
    codes = json.load(open(path)).get("exit_code_by_key", {})
    c = collections.Counter("pending" if v is None else v for v in codes.values())
    total += c
    done = c[1] + c[0] + c[36]
    print(f"{path[len('mutants/src/'):-5]:45s} killed {c[1]:4d} / {done:4d}" + (f"  ({c[1] / done:.0%})" if done else ""))
done = total[1] + total[0] + total[36]
print({str(k): v for k, v in total.items()})
print(f"mutation score: {total[1]}/{done} = {total[1] / done:.1%}" if done else "no mutants scored")
PY
