// A first look at Mantissa's tensors: exact half-precision rounding, views, and native speed.
import { backendInfo, manualSeed, memory, randn, type Tensor, tensor, tidy } from '@mantissa/tensor';

const list = (t: Tensor) =>
  (t.data() as Float32Array).reduce((s, v, i) => `${s}${i ? ', ' : ''}${Object.is(v, -0) ? '-0' : v}`, '');
const hex = (bits: Uint16Array) => Array.from(bits, (b) => `0x${b.toString(16).padStart(4, '0')}`).join(' ');
const info = backendInfo();
console.log(
  `Mantissa tensor demo — kernels: ${info.isa}, ${info.threads} threads, CUDA: ${info.cuda.compiled ? 'yes' : 'no'}`,
);

// 1. float32 -> float16 -> float32: round to nearest even, subnormals, overflow to inf.
tidy(() => {
  const x = tensor([0.1, 1 / 3, 65504, 65520, 6e-8, 2 ** -25, -0]);
  const h = x.half();
  console.log('\nfloat32 values      ', list(x));
  console.log('as float16 bits     ', hex(h.bits()));
  console.log('float16 -> float32   ', list(h.float()));
  const b = x.bfloat16();
  console.log('as bfloat16 bits    ', hex(b.bits()));
  console.log('bfloat16 -> float32  ', list(b.float()));
});

// 2. Views share memory: a transpose is free, and every op accepts strided inputs.
tidy(() => {
  const m = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  console.log('\nm.T                 ', JSON.stringify(m.T.toArray()));
  console.log('m.T.slice(0, 1)     ', JSON.stringify(m.T.slice(0, 1).toArray()));
});

// 3. A matmul in three precisions, built from broadcasting and a reduction (products rounded to the
//    input dtype, sums accumulated in float32). The dedicated GEMM kernel comes with the next release.
const matmul = (a: Tensor, b: Tensor): Tensor => tidy(() => a.unsqueeze(2).mul(b.unsqueeze(0)).sum(1));
manualSeed(0);
tidy(() => {
  const a = randn([64, 128]);
  const b = randn([128, 32]);
  const exact = matmul(a.double(), b.double());
  for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
    const c = matmul(a.to(dtype), b.to(dtype));
    const err = c.double().sub(exact).abs().max().item() as number;
    const scale = exact.abs().max().item() as number;
    console.log(
      `matmul ${dtype.padEnd(8)} [64x128]·[128x32]: max relative error ${(err / scale).toExponential(2)}`,
    );
  }
});

// 4. A timing: cast 16M float32 values to float16.
const n = 1 << 24;
const big: Tensor = randn([n]);
const time = (fn: () => void, reps = 5) => {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return best;
};
const ms = time(() => tidy(() => void big.half()));
console.log(
  `\ncast ${n.toLocaleString()} float32 -> float16: ${ms.toFixed(2)} ms (${((n * 6) / ms / 1e6).toFixed(1)} GB/s)`,
);
big.dispose();
console.log('live tensors after cleanup:', memory().numTensors);
