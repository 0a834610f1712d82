// GEMM throughput as JSON lines: {"bench":"matmul","dtype":...,"n":...,"threads":...,"ms":best,"GFLOPs":...}
// for square n x n products, one thread and all threads, best of N runs (each timing includes allocating
// the output, as the op does). Run after `pnpm build` (it imports dist/).
// BENCH_SIZES=128,256 and BENCH_DTYPES=float32 narrow the run; BENCH_REPS sets N.
import { backendInfo, manualSeed, matmul, randn, setNumThreads, tidy } from '../dist/index.js';

const sizes = (process.env.BENCH_SIZES ?? '128,256,512,1024,2048').split(',').map(Number);
const dtypes = (process.env.BENCH_DTYPES ?? 'float32,float16,bfloat16').split(',');
const info = backendInfo();
const allThreads = info.threads;
console.log(
  JSON.stringify({
    bench: 'env',
    impl: 'mantissa',
    isa: info.isa,
    threads: allThreads,
    node: process.version,
  }),
);

function best(fn, reps, budgetMs) {
  fn();
  let min = Infinity;
  const start = performance.now();
  for (let i = 0; i < reps && (i < 3 || performance.now() - start < budgetMs); i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

manualSeed(0);
for (const dtype of dtypes) {
  for (const n of sizes) {
    const a = randn([n, n]).to(dtype);
    const b = randn([n, n]).to(dtype);
    for (const threads of [...new Set([1, allThreads])]) {
      setNumThreads(threads);
      const reps = Number(process.env.BENCH_REPS ?? (n <= 256 ? 50 : n <= 1024 ? 10 : 3));
      const ms = best(() => tidy(() => void matmul(a, b)), reps, 2000);
      const GFLOPs = (2 * n ** 3) / ms / 1e6;
      console.log(
        JSON.stringify({
          bench: 'matmul',
          impl: 'mantissa',
          dtype,
          n,
          threads,
          ms: +ms.toFixed(4),
          GFLOPs: +GFLOPs.toFixed(1),
        }),
      );
    }
    setNumThreads(allThreads);
    a.dispose();
    b.dispose();
  }
}
