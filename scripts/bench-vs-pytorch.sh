#!/usr/bin/env bash
# Times Lethe's training step against PyTorch's on this machine, in the same sitting:
# ROUNDS alternating runs of each, then the median and the minimum of each side.
#   scripts/bench-vs-pytorch.sh small 5
# Needs python3 with torch and transformers (pip) and ../shared/bench/pytorch_step.py.
set -euo pipefail
cd "$(dirname "$0")/.."
shape=${1:-small}
rounds=${2:-5}
threads=${3:-2}
pytorch_script=${PYTORCH_STEP:-../shared/bench/pytorch_step.py}
swift build -c release --product lethe >&2
lethe=.build/release/lethe
lethe_ms=() torch_ms=()
for round in $(seq "$rounds"); do
    torch_ms+=("$(python3 "$pytorch_script" "$shape" "$threads" | sed -n 's/.*ms_per_step=\([0-9.]*\).*/\1/p')")
    lethe_ms+=("$("$lethe" bench train --shape "$shape" --threads "$threads" --json | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["ms_per_step"], 1))')")
    echo "round $round: pytorch ${torch_ms[-1]} ms, lethe ${lethe_ms[-1]} ms" >&2
done
python3 - "$shape" "$threads" "${torch_ms[*]}" "${lethe_ms[*]}" <<'PY'
import statistics, sys
shape, threads, torch, lethe = sys.argv[1], sys.argv[2], list(map(float, sys.argv[3].split())), list(map(float, sys.argv[4].split()))
tm, lm = statistics.median(torch), statistics.median(lethe)
print(f"shape={shape} threads={threads} rounds={len(torch)}")
print(f"pytorch ms/step: median {tm:.1f}, min {min(torch):.1f}, all {torch}")
print(f"lethe   ms/step: median {lm:.1f}, min {min(lethe):.1f}, all {lethe}")
print(f"lethe/pytorch (median): {lm / tm:.2f}")
PY
