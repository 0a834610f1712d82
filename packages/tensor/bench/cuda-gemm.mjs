// CUDA GEMM throughput as JSON lines {op, dtype, n, tflops, path, ms}: square n x n matmul on cuda:0,
// float16 and bfloat16 at 4096 and 8192, float32 at 4096; warm-up, then a timed run of back-to-back
// products closed by synchronize(). Each size runs on the default path (cuBLASLt when loaded) and again
// with MANTISSA_CUBLASLT=0 (our own kernels; the variable is read at every call). Compare with
// bench/cuda_gemm_torch.py on the same GPU. Run after `pnpm build` (it imports dist/) with plain node:
//   node bench/cuda-gemm.mjs
// BENCH_CASES=float16:4096,bfloat16:8192 narrows the run; BENCH_OWN=0 skips the own-kernel runs.
import { backendInfo, manualSeed, matmul, randn, synchronize } from '../dist/index.js';

const cases = (
  process.env.BENCH_CASES ?? 'float16:4096,float16:8192,bfloat16:4096,bfloat16:8192,float32:4096'
)
  .split(',')
  .map((c) => {
    const [dtype, n] = c.split(':');
    return { dtype, n: Number(n) };
  });
const info = backendInfo();
console.log(JSON.stringify({ op: 'env', impl: 'mantissa', node: process.version, cuda: info.cuda }));
if (info.cuda.devices === 0) {
  console.log(JSON.stringify({ op: 'skip', reason: info.cuda.reason ?? 'no CUDA device' }));
  process.exit(0);
}

// Back-to-back products until about `budgetMs` has passed (at least 3), timed from the first launch to
// the device being idle.
function timed(fn, budgetMs) {
  let iters = 0;
  const t0 = performance.now();
  do {
    fn();
    iters++;
    if (iters % 4 === 0) synchronize('cuda');
  } while (iters < 3 || performance.now() - t0 < budgetMs);
  synchronize('cuda');
  return (performance.now() - t0) / iters;
}

manualSeed(0);
const paths = process.env.BENCH_OWN === '0' ? ['default'] : ['default', 'own'];
for (const { dtype, n } of cases) {
  const a = randn([n, n], { dtype, device: 'cuda' });
  const b = randn([n, n], { dtype, device: 'cuda' });
  for (const path of paths) {
    const saved = process.env.MANTISSA_CUBLASLT;
    if (path === 'own') process.env.MANTISSA_CUBLASLT = '0';
    try {
      const run = () => matmul(a, b).dispose();
      timed(run, 200); // warm-up: heuristics, workspace, clocks
      const ms = timed(run, 1500);
      console.log(
        JSON.stringify({
          op: 'matmul',
          impl: 'mantissa',
          dtype,
          n,
          tflops: +((2 * n ** 3) / ms / 1e9).toFixed(2),
          path: backendInfo().cuda.gemmPath,
          ms: +ms.toFixed(4),
        }),
      );
    } finally {
      if (saved === undefined) delete process.env.MANTISSA_CUBLASLT;
      else process.env.MANTISSA_CUBLASLT = saved;
    }
  }
  a.dispose();
  b.dispose();
}
