#!/usr/bin/env bash
# The GPU machine's check (../shared/device/README.md), for a session that is lent a GPU: one run does
# everything issue 7 asks of the device. Prepare here (see scripts/device-bundle.mjs):
#   MANTISSA_CUDA=1 MANTISSA_CUDA_ARCHS=90 pnpm build && node scripts/device-bundle.mjs   (52 MiB to carry)
# then: run(command="bash scripts/device-check.sh", timeout_s=480, carry=[".device"])
# A rehearsal without a GPU: `MANTISSA_CUDA_EMULATE=1 PYTHON=/usr/bin/python3 OUT=/tmp/dc bash scripts/device-check.sh`
# runs every step against the emulated device (placement and plumbing; the CPU kernels' numbers, CPU
# speed, and PyTorch steps that fail for want of CUDA).
# Results in $OUT (commit the JSON under bench/results/ with the date and the machine):
#   device-info.json, nvidia-smi.txt   the addon's view of the GPU (cuBLASLt found or not) and the driver's
#   cuda-parity.json                   every CUDA result against the CPU's (test/device/parity.mjs), with
#   cuda-parity-own-gemm.json          ... and again with cuBLASLt disabled (our tensor-core GEMM)
#   seed-<fp32|fp16|bf16>.txt          the seed example on cuda in each precision
#   bench.jsonl                        GEMM 4096/8192, ResNet-style block, seed step at batch 512: ours and
#                                      PyTorch's on the same GPU in the same run
#   device-check.log                   everything printed
set -uo pipefail
OUT=${OUT:-$PWD/device-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/device-check.log") 2>&1
APP=$PWD/.device/app
[ -f "$APP/parity.mjs" ] || { echo "no .device/app: run node scripts/device-bundle.mjs and carry .device"; exit 2; }

if ! command -v node >/dev/null 2>&1; then
  mkdir -p .device/bin
  python3 -c "import lzma,shutil;shutil.copyfileobj(lzma.open('.device/node.xz'),open('.device/bin/node','wb'))"
  chmod +x .device/bin/node
  export PATH=$PWD/.device/bin:$PATH
fi
PYTHON=${PYTHON:-python3}
echo "node $(node --version), $($PYTHON -c 'import torch;print("torch", torch.__version__, torch.version.cuda)')"
# The driver's CUDA version matters: the addon's CUDA 13 runtime needs a driver of 580 or later.
command -v nvidia-smi >/dev/null && nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 && grep -m1 "Driver Version" "$OUT/nvidia-smi.txt"
node -e "
  const info = require(process.argv[1]).info();
  require('fs').writeFileSync(process.argv[2], JSON.stringify(info, null, 2));
  console.log('addon:', JSON.stringify(info));
  if (!info.cuda.devices) process.exit(3);
" "$APP/build/Release/mantissa.node" "$OUT/device-info.json" || { echo "no CUDA device visible to the addon"; exit 3; }

failed=0
# The whole check must end inside the run's timeout (device time is scarce): each step gets at most what
# is left of DEADLINE seconds, and a step with under 10 s left is skipped (and counted as failed).
DEADLINE=${DEADLINE:-420}
step() {  # step <name> <seconds> <command...>: runs it, records failure without stopping the rest
  local name=$1 limit=$2
  shift 2
  local left=$((DEADLINE - SECONDS))
  if [ $left -lt 10 ]; then
    echo "== $name: skipped, the deadline (${DEADLINE} s) is reached"
    failed=$((failed + 1))
    return
  fi
  [ $left -lt "$limit" ] && limit=$left
  local t0=$SECONDS
  timeout "$limit" "$@"
  local rc=$?
  echo "== $name: exit $rc in $((SECONDS - t0)) s"
  [ $rc -eq 0 ] || failed=$((failed + 1))
}

step parity 120 node "$APP/parity.mjs" "$OUT/cuda-parity.json"
MANTISSA_CUBLASLT=0 step parity-own-gemm 120 node "$APP/parity.mjs" "$OUT/cuda-parity-own-gemm.json"

export MANTISSA_DATA=/tmp/mantissa-data
mkdir -p "$MANTISSA_DATA" && tar xJf .device/mnist_sample.tar.xz -C "$MANTISSA_DATA"
for precision in fp32 fp16 bf16; do
  step "seed $precision" 90 bash -c "node '$APP/seed.mjs' --device cuda --$precision > '$OUT/seed-$precision.txt' 2>&1; rc=\$?; cat '$OUT/seed-$precision.txt'; exit \$rc"
done

bench() {  # bench <name> <command...>: JSON lines appended to bench.jsonl
  local name=$1
  shift
  step "$name" 90 bash -o pipefail -c "$* | tee -a '$OUT/bench.jsonl'"
}
bench "gemm mantissa" node "$APP/gemm.mjs"
bench "gemm pytorch" "$PYTHON" packages/tensor/bench/cuda_gemm_torch.py
bench "conv block mantissa" node "$APP/conv.mjs"
bench "conv block pytorch" "$PYTHON" packages/tensor/bench/cuda_conv_torch.py
bench "seed step mantissa" node "$APP/step.mjs" --batch 512
bench "seed step pytorch" "$PYTHON" bench/cuda_step_torch.py --batch 512
echo "device-check: $failed step(s) failed"
exit $((failed > 0))
