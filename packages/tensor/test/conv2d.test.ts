// conv2d and its input/weight/bias gradients against PyTorch (float64 of the decoded inputs, rounded
// once). Each element must be within 1 ulp of the dtype (summation order differs), or, where the sum
// cancels to something much smaller than its terms, within the float32 accumulation bound
// K 2^-24 sum |terms| (+ 1 ulp for the rounding of the expected value).
import { describe, expect, it } from 'vitest';
import {
  type Conv2dOptions,
  conv2d,
  conv2dBackwardBias,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  type DType,
  type Tensor,
  tidy,
} from '../src/index';
import { type FixtureTensor, fixtureValues, fromFixture, halfUlps, loadFixture } from './helpers/fixtures';

type View = 'nhwc' | 'wstep2' | 'hstep2' | 'T01';

interface Case {
  name: string;
  dtype: DType;
  options: Required<Conv2dOptions>;
  views: { x?: View; w?: View; gy?: View };
  x: FixtureTensor;
  w: FixtureTensor;
  b?: FixtureTensor;
  gy: FixtureTensor;
  y: FixtureTensor;
  dx: FixtureTensor;
  dw: FixtureTensor;
  db?: FixtureTensor;
}

const fixture = loadFixture<Case>('conv');

function viewed(t: Tensor, view: View | undefined): Tensor {
  switch (view) {
    case 'nhwc':
      return t.permute([0, 3, 1, 2]);
    case 'wstep2':
      return t.slice(3, 0, undefined, 2);
    case 'hstep2':
      return t.slice(2, 0, undefined, 2);
    case 'T01':
      return t.transpose(0, 1);
    default:
      return t;
  }
}

const doubles = (t: Tensor): Float64Array => tidy(() => t.double().data() as Float64Array);

function ulp(v: number, dtype: DType): number {
  const bits = dtype === 'float16' ? 11 : dtype === 'bfloat16' ? 8 : 24;
  const minExp = dtype === 'float16' ? -14 : -126;
  const e = Math.max(Math.floor(Math.log2(Math.abs(v) || 2 ** minExp)), minExp);
  return 2 ** (e - bits + 1);
}

/**
 * Checks `actual` against the fixture: within 1 ulp, or within k 2^-24 `terms` + 1 ulp, where
 * `terms` is the same computation on absolute values (in float64).
 */
function expectClose(actual: Tensor, expected: FixtureTensor, terms: Tensor, k: number, what: string): void {
  expect(actual.dtype, what).toBe(expected.dtype);
  expect(actual.shape, what).toEqual(expected.shape);
  const half = expected.dtype === 'float16' || expected.dtype === 'bfloat16';
  const got = doubles(actual);
  const want = doubles(fromFixture(expected));
  const gotBits = half ? actual.bits() : undefined;
  const wantBits = half ? (fixtureValues(expected) as Uint16Array) : undefined;
  const bound = doubles(terms);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      expect(Object.is(g, w), `${what}[${i}]`).toBe(true);
      continue;
    }
    if (half && halfUlps(gotBits![i]!, wantBits![i]!, expected.dtype as 'float16') <= 1) continue;
    if (!half && Math.abs(g - w) <= ulp(w, 'float32')) continue;
    const limit = k * 2 ** -24 * bound[i]! + ulp(w, expected.dtype);
    if (!(Math.abs(g - w) <= limit)) {
      expect.fail(`${what}: element ${i} is ${g} but PyTorch gives ${w} (${expected.dtype}, limit ${limit})`);
    }
  }
}

function label(c: Case): string {
  const v = Object.entries(c.views)
    .map(([k, x]) => `${k}.${x}`)
    .join(',');
  return `${c.name} ${c.dtype} x${JSON.stringify(c.x.shape)} w${JSON.stringify(c.w.shape)}${v ? ` (${v})` : ''}${c.b ? ' +bias' : ''}`;
}

describe('conv2d vs PyTorch', () => {
  it('has the cases', () => expect(fixture.cases.length).toBeGreaterThan(50));
  it.each(fixture.cases.map((c) => [label(c), c] as const))('%s', (_, c) => {
    tidy(() => {
      const x = viewed(fromFixture(c.x), c.views.x);
      const w = viewed(fromFixture(c.w), c.views.w);
      const gy = viewed(fromFixture(c.gy), c.views.gy);
      const b = c.b ? fromFixture(c.b) : undefined;
      const [co, cg, kh, kw] = w.shape as [number, number, number, number];
      const [n, , oh, ow] = c.y.shape as [number, number, number, number];
      const [ax, aw, agy] = [x.double().abs(), w.double().abs(), gy.double().abs()];
      const ab = b?.double().abs();
      const o = c.options;
      const y = conv2d(x, w, b, o);
      expectClose(y, c.y, conv2d(ax, aw, ab, o), cg * kh * kw + 1, 'y');
      const dx = conv2dBackwardInput(gy, w, x.shape, o);
      expectClose(dx, c.dx, conv2dBackwardInput(agy, aw, x.shape, o), (co / o.groups) * kh * kw, 'dx');
      const dw = conv2dBackwardWeight(gy, x, w.shape, o);
      expectClose(dw, c.dw, conv2dBackwardWeight(agy, ax, w.shape, o), n * oh * ow, 'dw');
      if (c.db) expectClose(conv2dBackwardBias(gy), c.db, conv2dBackwardBias(agy), n * oh * ow, 'db');
    });
  });
});
