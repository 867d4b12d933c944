#!/usr/bin/env bash
# The GPU check in one go (benchmarks/gpu_check.py; docs/benchmarks.md says how to read it).
#
#   benchmarks/gpu_check.sh [OUT_DIR] [gpu_check.py options]     # e.g. benchmarks/gpu_check.sh out --skip embedding
#   benchmarks/gpu_check.sh out --smoke                            # tiny shapes, any machine: checks the script
#
# Needs a Python with torch, transformers, peft and accelerate (sentence-transformers for the
# embedding section); no network: every model is built from its configuration with random weights.
# OUT_DIR defaults to $OUT (the device machine's result folder) or ./gpu_check_out.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
OUT_DIR="${OUT:-gpu_check_out}"
if [[ $# -gt 0 && "$1" != -* ]]; then OUT_DIR="$1"; shift; fi
if [[ -z "${PYTHON:-}" ]]; then  # the machine's python3, or this checkout's .venv when python3 lacks peft
    PYTHON=python3
    if ! python3 -c "import peft" 2>/dev/null && [[ -x "$REPO/.venv/bin/python" ]]; then PYTHON="$REPO/.venv/bin/python"; fi
fi
mkdir -p "$OUT_DIR"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export PYTHONPATH="$REPO/src${PYTHONPATH:+:$PYTHONPATH}"
export SYNTHDIV_CACHE="${SYNTHDIV_CACHE:-$(mktemp -d)}"
command -v nvidia-smi >/dev/null && nvidia-smi > "$OUT_DIR/nvidia-smi.txt" 2>&1 || echo "no nvidia-smi on this machine" > "$OUT_DIR/nvidia-smi.txt"
"$PYTHON" -c "import torch, transformers, peft, accelerate" \
    || { echo "gpu_check: $PYTHON lacks torch, transformers, peft or accelerate (set PYTHON=...)" >&2; exit 2; }
exec "$PYTHON" "$HERE/gpu_check.py" --out "$OUT_DIR" "$@"
