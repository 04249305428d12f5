#!/usr/bin/env bash
# The GPU checks in one run, for a machine with a CUDA GPU and PyTorch:
#   1. the CUDA tests (tests/test_gpu.py: learning with bf16 autocast and
#      channels-last, GPU weights scored on the CPU, module outputs, compile);
#   2. `archdsl train` against the hand-written loop, eager and compiled.
#
#   bench/gpu_checks.sh [RESULTS_DIR]    run the checks (results: gpu-checks/)
#   bench/gpu_checks.sh --fetch-wheels   here, first: put in .whl/ the wheels of
#                                        archdsl's pure dependencies a PyTorch
#                                        image may lack (Python 3.12, x86-64)
#
# Wheels found in .whl/ are installed to /tmp/site before the checks; archdsl
# itself runs from this checkout. Record the figures in docs/benchmarks.md.
set -uo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}

if [[ ${1:-} == --fetch-wheels ]]; then
    specs=()
    for name in lark pydantic pydantic_core annotated-types typing-inspection typer; do
        version=$($python -c "import importlib.metadata as m; print(m.version('$name'))") || exit 1
        specs+=("$name==$version")
    done
    exec $python -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 -d .whl "${specs[@]}"
fi

results=${1:-gpu-checks}
mkdir -p "$results"
if compgen -G ".whl/*.whl" > /dev/null; then
    $python -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$results/gpu.txt"
$python -c "import torch; print('torch', torch.__version__)" | tee -a "$results/gpu.txt"
status=0
$python -m pytest -p no:cacheprovider -n 0 -v tests/test_gpu.py 2>&1 \
    | tee "$results/tests.txt" || status=1
for mode in eager compiled; do
    flag=()
    [[ $mode == compiled ]] && flag=(--compile)
    $python bench/train_throughput.py --device cuda --rounds 3 --images 25000 --batch 512 \
        "${flag[@]}" 2>&1 | tee "$results/throughput_$mode.txt" || status=1
done
exit $status
