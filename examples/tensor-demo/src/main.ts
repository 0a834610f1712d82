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

const time = (fn: () => void, reps = 5) => {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return best;
};

// 3. A matmul in three precisions: half inputs, float32 accumulation, one rounding on store.
manualSeed(0);
tidy(() => {
  const a = randn([512, 512]);
  const b = randn([512, 512]);
  const exact = a.double().matmul(b.double());
  for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
    const [ha, hb] = [a.to(dtype), b.to(dtype)];
    const ms = time(() => tidy(() => void ha.matmul(hb)));
    const err = tidy(
      () =>
        (ha.matmul(hb).double().sub(exact).abs().max().item() as number) /
        (exact.abs().max().item() as number),
    );
    console.log(
      `matmul ${dtype.padEnd(8)} 512x512: ${ms.toFixed(2)} ms (${((2 * 512 ** 3) / ms / 1e6).toFixed(0)} GFLOP/s), max relative error ${err.toExponential(2)}`,
    );
  }
});

// 4. A timing: cast 16M float32 values to float16.
manualSeed(0);
const n = 1 << 24;
const big: Tensor = randn([n]);
const ms = time(() => tidy(() => void big.half()));
console.log(
  `\ncast ${n.toLocaleString()} float32 -> float16: ${ms.toFixed(2)} ms (${((n * 6) / ms / 1e6).toFixed(1)} GB/s)`,
);
big.dispose();
console.log('live tensors after cleanup:', memory().numTensors);
