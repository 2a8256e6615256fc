#!/usr/bin/env bash
# Mutation testing of the core statistical modules (not run in CI: minutes per module on 2 cores).
#
#   bash scripts/mutation.sh                     # every module of [tool.sna-mutation.modules]
#   bash scripts/mutation.sh people disclosure   # just these modules
#   bash scripts/mutation.sh --score             # print the scores of the runs so far, run nothing
#   CAP=900 MAX_CHILDREN=1 NICE=15 bash scripts/mutation.sh people
#   RERUN=1 bash scripts/mutation.sh people      # re-run only the mutants not killed last time
#   FRESH=1 bash scripts/mutation.sh people      # forget earlier results of these modules
#   SAMPLE=150 SEED=1 bash scripts/mutation.sh classify   # a simple random sample of 150 mutants
#                                                # not yet run (uniform, without replacement, seeded)
#
# Why per module: one mutmut run over all core modules ran every core test file in its stats pass
# and took hours. Here each module gets its own scratch project, mutants/<module>/, holding a copy
# of src/ + tests/ and a pyproject whose [tool.mutmut] mutates only that module's files and selects
# only that module's test files (minus `deselect`: tests that rebuild a demo dataset, minutes per
# mutant). mutmut then runs, for each mutant, only the selected tests that call the mutated
# function. A run stops after CAP seconds (default 1200); results are kept per mutant, so running
# the module again resumes where it stopped (mutants/<module>/mutants/**/*.py.meta).
#
# SAMPLE: a capped run is NOT a random sample (mutmut runs the mutants with the fastest tests
# first), so for a module too big to run whole in the time at hand, SAMPLE=N picks N of its
# not-yet-run mutants uniformly at random (seed SEED, default 1) after a generation-only pass,
# and runs just those; the score line then reports the sample and its 95 % (Clopper-Pearson)
# interval. The sample is kept in mutants/<module>/sample.txt: a sample the time cap cut short is
# finished by the next SAMPLE run; after that, another SEED adds further mutants to the sample.
#
# Inspect a survivor:  cd mutants/<module> && ../../.venv/bin/mutmut show <mutant name>
# Score = killed / (killed + survived + timeout + no tests): a mutant that no selected test even
# calls (exit 33) is a survivor too (mutmut's own summary leaves those out).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${VENV:-$ROOT/.venv}
case "$VENV" in /*) ;; *) VENV=$ROOT/$VENV ;; esac
if [ ! -x "$VENV/bin/mutmut" ]; then
  echo "mutmut is not installed: run 'make env' (the dev extra)" >&2
  exit 2
fi
if [ -z "${SNA_SHARED_DIR:-}" ]; then
  for d in "$ROOT/../shared" /work/shared; do [ -d "$d" ] && { SNA_SHARED_DIR=$(cd "$d" && pwd); break; }; done
fi
export SNA_SHARED_DIR=${SNA_SHARED_DIR:-$ROOT/../shared}
CAP=${CAP:-1200}
NICE=${NICE:-15}
MAX_CHILDREN=${MAX_CHILDREN:-2}

SCORE_ONLY=0
if [ "${1:-}" = "--score" ]; then SCORE_ONLY=1; shift; fi
MODULES=("$@")
if [ ${#MODULES[@]} -eq 0 ]; then
  mapfile -t MODULES < <("$VENV/bin/python" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["tool"]["sna-mutation"]["modules"]))')
fi

# write mutants/<module>/pyproject.toml: ours, with [tool.mutmut] narrowed to the module
scratch_project() {
  "$VENV/bin/python" - "$1" <<'PY'
import json, re, sys, tomllib
from pathlib import Path
name = sys.argv[1]
text = Path("pyproject.toml").read_text()
modules = tomllib.loads(text)["tool"]["sna-mutation"]["modules"]
if name not in modules:
    sys.exit(f"unknown module {name!r}: pick one of {', '.join(modules)} ([tool.sna-mutation.modules])")
spec = modules[name]
base = tomllib.loads(text)["tool"]["mutmut"]
args = list(base["pytest_add_cli_args"]) + [a for t in spec.get("deselect", []) for a in ("--deselect", t)]
section = "\n".join([
    "[tool.mutmut]",
    f"source_paths = {json.dumps(base['source_paths'])}",
    f"only_mutate = {json.dumps(spec['mutate'])}",
    f"also_copy = {json.dumps(base['also_copy'])}",
    f"pytest_add_cli_args = {json.dumps(args)}",
    f"pytest_add_cli_args_test_selection = {json.dumps(spec['tests'])}",
    f"timeout_constant = {base.get('timeout_constant', 1.0)}",
    "use_git_change_detection = false",
    "",
])
# drop our [tool.mutmut] and [tool.sna-mutation.*] tables, append the narrowed one
kept, skip = [], False
for line in text.splitlines(keepends=True):
    if re.match(r"^\[", line):
        skip = bool(re.match(r"^\[tool\.(mutmut|sna-mutation)[\].]", line))
    if not skip:
        kept.append(line)
out = Path("mutants") / name
out.mkdir(parents=True, exist_ok=True)
(out / "pyproject.toml").write_text("".join(kept).rstrip() + "\n\n" + section)
PY
}

# names of the mutants that were not killed in a module's last run: survived (0), timed out,
# no test called them (33, e.g. before a test was added) or not run yet (None, time cap); for a
# sampled module (mutants/<module>/sample.txt), only those of its sample
survivors() {
  "$VENV/bin/python" - "$1" <<'PY'
import glob, json, sys
from pathlib import Path
book = Path(f"mutants/{sys.argv[1]}/sample.txt")   # a sampled module: only its sample
sample = set(book.read_text().split()) if book.exists() else None
for path in sorted(glob.glob(f"mutants/{sys.argv[1]}/mutants/src/**/*.py.meta", recursive=True)):
    for key, code in json.load(open(path)).get("exit_code_by_key", {}).items():
        if code in (None, 0, 33, 24, -24, 36, 152, 255) and (sample is None or key in sample):
            print(key)
PY
}

# a seeded simple random sample of N mutants not run yet (exit code None), kept in
# mutants/<module>/sample.txt: members of an earlier sample that are still not run (a run stopped
# by the time cap) come first, so a capped sample is finished before new mutants are drawn
pending_sample() {
  "$VENV/bin/python" - "$1" "$2" "$3" <<'PY'
import glob, json, random, sys
from pathlib import Path
module, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pending = sorted(key for path in glob.glob(f"mutants/{module}/mutants/src/**/*.py.meta", recursive=True)
                 for key, code in json.load(open(path)).get("exit_code_by_key", {}).items() if code is None)
book = Path(f"mutants/{module}/sample.txt")
drawn = book.read_text().split() if book.exists() else []
left = [k for k in drawn if k in set(pending)]
if not left:
    fresh = sorted(random.Random(seed).sample(pending, min(n, len(pending))))
    book.write_text("".join(k + "\n" for k in drawn + fresh))
    left = fresh
for key in left:
    print(key)
PY
}

if [ $SCORE_ONLY -eq 0 ]; then
  for m in "${MODULES[@]}"; do
    [ "${FRESH:-0}" = 1 ] && rm -rf "mutants/$m"
    # a run killed while generating mutants leaves truncated copies that mutmut then keeps (they
    # are newer than the source): start that module afresh
    if [ -d "mutants/$m/mutants/src" ] && (cd src && find . -name '*.py' -size +0 -print) | while read -r f; do
         [ -e "mutants/$m/mutants/src/$f" ] && [ ! -s "mutants/$m/mutants/src/$f" ] && echo "$f"; done | grep -q .; then
      echo "   $m: truncated mutant files from an interrupted run: starting afresh"
      rm -rf "mutants/$m"
    fi
    scratch_project "$m"
    rm -rf "mutants/$m/src" "mutants/$m/tests"
    cp -a src tests "mutants/$m/"  # -a: keep mtimes, so mutmut keeps its generated mutants
    names=()
    if [ "${RERUN:-0}" = 1 ]; then
      mapfile -t names < <(survivors "$m")
      if [ ${#names[@]} -eq 0 ]; then echo "== $m: no survivors to re-run"; continue; fi
    elif [ -n "${SAMPLE:-}" ]; then
      if [ -z "$(find "mutants/$m/mutants/src" -name '*.py.meta' 2>/dev/null | head -1)" ]; then
        echo "== $m: generating mutants and test stats (no mutant run) $(date -u +%H:%M:%S)"
        # a pattern that matches no mutant: mutmut generates, collects stats, then stops
        (cd "mutants/$m" && nice -n "$NICE" "$VENV/bin/mutmut" run --max-children "$MAX_CHILDREN" \
            "no-such-mutant-sample-pass" > mutmut-generate.log 2>&1) || true
      fi
      mapfile -t names < <(pending_sample "$m" "$SAMPLE" "${SEED:-1}")
      if [ ${#names[@]} -eq 0 ]; then echo "== $m: no pending mutants to sample"; continue; fi
    fi
    echo "== $m (cap ${CAP}s, ${#names[@]} named mutants) $(date -u +%H:%M:%S)"
    start=$(date +%s)
    (cd "mutants/$m" && nice -n "$NICE" timeout --signal=INT --kill-after=30 "$CAP" \
        "$VENV/bin/mutmut" run --max-children "$MAX_CHILDREN" "${names[@]}" > mutmut.log 2>&1) \
      || echo "   mutmut stopped with status $? (124 = time cap reached; see mutants/$m/mutmut.log)"
    echo "   $(( $(date +%s) - start )) s"
  done
fi

"$VENV/bin/python" - "${MODULES[@]}" <<'PY'
# exit codes in mutmut's per-file metadata: 1 (or 3) = killed, 0 = survived, 33 = no test calls it,
# 36 / +-24 / 152 / 255 = timeout (mutmut counts those as killed; here as not killed, to be strict:
# a wall-clock timeout on this loaded machine is more often slowness than an infinite loop),
# 37 = caught by the type checker, None = not run yet (time cap). A sampled module
# (mutants/<module>/sample.txt) is scored on its sample only: "sample" = its size, "pending" =
# sample members not run yet, and the interval estimates the whole module's score.
import collections, glob, json, sys
from pathlib import Path
from scipy.stats import beta
TIMEOUT = (36, 24, -24, 152, 255)


def interval(k, n):  # 95 % Clopper-Pearson
    return (beta.ppf(0.025, k, n - k + 1) if k else 0.0, beta.ppf(0.975, k + 1, n - k) if k < n else 1.0)


total = collections.Counter()
sampled_any = False
print(f"{'module':14s} {'file':36s} {'mutants':>7s} {'sample':>6s} {'killed':>6s} {'surv':>5s} {'tmout':>5s} "
      f"{'notest':>6s} {'pending':>7s}  score")
for module in sys.argv[1:]:
    book = Path(f"mutants/{module}/sample.txt")
    sample = set(book.read_text().split()) if book.exists() else None
    sampled_any |= sample is not None
    for path in sorted(glob.glob(f"mutants/{module}/mutants/src/**/*.py.meta", recursive=True)):
        try:
            codes = json.load(open(path)).get("exit_code_by_key", {})
        except ValueError:  # being rewritten by a running mutmut: read it next time
            print(f"{module:14s} {path}: being written, skipped")
            continue
        scored = codes if sample is None else {k: v for k, v in codes.items() if k in sample}
        c = collections.Counter("pending" if v is None else "timeout" if v in TIMEOUT
                                else "killed" if v in (1, 3) else v for v in scored.values())
        total += c
        done = c["killed"] + c[0] + c["timeout"] + c[33]
        name = path.split("/mutants/src/", 1)[1][:-5]
        score = "-"
        if done:
            score = f"{c['killed'] / done:.1%}"
            if sample is not None:
                lo, hi = interval(c["killed"], done)
                score += f" ({lo:.0%}-{hi:.0%})"
        print(f"{module:14s} {name:36s} {len(codes):7d} {'all' if sample is None else len(scored):>6} "
              f"{c['killed']:6d} {c[0]:5d} {c['timeout']:5d} {c[33]:6d} {c['pending']:7d}  {score}")
done = total["killed"] + total[0] + total["timeout"] + total[33]
line = f"mutation score: {total['killed']}/{done} = {total['killed'] / done:.1%}" if done else "no mutants scored"
if done and total["pending"]:
    line += f" ({total['pending']} not run yet: a capped run takes the fastest mutants first, not a random sample)"
if done and sampled_any:
    line += " (includes sampled modules: see the per-module intervals)"
print(line)
PY
