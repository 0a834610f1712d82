// matmul on `device` against the cpu (called from runParity in parity.mjs). The device may sum in another
// order (tiles, tensor cores, cuBLASLt), so:
//   - exact data (small multiples of 1/8: every partial sum is exact in float32) must give the same
//     values, NaN for NaN: the one rounding to the output dtype is the only rounding left;
//   - random positive data with k <= 64 (no cancellation) is within 2 output ulps;
//   - random signed data is within a relative tolerance scaled by k (float32 and float64: their own
//     accumulator's rounding; half types: one output rounding either way).
// Every float dtype; sizes 1, 7, 33, 129, 257; transposed, sliced and broadcast operands; 3-d and 4-d
// batches; beta = 1 through linear's bias; NaN/inf inputs; float16 overflow to inf.

const FLOATS = ['float32', 'float16', 'bfloat16', 'float64'];

function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const exactValues = (n, seed) => {
  const r = seeded(seed);
  return Array.from({ length: n }, () => Math.floor(r() * 17 - 8) / 8);
};
const positiveValues = (n, seed) => {
  const r = seeded(seed);
  return Array.from({ length: n }, () => 0.25 + r());
};
const signedValues = (n, seed) => {
  const r = seeded(seed);
  return Array.from({ length: n }, () => r() * 4 - 2);
};

function signedTol(dtype, k) {
  if (dtype === 'float64') return 'rtol:1e-12';
  if (dtype === 'float32') return `rtol:${Math.max(2e-5, k * 1e-6)}`;
  return dtype === 'float16' ? 'rtol:2e-3' : 'rtol:1.6e-2';
}

/**
 * @param mt the package
 * @param check0 runParity's check(name, mode, build(device))
 * @param device the device compared with the cpu; on a GPU every case runs twice, the second time with
 *   MANTISSA_CUBLASLT=0 (our own kernels; the variable is read at every product)
 */
export function matmulChecks(mt, check0, device = 'cuda') {
  const own = (build) => (d) => {
    if (d === 'cpu') return build(d);
    const saved = process.env.MANTISSA_CUBLASLT;
    process.env.MANTISSA_CUBLASLT = '0';
    try {
      return build(d);
    } finally {
      if (saved === undefined) delete process.env.MANTISSA_CUBLASLT;
      else process.env.MANTISSA_CUBLASLT = saved;
    }
  };
  const check = (name, mode, build) => {
    check0(name, mode, build);
    if (device !== 'cpu') check0(`${name} [own kernels]`, mode, own(build));
  };
  const make = (values, shape, dtype, d) =>
    mt.tensor(values, { dtype: 'float64', shape }).to({ dtype, device: d });
  const numel = (shape) => shape.reduce((a, b) => a * b, 1);
  const fill = (kind, shape, seed) =>
    kind === 'exact'
      ? exactValues(numel(shape), seed)
      : kind === 'positive'
        ? positiveValues(numel(shape), seed)
        : signedValues(numel(shape), seed);

  for (const dtype of FLOATS) {
    // Plain 2-d products over odd sizes, three kinds of data.
    const sizes = [
      [1, 1, 1],
      [1, 7, 1],
      [7, 1, 33],
      [33, 7, 1],
      [7, 33, 129],
      [129, 33, 7],
      [33, 64, 33],
      [64, 257, 33],
      [129, 257, 257],
      [257, 129, 129],
    ];
    for (const [m, k, n] of sizes) {
      for (const kind of ['exact', 'positive', 'signed']) {
        if (kind === 'positive' && k > 64) continue;
        const half = dtype === 'float16' || dtype === 'bfloat16';
        const mode =
          kind === 'exact' ? 'values' : kind === 'positive' && half ? 'ulps:2' : signedTol(dtype, k);
        check(`matmul ${dtype} ${m}x${k}x${n} ${kind}`, mode, (d) => {
          const a = make(fill(kind, [m, k], m * 31 + k), [m, k], dtype, d);
          const b = make(fill(kind, [k, n], k * 17 + n), [k, n], dtype, d);
          const y = mt.matmul(a, b);
          a.dispose();
          b.dispose();
          return y;
        });
      }
    }

    // Transposed views (unit row stride) and slices (rows longer than the matrix, columns with stride 2).
    for (const [m, k, n] of [
      [7, 33, 129],
      [65, 47, 33],
    ]) {
      for (const [ta, tb] of [
        [true, false],
        [false, true],
        [true, true],
      ]) {
        check(`matmul ${dtype} ${m}x${k}x${n} transposed ${ta ? 'a' : ''}${tb ? 'b' : ''}`, 'values', (d) => {
          const a0 = make(exactValues(m * k, 3), ta ? [k, m] : [m, k], dtype, d);
          const b0 = make(exactValues(k * n, 5), tb ? [n, k] : [k, n], dtype, d);
          const a = ta ? a0.transpose(0, 1) : a0;
          const b = tb ? b0.transpose(0, 1) : b0;
          const y = mt.matmul(a, b);
          for (const t of new Set([a, b, a0, b0])) t.dispose();
          return y;
        });
      }
      check(`matmul ${dtype} ${m}x${k}x${n} sliced`, 'values', (d) => {
        const a0 = make(exactValues(m * (k + 5), 7), [m, k + 5], dtype, d);
        const b0 = make(exactValues(2 * k * n, 11), [k, 2 * n], dtype, d);
        const a = a0.narrow(1, 3, k);
        const b = b0.slice(1, 0, 2 * n, 2);
        const y = mt.matmul(a, b);
        for (const t of [a, b, a0, b0]) t.dispose();
        return y;
      });
      check(`matmul ${dtype} ${m}x${k}x${n} b^T a^T`, 'values', (d) => {
        // (b^T a^T)^T: both operands column-major, the result compared through its transpose.
        const a = make(exactValues(m * k, 13), [m, k], dtype, d);
        const b = make(exactValues(k * n, 17), [k, n], dtype, d);
        const bt = b.transpose(0, 1);
        const at = a.transpose(0, 1);
        const y = mt.matmul(bt, at);
        const back = y.transpose(0, 1).contiguous();
        for (const t of [a, b, at, bt, y]) t.dispose();
        return back;
      });
    }

    // Batches: 3-d, 4-d, a broadcast operand, a permuted (not uniformly strided) batch.
    check(`matmul ${dtype} batched 3-d`, 'values', (d) => {
      const a = make(exactValues(5 * 33 * 17, 19), [5, 33, 17], dtype, d);
      const b = make(exactValues(5 * 17 * 9, 23), [5, 17, 9], dtype, d);
      const y = mt.matmul(a, b);
      a.dispose();
      b.dispose();
      return y;
    });
    check(`matmul ${dtype} batched 4-d`, 'values', (d) => {
      const a = make(exactValues(2 * 3 * 7 * 65, 29), [2, 3, 7, 65], dtype, d);
      const b = make(exactValues(2 * 3 * 65 * 33, 31), [2, 3, 65, 33], dtype, d);
      const y = mt.matmul(a, b);
      a.dispose();
      b.dispose();
      return y;
    });
    check(`matmul ${dtype} broadcast batch`, 'values', (d) => {
      const a = make(exactValues(4 * 3 * 7 * 9, 37), [4, 3, 7, 9], dtype, d);
      const b = make(exactValues(9 * 5, 41), [9, 5], dtype, d);
      const y = mt.matmul(a, b);
      a.dispose();
      b.dispose();
      return y;
    });
    check(`matmul ${dtype} permuted batch`, 'values', (d) => {
      const a0 = make(exactValues(3 * 4 * 7 * 9, 43), [4, 3, 7, 9], dtype, d);
      const b0 = make(exactValues(4 * 3 * 9 * 6, 47), [3, 4, 9, 6], dtype, d);
      const a = a0.permute([1, 0, 2, 3]);
      const b = b0.transpose(2, 3).contiguous().transpose(2, 3);
      const y = mt.matmul(a, b);
      for (const t of [a, b, a0, b0]) t.dispose();
      return y;
    });
    check(`bmm ${dtype} 1x1`, 'values', (d) => {
      const a = make([1.5, -2], [2, 1, 1], dtype, d);
      const b = make([3, 0.25], [2, 1, 1], dtype, d);
      const y = mt.bmm(a, b);
      a.dispose();
      b.dispose();
      return y;
    });

    // beta = 1: linear adds the product to its broadcast bias, rounded once.
    check(`linear ${dtype} with bias`, 'values', (d) => {
      const x = make(exactValues(9 * 33, 53), [9, 33], dtype, d);
      const w = make(exactValues(17 * 33, 59), [17, 33], dtype, d);
      const bias = make(exactValues(17, 61), [17], dtype, d);
      const y = mt.linear(x, w, bias);
      for (const t of [x, w, bias]) t.dispose();
      return y;
    });

    // NaN and inf in the inputs; k = 0 gives zeros.
    check(`matmul ${dtype} NaN and inf`, 'values', (d) => {
      const av = exactValues(6 * 5, 67);
      av[0] = Number.NaN;
      av[7] = Number.POSITIVE_INFINITY;
      av[13] = Number.NEGATIVE_INFINITY;
      const bv = exactValues(5 * 4, 71);
      bv[19] = Number.POSITIVE_INFINITY;
      const a = make(av, [6, 5], dtype, d);
      const b = make(bv, [5, 4], dtype, d);
      const y = mt.matmul(a, b);
      a.dispose();
      b.dispose();
      return y;
    });
    check(`matmul ${dtype} k = 0`, 'bits', (d) => {
      const a = mt.zeros([3, 0], { dtype, device: d });
      const b = mt.zeros([0, 4], { dtype, device: d });
      const y = mt.matmul(a, b);
      a.dispose();
      b.dispose();
      return y;
    });
  }

  // float16 overflow: 200 * 200 * 4 = 160000 > 65504 rounds to inf (exact in the float32 accumulator).
  check('matmul float16 overflow to inf', 'bits', (d) => {
    const a = make([200, 200, 200, 200, -200, -200, -200, -200, 100, 100, 10, 10], [3, 4], 'float16', d);
    const b = make([200, 200, 200, 200], [4, 1], 'float16', d);
    const y = mt.matmul(a, b);
    a.dispose();
    b.dispose();
    return y;
  });
  // float16 results at the top of the range: 65504 exactly, 65519 (rounds down to 65504) and the tie 65520
  // (rounds to even: inf).
  check('matmul float16 rounding at the top', 'bits', (d) => {
    const a = make([32752, 0, 32752, 15, 32752, 16], [3, 2], 'float16', d);
    const b = make([2, 1], [2, 1], 'float16', d);
    const y = mt.matmul(a, b);
    a.dispose();
    b.dispose();
    return y;
  });

  // The path taken: cuBLASLt whenever it is loaded (a contiguous float16 product always suits it), our
  // tensor-core kernel with MANTISSA_CUBLASLT=0. An emulated device runs the CPU kernels: no GEMM path.
  if (device !== 'cpu' && !mt.backendInfo().cuda.emulated) {
    const pathOf = (d, build) => {
      const y = build(d);
      if (d !== 'cpu') {
        const info = mt.backendInfo().cuda;
        const want =
          process.env.MANTISSA_CUBLASLT !== '0' && info.blas?.startsWith('/') ? 'cublaslt' : 'wmma';
        if (info.gemmPath !== want) {
          y.dispose();
          throw new Error(`gemm path ${info.gemmPath}, expected ${want} (cuBLASLt: ${info.blas})`);
        }
      }
      return y;
    };
    const product = (d) => {
      const a = make(exactValues(64 * 64, 73), [64, 64], 'float16', d);
      const y = mt.matmul(a, a);
      a.dispose();
      return y;
    };
    check0('matmul path', 'values', (d) => pathOf(d, product));
    check0(
      'matmul path [own kernels]',
      'values',
      own((d) => pathOf(d, product)),
    );
  }
}
