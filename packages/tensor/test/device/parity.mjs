// CUDA-vs-CPU parity checks, plain JavaScript so that both vitest (test/cuda-parity.test.ts, against
// src/) and the GPU machine's script (scripts/device-check.sh, against dist/ with plain node) run the
// same cases. Each check runs one op on the cpu and on `device`, and compares the results:
//   bits    every bit, NaN payloads included (casts, copies, where, fill, neg/abs/relu)
//   values  bit-exact except that any NaN matches any NaN (arithmetic: a GPU makes its own NaN payloads)
//   ulps:n  within n units in the last place of the output dtype (libm functions: log, tanh, pow)
//   rtol:r  |a - b| <= r * max(1, |b|) (reductions, whose summation order differs)
// runParity returns [{ name, ok, detail }], one per check; a kernel the CUDA backend lacks reports
// ok: false with the NotImplementedOnDeviceError message, so missing coverage shows.

import { conv2dChecks } from './parity-conv2d.mjs';
import { matmulChecks } from './parity-matmul.mjs';

const FLOATS = ['float32', 'float16', 'bfloat16', 'float64'];
const ALL = [...FLOATS, 'int32', 'bool'];

// Values that exercise rounding: ties at half precision, subnormals of every dtype, ±0, ±inf, NaN.
const SPECIAL = [
  0,
  -0,
  1,
  -1,
  0.5,
  1.5,
  2.5,
  1 + 2 ** -11,
  1 + 3 * 2 ** -11,
  1 + 2 ** -8,
  1 + 3 * 2 ** -8,
  65504,
  65520,
  -65519.99,
  2 ** -14,
  2 ** -24,
  2 ** -25,
  3 * 2 ** -26,
  2 ** -126,
  2 ** -133,
  2 ** -149,
  1e-40,
  3.4e38,
  -3.5e38,
  1e300,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
  123.456,
  -7.25,
  1e-3,
  100,
  -100,
  2147483647.5,
];

function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomValues(n, seed, scale = 4) {
  const r = seeded(seed);
  return Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

/** Raw storage elements as bit patterns (BigInt for float64), for exact comparison. */
function rawBits(t) {
  if (t.dtype === 'float16' || t.dtype === 'bfloat16') return Array.from(t.bits());
  const d = t.data();
  if (t.dtype === 'float32') return Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length));
  if (t.dtype === 'float64') return Array.from(new BigUint64Array(d.buffer, d.byteOffset, d.length));
  return Array.from(d);
}

function floatValues(t) {
  return t.dtype === 'int32' || t.dtype === 'bool' ? Array.from(t.data(), Number) : Array.from(t.data());
}

// A reduction-based kernel's output in a half dtype may round either way when the two devices' sums
// differ in their last bits: one bfloat16 ulp is up to 2^-7 of the value.
const sumTol = (dtype) => (dtype === 'bfloat16' ? 'rtol:1e-2' : 'rtol:2e-3');

const ULP_BITS = { float32: 23, float16: 10, bfloat16: 7, float64: 52 };

function compare(mode, cpu, dev) {
  if (cpu.dtype !== dev.dtype) return `dtype ${dev.dtype}, expected ${cpu.dtype}`;
  if (cpu.shape.join() !== dev.shape.join()) return `shape [${dev.shape}], expected [${cpu.shape}]`;
  if (mode === 'bits' || mode === 'values') {
    const a = rawBits(cpu);
    const b = rawBits(dev);
    const av = mode === 'values' ? floatValues(cpu) : null;
    const bv = mode === 'values' ? floatValues(dev) : null;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === b[i]) continue;
      if (mode === 'values' && Number.isNaN(av[i]) && Number.isNaN(bv[i])) continue;
      return `element ${i}: cuda bits ${b[i].toString(16)}, cpu bits ${a[i].toString(16)}`;
    }
    return null;
  }
  const a = floatValues(cpu);
  const b = floatValues(dev);
  const [kind, arg] = mode.split(':');
  const tol = Number(arg);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      return `element ${i}: cuda ${y}, cpu ${x}`;
    }
    if (x === y) continue;
    const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(x), 2 ** -126))) - ULP_BITS[cpu.dtype]);
    const limit = kind === 'ulps' ? tol * ulp : tol * Math.max(1, Math.abs(x));
    if (!(Math.abs(x - y) <= limit)) return `element ${i}: cuda ${y}, cpu ${x} (${mode})`;
  }
  return null;
}

export function runParity(mt, device = 'cuda') {
  const results = [];
  // build(device) returns one tensor or an array of tensors (an in-place op's every output).
  const check = (name, mode, build) => {
    let cpu = [];
    let dev = [];
    try {
      cpu = [build('cpu')].flat();
      dev = [build(device)].flat();
      let problem = null;
      for (let i = 0; i < cpu.length && problem === null; i++) {
        const back = dev[i].to('cpu');
        problem = compare(mode, cpu[i], back);
        if (problem !== null && cpu.length > 1) problem = `output ${i}: ${problem}`;
        back.dispose();
      }
      results.push({ name, ok: problem === null, detail: problem ?? mode });
    } catch (e) {
      results.push({ name, ok: false, detail: `${e.name}: ${e.message}` });
    } finally {
      for (const t of [...cpu, ...dev]) t.dispose();
    }
  };
  const src = (dtype, dev, values = SPECIAL, shape = undefined) =>
    mt.tensor(values, { dtype: 'float64', shape }).to({ dtype, device: dev });

  // Moves and casts: every dtype pair, contiguous and transposed sources.
  for (const from of ALL) {
    check(`to cuda and back ${from}`, 'bits', (d) => src(from, 'cpu').to(d));
    for (const to of ALL) {
      check(`cast ${from} -> ${to}`, 'bits', (d) => src(from, d).to(to));
      check(`cast ${from} -> ${to} strided`, 'bits', (d) =>
        src(from, d, randomValues(60, 7, 300), [6, 10])
          .transpose(0, 1)
          .to(to),
      );
    }
  }
  // Half NaN payloads and signalling NaNs through casts.
  for (const dtype of ['float16', 'bfloat16']) {
    const nans =
      dtype === 'float16' ? [0x7c01, 0xfc01, 0x7dff, 0x7e00, 0xffff] : [0x7f81, 0xff81, 0x7fc1, 0xffff];
    for (const to of ALL)
      check(`cast ${dtype} NaN payloads -> ${to}`, 'bits', (d) =>
        mt.Tensor.fromBits(Uint16Array.from(nans), dtype).to(d).to(to),
      );
  }

  // Creation.
  for (const dtype of ALL) {
    check(`full ${dtype}`, 'bits', (d) => mt.full([3, 5], 1.0009765625, { dtype, device: d }));
    check(`arange ${dtype}`, 'bits', (d) =>
      mt.arange(0, 7, dtype === 'int32' ? 2 : 0.75, {
        dtype: dtype === 'bool' ? 'float32' : dtype,
        device: d,
      }),
    );
  }

  // Random draws: the same Philox stream on both devices.
  for (const dtype of FLOATS) {
    check(`rand ${dtype}`, 'bits', (d) => {
      mt.manualSeed(7);
      return mt.rand([1001], { dtype, device: d });
    });
    check(`randn ${dtype}`, 'ulps:1', (d) => {
      mt.manualSeed(11);
      return mt.randn([1001], { dtype, device: d });
    });
    check(`dropout ${dtype}`, 'bits', (d) => {
      mt.manualSeed(13);
      const x = src(dtype, d, randomValues(999, 97, 3), [27, 37]).transpose(0, 1);
      const { output, mask } = mt.dropout(x, 0.3);
      const grad = mt.dropoutBackward(output, mask, 0.3);
      return [output, mask, grad];
    });
    for (const dim of [1, 0]) {
      check(`logSoftmax ${dtype} dim ${dim}`, 'rtol:2e-3', (d) => {
        const x = src(dtype, d, randomValues(600, 101, 8), [20, 30]);
        const y = mt.logSoftmax(x, dim);
        return [y, mt.logSoftmaxBackward(src(dtype, d, randomValues(600, 103, 1), [20, 30]), y, dim)];
      });
    }
    // cross_entropy: odd sizes, batch 1, a transposed (non-contiguous) logits view, ignored rows
    // (and a batch whose every row is ignored: mean is 0/0 = NaN on both).
    const lossDtype = dtype === 'float64' ? 'float64' : 'float32';
    const ceCases = [
      { n: 7, c: 13, ignore: [2, 5], transposed: false },
      { n: 1, c: 5, ignore: [], transposed: false },
      { n: 9, c: 300, ignore: [0], transposed: true },
      { n: 3, c: 4, ignore: [0, 1, 2], transposed: false },
    ];
    for (const { n, c, ignore, transposed } of ceCases) {
      for (const reduction of ['none', 'mean', 'sum']) {
        const name = `crossEntropy ${dtype} ${n}x${c}${transposed ? ' transposed' : ''} ${reduction}`;
        check(name, sumTol(dtype), (d) => {
          const values = randomValues(n * c, 107 + n + c, 6);
          const x = transposed
            ? src(dtype, d, values, [c, n]).transpose(0, 1)
            : src(dtype, d, values, [n, c]);
          const labels = Array.from({ length: n }, (_, i) => (ignore.includes(i) ? -100 : (i * 7 + 3) % c));
          const target = mt.tensor(labels, { dtype: 'int32' }).to(d);
          const loss = mt.crossEntropy(x, target, { reduction });
          const gradLoss =
            reduction === 'none'
              ? src(lossDtype, d, randomValues(n, 109, 2), [n])
              : src(lossDtype, d, [0.75], []);
          const grad = mt.crossEntropyBackward(gradLoss, x, target, { reduction });
          for (const t of [x, target, gradLoss]) t.dispose();
          return [loss, grad];
        });
      }
    }
    // batch_norm: training (batch statistics, running-stat update) and eval, affine or not, a half
    // input with float32 weight and statistics, (N, C), (N, C, L) and a permuted (N, C, H, W) view.
    const paramDtype = dtype === 'float64' ? 'float64' : 'float32';
    const bnCases = [
      { shape: [5, 3], permuted: false },
      { shape: [1, 7, 9], permuted: false },
      { shape: [3, 5, 7, 11], permuted: true },
    ];
    for (const { shape, permuted } of bnCases) {
      const c = shape[1];
      const numel = shape.reduce((a, b) => a * b, 1);
      for (const training of [true, false]) {
        for (const affine of [true, false]) {
          const name = `batchNorm ${dtype} [${shape}]${permuted ? ' permuted' : ''} ${training ? 'train' : 'eval'}${affine ? ' affine' : ''}`;
          check(name, sumTol(dtype), (d) => {
            const values = randomValues(numel, 113 + numel, 3).map((v) => v + 1.5);
            const x = permuted
              ? src(dtype, d, values, [shape[0], shape[2], shape[3], c]).permute([0, 3, 1, 2])
              : src(dtype, d, values, shape);
            const param = (seed, scale, shift = 0) =>
              src(
                paramDtype,
                d,
                randomValues(c, seed, scale).map((v) => v + shift),
                [c],
              );
            const weight = affine ? param(127, 1, 1) : null;
            const bias = affine ? param(131, 1) : null;
            const runningMean = param(137, 1);
            const runningVar = param(139, 0.5, 1);
            const { output, saveMean, saveInvstd } = mt.batchNorm(x, {
              weight,
              bias,
              runningMean,
              runningVar,
              training,
              momentum: 0.1,
              eps: 1e-5,
            });
            const gradOut = src(dtype, d, randomValues(numel, 149, 1), shape);
            const { gradInput, gradWeight, gradBias } = mt.batchNormBackward(
              gradOut,
              x,
              saveMean,
              saveInvstd,
              {
                weight,
                training,
              },
            );
            for (const t of [x, weight, bias, gradOut]) t?.dispose();
            return [output, saveMean, saveInvstd, runningMean, runningVar, gradInput, gradWeight, gradBias];
          });
        }
      }
    }
    // Pooling: the CUDA kernels add in the CPU's order, so the results are the CPU's values. Odd
    // planes, batch 1, a transposed input, padding, stride, dilation, ceil mode, NaN and inf in windows.
    const poolInput = (d, shape, transposed, seed) => {
      const numel = shape.reduce((a, b) => a * b, 1);
      const values = randomValues(numel, seed, 5);
      values[3] = Number.NaN;
      values[10] = Number.POSITIVE_INFINITY;
      values[17] = Number.NEGATIVE_INFINITY;
      if (!transposed) return src(dtype, d, values, shape);
      return src(dtype, d, values, [shape[0], shape[1], shape[3], shape[2]]).transpose(2, 3);
    };
    const poolCases = [
      { shape: [2, 3, 9, 11], transposed: false, k: 3, opts: { stride: 2, padding: 1 } },
      { shape: [1, 1, 5, 5], transposed: false, k: 2, opts: {} },
      {
        shape: [2, 2, 7, 6],
        transposed: true,
        k: [3, 2],
        opts: { stride: [2, 1], padding: [1, 0], ceilMode: true },
      },
    ];
    for (const [ci, { shape, transposed, k, opts }] of poolCases.entries()) {
      const tag = `${dtype} case ${ci}`;
      check(`maxPool2d ${tag}`, 'values', (d) => {
        const x = poolInput(d, shape, transposed, 151 + ci);
        const { output, indices } = mt.maxPool2d(x, k, opts);
        const g = src(dtype, d, randomValues(output.numel, 157, 2), output.shape);
        const gi = mt.maxPool2dBackward(g, x, indices, k, opts);
        x.dispose();
        g.dispose();
        return [output, indices, gi];
      });
      check(`maxPool2d dilated ${tag}`, 'values', (d) => {
        const x = poolInput(d, shape, transposed, 163 + ci);
        const o = { ...opts, dilation: 2, padding: 0 };
        const { output, indices } = mt.maxPool2d(x, 2, o);
        const g = src(dtype, d, randomValues(output.numel, 167, 2), output.shape);
        const gi = mt.maxPool2dBackward(g, x, indices, 2, o);
        x.dispose();
        g.dispose();
        return [output, indices, gi];
      });
      for (const countIncludePad of [true, false]) {
        check(`avgPool2d ${tag} includePad ${countIncludePad}`, 'values', (d) => {
          const x = poolInput(d, shape, transposed, 173 + ci);
          const o = { ...opts, countIncludePad };
          const y = mt.avgPool2d(x, k, o);
          const g = src(dtype, d, randomValues(y.numel, 179, 2), y.shape);
          const gi = mt.avgPool2dBackward(g, x, k, o);
          x.dispose();
          g.dispose();
          return [y, gi];
        });
      }
      for (const size of [
        [1, 1],
        [4, 3],
        [shape[2] + 2, 5],
      ]) {
        check(`adaptiveAvgPool2d ${tag} -> [${size}]`, 'values', (d) => {
          const x = poolInput(d, shape, transposed, 181 + ci);
          const y = mt.adaptiveAvgPool2d(x, size);
          const g = src(dtype, d, randomValues(y.numel, 191, 2), y.shape);
          const gi = mt.adaptiveAvgPool2dBackward(g, x);
          x.dispose();
          g.dispose();
          return [y, gi];
        });
      }
    }
    check(`reluBackward ${dtype}`, 'bits', (d) =>
      mt.reluBackward(src(dtype, d, randomValues(SPECIAL.length, 89)), src(dtype, d)),
    );
  }

  // Unary.
  const unary = {
    neg: 'bits',
    abs: 'bits',
    relu: 'bits',
    sqrt: 'values',
    rsqrt: 'values',
    exp: 'values',
    sigmoid: 'values',
    log: 'ulps:2',
    tanh: 'ulps:2',
    isfinite: 'bits',
    isnan: 'bits',
  };
  for (const [op, mode] of Object.entries(unary)) {
    const dtypes = ['neg', 'abs', 'relu'].includes(op)
      ? [...FLOATS, 'int32']
      : op.startsWith('is')
        ? ALL
        : FLOATS;
    for (const dtype of dtypes) {
      const exact = dtype === 'float64' && ['exp', 'sigmoid'].includes(op) ? 'ulps:1' : mode;
      check(`${op} ${dtype}`, exact, (d) =>
        src(dtype, d, dtype === 'int32' ? [0, 1, -5, 2147483647] : SPECIAL)[op](),
      );
      check(`${op} ${dtype} strided`, exact, (d) =>
        src(dtype, d, randomValues(48, 3, 6), [4, 12])
          .transpose(0, 1)
          [op](),
      );
    }
  }
  for (const dtype of [...FLOATS, 'int32'])
    check(`clamp ${dtype}`, 'values', (d) => src(dtype, d, randomValues(40, 5, 9)).clamp(-2, 3));

  // Binary, broadcasting [3, 1, 4] with [5, 4], and the scalar modes.
  const binary = [
    'add',
    'sub',
    'mul',
    'div',
    'maximum',
    'minimum',
    'eq',
    'ne',
    'lt',
    'le',
    'gt',
    'ge',
    'pow',
  ];
  for (const op of binary) {
    for (const dtype of [...FLOATS, 'int32']) {
      if (op === 'div' && dtype === 'int32') continue;
      const mode = op === 'pow' && dtype !== 'int32' ? 'ulps:2' : 'values';
      const a = (d) =>
        src(
          dtype,
          d,
          randomValues(12, 11, dtype === 'int32' ? 1000 : 5).map((v) =>
            dtype === 'int32' ? Math.round(v) : v,
          ),
          [3, 1, 4],
        );
      const b = (d) =>
        src(
          dtype,
          d,
          randomValues(20, 13, dtype === 'int32' ? 9 : 5).map((v) =>
            dtype === 'int32' ? Math.abs(Math.round(v)) : v,
          ),
          [5, 4],
        );
      check(`${op} ${dtype} broadcast`, mode, (d) => a(d)[op](b(d)));
      check(`${op} ${dtype} scalar`, mode, (d) => a(d)[op](dtype === 'int32' ? 3 : 0.3));
      check(`${op} ${dtype} specials`, mode, (d) =>
        src(dtype, d)[op](src(dtype, d, SPECIAL.slice().reverse())),
      );
    }
  }
  for (const e of [2, 3, -2, 0.5, -0.5, -1])
    for (const dtype of FLOATS)
      check(`pow ${dtype} ** ${e}`, 'values', (d) =>
        src(dtype, d, randomValues(30, 17, 4).map(Math.abs)).pow(e),
      );

  // where.
  for (const dtype of ALL)
    check(`where ${dtype}`, 'bits', (d) => {
      const cond = src('float32', d, randomValues(20, 19), [5, 4]).gt(0);
      return src(dtype, d, randomValues(4, 23, 50), [4]).where(
        cond,
        src(dtype, d, randomValues(5, 29, 50), [5, 1]),
      );
    });

  // Reductions (tolerance: the summation order differs).
  for (const op of ['sum', 'mean', 'max', 'min'])
    for (const dtype of FLOATS) {
      check(`${op} ${dtype} all`, 'rtol:1e-3', (d) => src(dtype, d, randomValues(1000, 31), [10, 100])[op]());
      check(`${op} ${dtype} axis`, 'rtol:1e-3', (d) =>
        src(dtype, d, randomValues(1000, 37), [10, 100])[op](0),
      );
    }
  for (const dtype of [...FLOATS, 'int32']) {
    check(`argmax ${dtype}`, 'bits', (d) =>
      src(dtype, d, randomValues(600, 41, 50).map(Math.round), [6, 100]).argmax(1),
    );
    check(`argmax ${dtype} specials`, 'bits', (d) => src(dtype, d).argmax());
  }
  for (const dtype of FLOATS) {
    check(`var ${dtype}`, 'rtol:1e-3', (d) => src(dtype, d, randomValues(1000, 43), [10, 100]).var(1));
    // allFinite answers a boolean: wrapped in a tensor to compare like the rest.
    const finite = (t) => mt.tensor([t.allFinite()]);
    check(`allFinite ${dtype}`, 'bits', (d) => finite(src(dtype, d, randomValues(1000, 47))));
    check(`allFinite ${dtype} with inf`, 'bits', (d) => finite(src(dtype, d)));
  }
  // Fused optimizer steps (in place; the updated parameter and state are compared) and unscale_check.
  const paramLike = (dtype, d, seed) => src(dtype, d, randomValues(300, seed, 2), [20, 15]);
  for (const dtype of FLOATS) {
    for (const state of dtype === 'float32' ? ['float32'] : [dtype, 'float32']) {
      for (const nesterov of [false, true]) {
        check(`sgdStep_ ${dtype} state ${state} nesterov ${nesterov}`, 'values', (d) => {
          const p = paramLike(dtype, d, 51);
          const g = paramLike(dtype, d, 53);
          const buf = paramLike(state, d, 57);
          mt.sgdStep_(p, g, buf, { lr: 0.1, momentum: 0.9, weightDecay: 1e-2, nesterov });
          g.dispose();
          return [p, buf];
        });
      }
      for (const decoupledWeightDecay of [false, true]) {
        check(`adamStep_ ${dtype} state ${state} decoupled ${decoupledWeightDecay}`, 'values', (d) => {
          const p = paramLike(dtype, d, 61);
          const g = paramLike(dtype, d, 67);
          const m = paramLike(state, d, 71);
          const v = paramLike(state, d, 73).abs();
          mt.adamStep_(p, g, m, v, { lr: 1e-3, weightDecay: 1e-2, step: 3, decoupledWeightDecay });
          g.dispose();
          return [p, m, v];
        });
      }
    }
    for (const [dst, strided] of [
      ['float32', false],
      ['float32', true],
      [dtype, false],
    ]) {
      check(`unscaleAndCheck ${dtype} -> ${dst}${strided ? ' strided' : ''}`, 'values', (d) => {
        const third = paramLike(dtype, d, 83);
        const sources = [paramLike(dtype, d, 79), src(dtype, d), strided ? third.transpose(0, 1) : third];
        const dests = sources.map((t) => mt.zeros(t.shape, { dtype: dst, device: d }));
        const flags = mt.unscaleAndCheck(sources, dests, 1 / 1024);
        for (const t of sources) t.dispose();
        return [mt.tensor(flags, { dtype: 'bool' }), ...dests];
      });
    }
  }
  conv2dChecks(mt, check, { src, randomValues, FLOATS });
  matmulChecks(mt, check, device);
  return results;
}

/** Device memory behaviour: accounting, the cache, out-of-memory as an error, mixed devices. */
export function runMemoryChecks(mt, device = 'cuda') {
  const results = [];
  const check = (name, fn) => {
    try {
      const problem = fn();
      results.push({ name, ok: !problem, detail: problem || 'ok' });
    } catch (e) {
      results.push({ name, ok: false, detail: `${e.name}: ${e.message}` });
    }
  };
  check('deviceMemory counts a live tensor and caches it after dispose', () => {
    mt.emptyCache();
    const before = mt.deviceMemory(device);
    const t = mt.zeros([1 << 20], { device });
    const during = mt.deviceMemory(device);
    t.dispose();
    const after = mt.deviceMemory(device);
    mt.emptyCache();
    const emptied = mt.deviceMemory(device);
    if (during.allocatedBytes - before.allocatedBytes < 4 << 20)
      return `allocated grew by ${during.allocatedBytes - before.allocatedBytes}`;
    if (after.allocatedBytes !== before.allocatedBytes)
      return `allocated ${after.allocatedBytes} after dispose, ${before.allocatedBytes} before`;
    if (after.cachedBytes < 4 << 20) return `cached ${after.cachedBytes} after dispose`;
    if (emptied.cachedBytes !== 0) return `cached ${emptied.cachedBytes} after emptyCache`;
    return null;
  });
  check('out of memory is an OutOfMemoryError, and the device still works', () => {
    let err = null;
    try {
      mt.zeros([2 ** 44], { dtype: 'float32', device });
    } catch (e) {
      err = e;
    }
    if (!(err instanceof mt.OutOfMemoryError)) return `got ${err}`;
    if (!/out of memory/.test(err.message)) return err.message;
    const t = mt.ones([4], { device });
    const v = Array.from(t.data());
    t.dispose();
    return v.join() === '1,1,1,1' ? null : `after OOM: ${v}`;
  });
  check('large copies through the pinned staging buffer', () => {
    const n = 5 * (1 << 20) + 3;
    const host = mt.arange(0, n, 1, { dtype: 'float32' });
    const onDevice = host.to(device);
    const back = onDevice.to('cpu');
    onDevice.dispose();
    const a = host.data();
    const b = back.data();
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `element ${i}: ${b[i]} vs ${a[i]}`;
    host.dispose();
    back.dispose();
    return null;
  });
  check('mixing devices in one op is an error naming both', () => {
    const a = mt.ones([2]);
    const b = mt.ones([2], { device });
    try {
      a.add(b);
      return 'no error';
    } catch (e) {
      return e instanceof mt.MantissaError && /cuda/.test(e.message) ? null : `${e}`;
    } finally {
      a.dispose();
      b.dispose();
    }
  });
  return results;
}
