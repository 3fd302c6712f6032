#!/usr/bin/env bash
# Soak: `infer-cli serve` (SmolLM2 + open-nsfw) under S seconds of mixed traffic from C clients at
# the queue limit (--parallel 4 --queue 8): chat streams (some hanging up), whole chats, /predict,
# metadata and bad requests (Benchmarks/serve_soak.py). Fails on any 5xx, connection error or
# unfinished stream; prints the request counts and the server's RSS at the start and the end;
# then SIGTERM must end the server with status 0.
#
#   bash Benchmarks/serve_soak.sh [S] [C]      (S=600 C=16)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}" clients="${2:-16}"
cache="${INFER_CACHE:-$HOME/.cache/infer}"
bash Fixtures/fetch.sh smollm2 opennsfw images openai >&2
swift build -c release --product infer-cli $(bash scripts/native-flags) >&2
port=18090
.build/release/infer-cli serve --model smol=Fixtures/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf \
  --model nsfw=Fixtures/models/opennsfw/open-nsfw.onnx --port "$port" --parallel 4 --queue 8 2>/tmp/serve_soak.log &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
status=0
PYTHONPATH="$cache/python-openai-3.63.0" python3 Benchmarks/serve_soak.py "http://127.0.0.1:$port" --pid "$pid" \
  --seconds "$seconds" --clients "$clients" --image Fixtures/models/images/chelsea.png || status=$?
kill -TERM "$pid"
wait "$pid" && echo "serve exited 0 after SIGTERM" || { echo "serve exited $? after SIGTERM"; status=1; }
exit $status
