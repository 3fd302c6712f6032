#!/usr/bin/env bash
# Serving throughput under concurrent streaming clients: `infer-cli serve` (continuous batching)
# against llama.cpp's own llama-server (built once from the llama.cpp that llama-cpp-python
# 0.3.36's sdist vendors; cached outside the repo), same GGUF, same thread count, same client
# (Benchmarks/serve_load.py, on the openai client's httpx), in the same run. Each level runs C
# clients at once, each sending R streaming chats of T tokens; prints a markdown table and the
# ratio of our aggregate tok/s to llama-server's, and ours at C clients to ours at 1.
#
#   bash Benchmarks/serve_load.sh [T] [R] [THREADS]      (T=64 R=2 THREADS=nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
tokens="${1:-64}" requests="${2:-2}" threads="${3:-$(nproc)}"
cache="${INFER_CACHE:-$HOME/.cache/infer}"
levels=(1 4 8 16)
slots=16 context=1024

bash Fixtures/fetch.sh smollm2 openai >&2
swift build -c release --product infer-cli $(bash scripts/native-flags) >&2
model=Fixtures/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
site="$cache/python-openai-3.63.0"

# llama-server from the sdist's vendored llama.cpp (cmake from Debian).
src="$cache/llama-server-0.3.36/llama_cpp_python-0.3.36/vendor/llama.cpp"
server_bin="$src/build/bin/llama-server"
if [ ! -x "$server_bin" ]; then
  echo "building llama-server (llama.cpp vendored by llama-cpp-python 0.3.36; several minutes, once)" >&2
  command -v cmake >/dev/null || apt-get install -y -qq cmake >&2
  mkdir -p "$cache/llama-server-0.3.36"
  sdist="$cache/wheels/llama_cpp_python-0.3.36.tar.gz"
  [ -f "$sdist" ] || python3 -m pip download --quiet --no-deps --no-binary=:all: --dest "$cache/wheels" llama-cpp-python==0.3.36 >&2
  tar xzf "$sdist" -C "$cache/llama-server-0.3.36"
  cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_CURL=OFF -DGGML_NATIVE=ON >&2
  cmake --build "$src/build" --target llama-server -j "$(nproc)" >&2
fi

wait_ready() {
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server on port $1 never became ready" >&2
  return 1
}

run_load() {
  PYTHONPATH="$site" python3 Benchmarks/serve_load.py "http://127.0.0.1:$1" --concurrency "${levels[@]}" \
    --tokens "$tokens" --requests "$requests"
}

ours_port=18080 theirs_port=18081
.build/release/infer-cli serve --model "smol=$model" --port "$ours_port" --parallel "$slots" --ctx-size "$context" \
  --threads "$threads" 2>/dev/null &
ours_pid=$!
trap 'kill $ours_pid ${theirs_pid:-} 2>/dev/null || true' EXIT
wait_ready "$ours_port"
ours=$(run_load "$ours_port")
rss_ours=$(awk '/VmHWM/ {print $2}' "/proc/$ours_pid/status")
kill -TERM "$ours_pid"; wait "$ours_pid" || true

"$server_bin" -m "$model" --port "$theirs_port" -np "$slots" -c $((slots * context)) -t "$threads" \
  --alias smol >/dev/null 2>&1 &
theirs_pid=$!
wait_ready "$theirs_port"
theirs=$(run_load "$theirs_port")
rss_theirs=$(awk '/VmHWM/ {print $2}' "/proc/$theirs_pid/status")
kill -TERM "$theirs_pid"; wait "$theirs_pid" || true

python3 - "$ours" "$theirs" "$rss_ours" "$rss_theirs" "$threads" <<'PY'
import json, sys
ours = [json.loads(line) for line in sys.argv[1].splitlines()]
theirs = [json.loads(line) for line in sys.argv[2].splitlines()]
print(f"threads: {sys.argv[5]}; peak RSS infer {int(sys.argv[3]) / 1024:.0f} MB, llama-server {int(sys.argv[4]) / 1024:.0f} MB")
print("| clients | infer tok/s | llama-server tok/s | ratio | infer x of 1 client | infer TTFT p50/p99 ms | llama-server TTFT p50/p99 ms | infer token p50/p99 ms | llama-server token p50/p99 ms |")
print("|---|---|---|---|---|---|---|---|---|")
base = ours[0]["tok_s"]
for a, b in zip(ours, theirs):
    print(f"| {a['concurrency']} | {a['tok_s']:.1f} | {b['tok_s']:.1f} | {a['tok_s'] / b['tok_s']:.2f} | {a['tok_s'] / base:.2f} | "
          f"{a['ttft_p50_ms']:.0f} / {a['ttft_p99_ms']:.0f} | {b['ttft_p50_ms']:.0f} / {b['ttft_p99_ms']:.0f} | "
          f"{a['token_p50_ms']:.1f} / {a['token_p99_ms']:.1f} | {b['token_p50_ms']:.1f} / {b['token_p99_ms']:.1f} |")
PY
