#!/usr/bin/env bash
# The GPU machine's check (../../../shared/device/README.md), run from the repository root by the device
# tool, for a session that draws a GPU. Written and run here only up to the "no GPU" answer.
#
# Prepare on the build machine (nvcc is there; the GPU machine has no Node and no node_modules):
#   cd packages/tensor && MANTISSA_CUDA=1 MANTISSA_CUDA_ARCHS=80,90 node scripts/native.mjs rebuild && pnpm build
#   cd ../.. && bash ../shared/device/pack-node.sh        # puts a compressed node in .device/
# Then: run(command="bash packages/tensor/scripts/device-check.sh", timeout_s=300,
#           carry=[".device", "packages/tensor/build", "packages/tensor/dist"])
# Results land in $OUT: device-info.json, nvidia-smi.txt, cuda-parity.json (every CUDA result against
# the CPU result, test/device/parity.mjs), and the log. Commit the JSON under bench/results/ with the date.
set -uo pipefail
OUT=${OUT:-$PWD/device-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/device-check.log") 2>&1

if ! command -v node >/dev/null 2>&1; then
  [ -s .device/node.xz ] || { echo "no node and no .device/node.xz (run pack-node.sh and carry .device)"; exit 2; }
  mkdir -p .device/bin
  python3 -c "import lzma,shutil;shutil.copyfileobj(lzma.open('.device/node.xz'),open('.device/bin/node','wb'))"
  chmod +x .device/bin/node
  export PATH=$PWD/.device/bin:$PATH
fi
echo "node $(node --version)"
command -v nvidia-smi >/dev/null && nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1

cd packages/tensor || exit 2
[ -f build/Release/mantissa.node ] || { echo "build/Release/mantissa.node missing: carry packages/tensor/build"; exit 2; }
[ -f dist/index.js ] || { echo "dist/index.js missing: run pnpm build and carry packages/tensor/dist"; exit 2; }

node -e "
  const b = require('./build/Release/mantissa.node');
  const info = b.info();
  require('fs').writeFileSync(process.argv[1], JSON.stringify(info, null, 2));
  console.log('addon:', JSON.stringify(info));
  if (!info.cuda.compiled) { console.log('the addon was built without CUDA'); process.exit(3); }
" "$OUT/device-info.json" || exit $?

timeout 240 node scripts/device-parity.mjs "$OUT/cuda-parity.json"
status=$?
echo "device-check: exit $status"
exit $status
