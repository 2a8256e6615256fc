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
"$VENV/bin/mutmut" results --all true > build/mutation-results.txt 2>/dev/null || "$VENV/bin/mutmut" results > build/mutation-results.txt || true
"$VENV/bin/python" - <<'PY'
import collections, pathlib, re
text = pathlib.Path("build/mutation-results.txt").read_text()
status = collections.Counter()
by_module = collections.defaultdict(collections.Counter)
for line in text.splitlines():
    m = re.match(r"\s*(\S+?)__mutmut_\d+: (\w[\w ]*)$", line)
    if m:
        module = m.group(1).split(".x")[0].split(".xǁ")[0]
        status[m.group(2)] += 1
        by_module[module.rsplit(".", 1)[0] if "." in module else module][m.group(2)] += 1
killed = status["killed"]
scored = killed + status["survived"] + status["timeout"]
for mod, c in sorted(by_module.items()):
    s = c["killed"] + c["survived"] + c["timeout"]
    print(f"{mod:40s} killed {c['killed']:4d} / {s:4d}" + (f"  ({c['killed'] / s:.0%})" if s else ""))
print(dict(status))
print(f"mutation score: {killed}/{scored} = {killed / scored:.1%}" if scored else "no mutants scored")
PY
