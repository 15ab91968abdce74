#!/usr/bin/env bash
# The prepared device check for the `paper` preset (run on the lent GPU machine through the device tool; that machine
# has torch + timm but no simulator, so this measures the learning side only, on synthetic data made on the spot):
#   1. training-step throughput of PARA / ACT / global vs the bare DINOv2 ViT-S/14 at 448 px (bf16 autocast and fp32)
#   2. the same for the `cpu` preset's models on the GPU
#   3. the real training loop (data loading, AMP, snapshots, checkpoints) of the paper preset, 300 updates per policy
# JSON goes to $OUT (device machine) or bench/results/device (elsewhere). About 5 minutes on an H100.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PYTHONUNBUFFERED=1
O="${OUT:-bench/results/device}"; mkdir -p "$O"
PY="${PYTHON:-python3}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$O/gpu.txt"
"$PY" -c "import torch, timm, h5py, yaml; print('torch', torch.__version__, 'timm', timm.__version__, 'cuda', torch.cuda.is_available())" || exit 1
"$PY" bench/bench_models.py --preset paper --device cuda --amp --rounds 5 --steps 10 --out "$O/models_paper_cuda_amp.json"
"$PY" bench/bench_models.py --preset paper --device cuda --rounds 3 --steps 5 --out "$O/models_paper_cuda_fp32.json"
"$PY" bench/bench_models.py --preset cpu --device cuda --amp --rounds 5 --steps 20 --out "$O/models_cpu_cuda_amp.json"
"$PY" bench/bench_train.py --preset paper --steps 300 --demos 24 --out "$O/train_paper_cuda.json"
