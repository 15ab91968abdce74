#!/usr/bin/env bash
# The prepared device check for the video backbone at the `paper` preset's size (the SVD UNet's widths 320/640/1280/1280,
# 7 frames of 64 px, batch 16), run on a lent GPU machine through the device tool. That machine has torch + timm but no
# simulator and no diffusers: diffusers travels as wheels in .whl/ (see bench/README.md), and closed-loop rollouts
# cannot run there, so this measures the learning side only:
#   1. step times of the bare UNet, video pretraining, joint UNet + PARA, frozen UNet + PARA heads, joint + global
#      (bf16 autocast), their throughput vs the bare UNet, peak GPU memory, and the paper's recipe budgets in hours
#   2. the real training loop (data loading, AMP, checkpoints) on synthetic 448 px demos: pretraining, then joint PARA
# JSON goes to $OUT (device machine) or bench/results/device (elsewhere). About 6 minutes on an H100.
# The paper preset now trains with video.grad_checkpoint: true (every spatio-temporal block recomputed in backward) and
# the one-key cross-attention; nbs/policies/10b_video.ipynb's estimate_training_memory puts batch 16 at 54.5 GiB (pretraining) and
# 63.3 GiB (joint, two passes) with bf16 autocast, so step 1 and 2 below should now run at the paper's batch 16: their
# peak_gpu_memory_gib is the number to compare with that estimate.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PYTHONUNBUFFERED=1
O="${OUT:-bench/results/device}"; mkdir -p "$O"
PY="${PYTHON:-python3}"
if ls .whl/*.whl >/dev/null 2>&1 && ! "$PY" -c "import diffusers" 2>/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
"$PY" -c "from para_wb.config import load_config; from para_wb.policies.video import estimate_training_memory as e; c = load_config('paper', ['model.backbone=svd_unet']); print('estimate', e(c, precision='amp', passes=1), e(c, precision='amp', passes=2))" | tee "$O/video_paper_estimate.txt"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$O/gpu.txt"
"$PY" -c "import torch, timm, diffusers; print('torch', torch.__version__, 'timm', timm.__version__, 'diffusers', diffusers.__version__, 'cuda', torch.cuda.is_available())" || exit 1
timeout "${VIDEO_BENCH_S:-270}" "$PY" bench/bench_video.py --preset paper --device cuda --amp --threads 16 --rounds 2 --steps 2 \
  --out "$O/video_paper_cuda.json" 2>&1 | tee "$O/video_paper_cuda.log"
for stage in backbone joint; do
  timeout "${VIDEO_TRAIN_S:-130}" "$PY" bench/bench_train.py --preset paper --steps "${VIDEO_TRAIN_STEPS:-20}" --demos 16 --kinds para \
    --set model.backbone=svd_unet train.stage=$stage --work "/tmp/bt_$stage" --out "$O/train_video_${stage}_paper_cuda.json" 2>&1 | tail -4
  rm -rf "/tmp/bt_$stage"      # a paper-size checkpoint with its AdamW state is ~18 GB: two would crowd the 64 GB disk
done
