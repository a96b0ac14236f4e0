#!/usr/bin/env bash
# The README's main job: build Lethe, start the daemon on the embedded default (store in
# ./Checkpoints, spool in ./spool), hand it the example request (forget the fictitious author
# Braedrura Danith), wait for the new version, and show the author's answer before and after
# and the checkpoint history. Run it again and the request is answered from the registry.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product lethe
lethe=.build/release/lethe
prompt="Where was Braedrura Danith born?"

echo "== before: the embedded model (version 0) answers"
"$lethe" generate --model Checkpoints/base --prompt "$prompt"

mkdir -p spool
"$lethe" daemon 2>>spool/daemon.log &
daemon=$!
trap 'kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null; true' EXIT
# The daemon makes its spool folders (with its owner and modes) as it starts; submitters wait for them.
for _ in $(seq 100); do [ -d spool/incoming ] && break; sleep 0.1; done

echo "== lethe submit examples/forget-author.json --wait (the daemon logs to spool/daemon.log)"
"$lethe" submit examples/forget-author.json --wait

echo "== after: HEAD answers"
"$lethe" generate --store Checkpoints --prompt "$prompt"
echo "== lethe history"
"$lethe" history
