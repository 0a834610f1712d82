// matmul / bmm / linear against PyTorch, and the GEMM's numerics bit for bit: every float32 /
// float16 / bfloat16 product is one float32 FMA chain over k per element, rounded once (vdpbf16ps
// pairs on avx512_bf16), whatever the size, strides, blocking or thread count.
import { afterAll, describe, expect, it } from 'vitest';
import {
  ArgumentError,
  BroadcastError,
  backendInfo,
  bmm,
  type DType,
  DTypeError,
  linear,
  matmul,
  ShapeError,
  setNumThreads,
  Tensor,
  tensor,
  tidy,
  zeros,
} from '../src/index';
import { matmulInto } from '../src/ops/matmul';
import { type FixtureTensor, fromFixture, loadFixture } from './helpers/fixtures';
import { prng } from './helpers/isa';
import {
  chainProduct,
  dotBf16Product,
  expectBits,
  expectWithinAccumulation,
  fmaf,
  type Mat,
  matOf,
  rounded,
  ulpOf,
} from './helpers/matmul';

interface Case {
  op: 'matmul' | 'bmm' | 'linear';
  a: FixtureTensor;
  b: FixtureTensor;
  bias?: FixtureTensor;
  views: { a?: 'T' | 'step2'; b?: 'T' | 'step2' };
  expected: FixtureTensor;
}

const fixture = loadFixture<Case>('matmul');
const dotBf16 = backendInfo().isa === 'avx512bf16';
const initialThreads = backendInfo().threads;
afterAll(() => setNumThreads(initialThreads));

function viewed(t: Tensor, view: 'T' | 'step2' | undefined): Tensor {
  if (view === 'T') return t.transpose(-2, -1);
  if (view === 'step2') return t.slice(-1, 0, undefined, 2);
  return t;
}

const doubles = (t: Tensor): Float64Array => tidy(() => t.double().data() as Float64Array);

function label(c: Case): string {
  const v = Object.entries(c.views)
    .map(([k, x]) => `${k}.${x}`)
    .join(',');
  return `${c.op} ${c.a.dtype}${JSON.stringify(c.a.shape)} x ${c.b.dtype}${JSON.stringify(c.b.shape)}${v ? ` (${v})` : ''}${c.bias ? ' +bias' : ''}`;
}

describe('PyTorch fixtures', () => {
  it('has the cases', () => expect(fixture.cases.length).toBeGreaterThan(90));
  it.each(fixture.cases.map((c) => [label(c), c] as const))('%s', (_, c) => {
    tidy(() => {
      const a = viewed(fromFixture(c.a), c.views.a);
      const b = viewed(fromFixture(c.b), c.views.b);
      const bias = c.bias ? fromFixture(c.bias) : undefined;
      const got = c.op === 'bmm' ? bmm(a, b) : c.op === 'linear' ? linear(a, b, bias) : matmul(a, b);
      expect(got.shape).toEqual(c.expected.shape);
      expect(got.dtype).toBe(c.expected.dtype);
      // |a| |b| (+ |bias|), in float64, bounds the accumulation error.
      const [aa, bb] = [a.double().abs(), b.double().abs()];
      const absProduct =
        c.op === 'linear'
          ? linear(aa, bb, bias?.double().abs())
          : c.op === 'bmm'
            ? bmm(aa, bb)
            : matmul(aa, bb);
      const k = c.op === 'linear' ? b.shape[1]! : a.shape.at(-1)!;
      expectWithinAccumulation(
        doubles(got),
        doubles(fromFixture(c.expected)),
        doubles(absProduct),
        k,
        ulpOf(got.dtype),
        label(c),
      );
    });
  });
});

/** A [rows, cols] tensor of normal values of `dtype` (a deterministic sequence). */
function randomMatrix(rows: number, cols: number, dtype: DType, seed: number): Tensor {
  const rand = prng(seed);
  const v = Float32Array.from({ length: rows * cols }, () => (rand() - 0.5) * 4);
  return tidy(() => tensor(v, { shape: [rows, cols] }).to(dtype));
}

function reference(a: Mat, b: Mat, dtype: DType): Float32Array | Uint16Array {
  const acc = dtype === 'bfloat16' && dotBf16 ? dotBf16Product(a, b) : chainProduct(a, b);
  return rounded(acc, dtype as 'float32');
}

// Crossing the cache blocks of every ISA: MC (112 / 72 / 128 rows), KC (1024 float32 and 2048 bfloat16
// pairs on AVX-512, 1024 on AVX2, 256 scalar), NC (1024 columns), the row cap of workspace tasks
// (float16/bfloat16 tasks stop at ~1024 rows when K spans several blocks), and the micro-tile edges.
const BLOCK_SHAPES: [number, number, number][] = [
  [300, 70, 40],
  [20, 300, 33],
  [5, 7, 1100],
  [1100, 2100, 2],
];

describe('the float32 chain, bit for bit', () => {
  for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
    it.each(BLOCK_SHAPES)(`${dtype} %i x %i x %i`, (m, k, n) => {
      tidy(() => {
        const a = randomMatrix(m, k, dtype, m * 7 + k);
        const b = randomMatrix(k, n, dtype, n * 13 + k);
        const want = reference(matOf(a), matOf(b), dtype);
        expectBits(matmul(a, b), want, `${dtype} ${m}x${k}x${n}`);
        // The same product from transposed storage (packing through strides) and into a strided output.
        const at = a.T.contiguous().T;
        const bt = b.T.contiguous().T;
        expectBits(matmul(at, bt), want, `${dtype} ${m}x${k}x${n} transposed operands`);
        const outT = zeros([n, m], { dtype }).T;
        matmulInto(outT, at, b);
        expectBits(outT.contiguous(), want, `${dtype} ${m}x${k}x${n} transposed output`);
      });
    });
  }

  it('alpha and beta: out = alpha * (a b) + beta * out, rounded once', () => {
    tidy(() => {
      for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
        const a = randomMatrix(19, 300, dtype, 1);
        const b = randomMatrix(300, 37, dtype, 2);
        const c0 = randomMatrix(19, 37, dtype, 3);
        const out = c0.clone();
        matmulInto(out, a, b, 2, 0.5);
        const acc =
          dtype === 'bfloat16' && dotBf16
            ? dotBf16Product(matOf(a), matOf(b))
            : chainProduct(matOf(a), matOf(b));
        const c = matOf(c0).v;
        const want = acc.map((x, i) => fmaf(0.5, c[i]!, Math.fround(2 * x)));
        expectBits(out, rounded(want, dtype), `${dtype} alpha 2 beta 0.5`);
      }
    });
  });
});

describe('special values', () => {
  it('propagate inf and NaN, overflow half outputs to inf, and start sums at +0', () => {
    tidy(() => {
      const a = tensor([
        [Infinity, 1, 0],
        [Number.NaN, 1, 1],
        [-0, -0, 1],
        [60000, 60000, 0],
        [-Infinity, 0, 0],
        [1e-7, 3e-8, 0],
      ]);
      const b = tensor([
        [1, 0, -0],
        [2, 1, 0],
        [0, -1, 0],
      ]);
      for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
        const [ad, bd] = [a.to(dtype), b.to(dtype)];
        expectBits(matmul(ad, bd), reference(matOf(ad), matOf(bd), dtype), `${dtype} specials`);
      }
      // [-0] · [1] is +0 (the accumulator starts at +0, as in BLAS); inf · 0 is NaN.
      expect(Object.is(matmul(tensor([[-0]]), tensor([[1]])).item(), 0)).toBe(true);
      expect(matmul(tensor([[Infinity]]), tensor([[0]])).item()).toBeNaN();
    });
  });
});

describe('threads', () => {
  it('give the same bits at 1, 2 and 3 threads', () => {
    const run = () =>
      tidy(() =>
        (['float32', 'float16', 'bfloat16'] as const).map((dtype) => {
          const a = randomMatrix(131, 300, dtype, 5).reshape([1, 131, 300]).expand([3, 131, 300]);
          const b = randomMatrix(300, 97, dtype, 6);
          const c = randomMatrix(7, 300, dtype, 7);
          return [matmul(a, b), matmul(c, b), linear(c, b.T)].map((t) =>
            Array.from(t.dtype === 'float32' ? t.data() : t.bits()),
          );
        }),
      );
    setNumThreads(1);
    const one = run();
    setNumThreads(2);
    const two = run();
    setNumThreads(3);
    const three = run();
    setNumThreads(initialThreads);
    expect(two).toEqual(one);
    expect(three).toEqual(one);
  });
});

describe('bfloat16 subnormals', () => {
  it(dotBf16 ? 'are read as zero by vdpbf16ps (avx512_bf16)' : 'are exact on this instruction set', () => {
    tidy(() => {
      // 0x0001 is the smallest bfloat16 subnormal (2^-133); times 2^100 it is 2^-33 in float32.
      const a = Tensor.fromBits(new Uint16Array([0x0001, 0x0000]), 'bfloat16', [1, 2]);
      const b = tensor([[2 ** 100], [1]]).bfloat16();
      const got = matmul(a, b).float().item();
      expect(got).toBe(dotBf16 ? 0 : 2 ** -33);
    });
  });
});

describe('shapes and errors', () => {
  it('dot, vector-matrix and empty products', () => {
    tidy(() => {
      expect(matmul(tensor([1, 2, 3]), tensor([4, 5, 6])).toArray()).toBe(32);
      expect(
        matmul(
          tensor([1, 2]),
          tensor([
            [1, 2, 3],
            [4, 5, 6],
          ]),
        ).toArray(),
      ).toEqual([9, 12, 15]);
      expect(matmul(zeros([2, 0]), zeros([0, 3])).toArray()).toEqual([
        [0, 0, 0],
        [0, 0, 0],
      ]);
      expect(matmul(zeros([0, 4]), zeros([4, 3])).shape).toEqual([0, 3]);
      expect(matmul(zeros([2, 0, 4]), zeros([4, 3])).shape).toEqual([2, 0, 3]);
      expect(
        tensor([
          [1, 2],
          [3, 4],
        ])
          .matmul(tensor([[1], [1]]))
          .toArray(),
      ).toEqual([[3], [7]]);
    });
  });

  it('names both shapes on an inner-dimension mismatch', () => {
    tidy(() => {
      const e = ((): Error | undefined => {
        try {
          matmul(zeros([2, 3]), zeros([4, 5]));
        } catch (err) {
          return err as Error;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(ShapeError);
      expect(e!.message).toContain('[2, 3]');
      expect(e!.message).toContain('[4, 5]');
      expect(() => matmul(zeros([3]), zeros([4]))).toThrow(ShapeError);
      expect(() => matmul(zeros([2, 3]), zeros([2]))).toThrow(ShapeError);
      expect(() => matmul(zeros([2, 2, 3]), zeros([3, 3, 4]))).toThrow(BroadcastError);
      expect(() => matmul(tensor(1), zeros([2]))).toThrow(ArgumentError);
      expect(() => bmm(zeros([2, 3]), zeros([3, 2]))).toThrow(ShapeError);
      expect(() => bmm(zeros([2, 2, 3]), zeros([3, 3, 2]))).toThrow(ShapeError);
      expect(() => bmm(zeros([2, 2, 3]), zeros([2, 2, 2]))).toThrow(/\[2, 2, 3\].*\[2, 2, 2\]/);
      expect(() => linear(zeros([2, 3]), zeros([4, 5]))).toThrow(ShapeError);
      expect(() => linear(zeros([2, 3]), zeros([4, 3]), zeros([3]))).toThrow(ShapeError);
      expect(() => matmul(zeros([2, 2]), 3 as unknown as Tensor)).toThrow(ArgumentError);
      expect(() => matmulInto(zeros([2, 3]), zeros([2, 2]), zeros([2, 2]))).toThrow(ShapeError);
      expect(() => matmulInto(zeros([2, 2]).half(), zeros([2, 2]), zeros([2, 2]))).toThrow(DTypeError);
    });
  });

  it('refuses integer and bool operands', () => {
    tidy(() => {
      expect(() => matmul(zeros([2, 2], { dtype: 'int32' }), zeros([2, 2], { dtype: 'int32' }))).toThrow(
        DTypeError,
      );
      expect(() => matmul(zeros([2, 2], { dtype: 'bool' }), zeros([2, 2], { dtype: 'bool' }))).toThrow(
        DTypeError,
      );
      // int32 with float32 promotes to float32, as the binary ops do
      expect(matmul(tensor([[1, 2]], { dtype: 'int32' }), tensor([[3], [4]])).toArray()).toEqual([[11]]);
    });
  });

  it('leaves no view or temporary behind', () => {
    tidy(() => {
      const x = tensor([[1, 2, 3]]);
      const w = tensor([
        [1, 0, 0],
        [0, 1, 0],
      ]);
      const v = tensor([1, 2, 3]);
      const refs = () => [x.storage.refs, w.storage.refs, v.storage.refs];
      const before = refs();
      linear(x, w, tensor([1, 1])).dispose();
      linear(v, w).dispose();
      matmul(v, v).dispose();
      matmul(w, v).dispose();
      expect(refs()).toEqual(before);
    });
  });
});

it('runs on the instruction set it was asked for', () => {
  if (process.env.MANTISSA_ISA !== undefined) expect(backendInfo().isa).toBe(process.env.MANTISSA_ISA);
});
