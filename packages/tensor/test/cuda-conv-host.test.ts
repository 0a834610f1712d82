// The CUDA conv2d path without a GPU: test/cuda/conv-host.cu runs the device drivers of
// kernels/cuda/conv2d_im2col.cuh on the host (each launch a loop over the same __host__ __device__
// functor, the GEMM a plain loop) and prints conv2d, its input gradient and its weight gradient; they
// must equal the CPU kernels' results. The inputs are small integers, so that every sum is exact in
// float32 whatever its order and each output's one rounding is the same on both sides: any index
// error shows as a mismatch, in every dtype. Workspace budgets from one image a chunk to the whole
// batch exercise the chunking; permuted views exercise the strides; each case runs with the int32 and
// the int64 index math of the element kernels. Skipped where nvcc is absent.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  type DType,
  type Tensor,
  tensor,
  tidy,
} from '../src/index';
import { nvcc } from './helpers/host-nvcc';

type Perm = [number, number, number, number];
const ID: Perm = [0, 1, 2, 3];
const NHWC: Perm = [0, 2, 3, 1];
const SPATIAL_T: Perm = [0, 1, 3, 2];

interface Geo {
  name: string;
  n: number;
  c: number;
  h: number;
  w: number;
  co: number;
  kh: number;
  kw: number;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
  bias: boolean;
  xPerm: Perm;
  wPerm: Perm;
  gyPerm: Perm;
}

const geo = (
  name: string,
  [n, c, h, w]: number[],
  [co, kh, kw]: number[],
  stride: [number, number],
  padding: [number, number],
  dilation: [number, number],
  groups: number,
  bias: boolean,
  xPerm: Perm = ID,
  wPerm: Perm = ID,
  gyPerm: Perm = ID,
): Geo => ({
  name,
  n: n!,
  c: c!,
  h: h!,
  w: w!,
  co: co!,
  kh: kh!,
  kw: kw!,
  stride,
  padding,
  dilation,
  groups,
  bias,
  xPerm,
  wPerm,
  gyPerm,
});

const GEOMETRIES: Geo[] = [
  geo('3x3 pad 1', [3, 4, 7, 9], [6, 3, 3], [1, 1], [1, 1], [1, 1], 1, true),
  geo(
    '3x2 stride 2x3 dilated groups 2, nhwc x, transposed gy',
    [2, 6, 11, 8],
    [4, 3, 2],
    [2, 3],
    [1, 2],
    [1, 2],
    2,
    true,
    NHWC,
    ID,
    SPATIAL_T,
  ),
  geo(
    '1x1 nhwc x (read in place), strided weight',
    [3, 4, 5, 6],
    [8, 1, 1],
    [1, 1],
    [0, 0],
    [1, 1],
    1,
    true,
    NHWC,
    [1, 0, 2, 3],
  ),
  geo('1x1 transposed x (im2col)', [3, 4, 5, 6], [8, 1, 1], [1, 1], [0, 0], [1, 1], 1, false, SPATIAL_T),
  geo(
    '5x3 stride 3 dilation 2 depthwise',
    [2, 3, 10, 7],
    [3, 5, 3],
    [3, 3],
    [2, 2],
    [2, 2],
    3,
    true,
    [1, 0, 2, 3],
  ),
  geo('1x1 stride 2', [1, 2, 4, 4], [2, 1, 1], [2, 2], [0, 0], [1, 1], 1, false),
  geo(
    '3x3 groups 4 dilation 2x1, channels-last weight',
    [4, 8, 6, 5],
    [8, 3, 3],
    [1, 1],
    [1, 1],
    [2, 1],
    4,
    true,
    ID,
    NHWC,
    SPATIAL_T,
  ),
  geo('kernel = input (one position)', [2, 3, 5, 5], [4, 5, 5], [1, 1], [0, 0], [1, 1], 1, true),
  geo('non-square 2x4 stride 1x2 pad 0x3', [2, 2, 3, 10], [3, 2, 4], [1, 2], [0, 3], [1, 1], 1, true),
  geo('empty batch', [0, 2, 4, 4], [3, 3, 3], [1, 1], [1, 1], [1, 1], 1, true),
  geo('no input channels', [2, 0, 4, 4], [3, 3, 3], [1, 1], [1, 1], [1, 1], 1, true),
  geo('no output channels', [2, 2, 4, 4], [0, 3, 3], [1, 1], [1, 1], [1, 1], 1, false),
];
const DTYPES: DType[] = ['float64', 'float32', 'float16', 'bfloat16'];
const DTYPE_CODE: Record<string, number> = { float64: 0, float32: 1, float16: 2, bfloat16: 3 };
// One image a chunk, a few, the whole batch.
const BUDGETS = [1, 6000, 12000, 25000, 2 ** 40];

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ints = (count: number, r: () => number) => Array.from({ length: count }, () => Math.floor(r() * 5) - 2);

interface Inputs {
  x: number[];
  w: number[];
  b: number[];
  gy: number[];
  oh: number;
  ow: number;
}

function inputs(g: Geo, seed: number): Inputs {
  const r = seeded(seed);
  const eh = (g.kh - 1) * g.dilation[0] + 1;
  const ew = (g.kw - 1) * g.dilation[1] + 1;
  const oh = Math.floor((g.h + 2 * g.padding[0] - eh) / g.stride[0]) + 1;
  const ow = Math.floor((g.w + 2 * g.padding[1] - ew) / g.stride[1]) + 1;
  return {
    x: ints(g.n * g.c * g.h * g.w, r),
    w: ints((g.co * g.c * g.kh * g.kw) / g.groups, r),
    b: g.bias ? ints(g.co, r) : [],
    gy: ints(g.n * g.co * oh * ow, r),
    oh,
    ow,
  };
}

// `values` in storage order (storage axis j is logical axis perm[j]), seen as the logical tensor. The
// random values are generated in storage order: the host program reads the same storage.
function viewOf(values: number[], logical: number[], perm: Perm, dtype: DType): Tensor {
  const storageShape = perm.map((d) => logical[d]!);
  const inverse = [0, 1, 2, 3].map((d) => perm.indexOf(d));
  return tensor(values, { dtype: 'float64', shape: storageShape }).to(dtype).permute(inverse);
}

function cpuResults(g: Geo, dtype: DType, v: Inputs): number[][] {
  return tidy(() => {
    const x = viewOf(v.x, [g.n, g.c, g.h, g.w], g.xPerm, dtype);
    const wShape = [g.co, g.c / g.groups, g.kh, g.kw];
    const w = viewOf(v.w, wShape, g.wPerm, dtype);
    const gy = viewOf(v.gy, [g.n, g.co, v.oh, v.ow], g.gyPerm, dtype);
    const b = g.bias ? tensor(v.b, { dtype: 'float64' }).to(dtype) : null;
    const opts = { stride: g.stride, padding: g.padding, dilation: g.dilation, groups: g.groups };
    const y = conv2d(x, w, b, opts);
    const dx = conv2dBackwardInput(gy, w, x.shape, opts);
    const dw = conv2dBackwardWeight(gy, x, wShape, opts);
    return [y, dx, dw].map((t) => Array.from(t.to('float64').data() as Float64Array));
  });
}

function compile(exe: string) {
  const args = [
    '-std=c++17',
    '-O1',
    '--fmad=false',
    `-I${join(__dirname, '..', '..', '..', 'kernels', 'include')}`,
    join(__dirname, 'cuda', 'conv-host.cu'),
    '-o',
    exe,
  ];
  // AddressSanitizer and UBSan turn an out-of-bounds access or an overflow of the index math into a
  // failed run; a host toolchain without them still checks the values.
  const sanitize = ['address', 'undefined', 'no-sanitize-recover=all'].flatMap((s) => [
    '-Xcompiler',
    s.startsWith('no-') ? `-f${s}` : `-fsanitize=${s}`,
  ]);
  const checked = spawnSync(nvcc!, [...sanitize, ...args], { encoding: 'utf8' });
  return checked.status === 0 ? checked : spawnSync(nvcc!, args, { encoding: 'utf8' });
}

describe.skipIf(nvcc === null)('the CUDA conv2d drivers, run on the host', () => {
  it('equal the CPU kernels for every geometry, dtype and chunking', () => {
    const exe = join(mkdtempSync(join(tmpdir(), 'mt-cuda-conv-')), 'conv-host');
    const cc = compile(exe);
    expect(cc.status, cc.stderr).toBe(0);
    const lines: string[] = [];
    const expected: { label: string; results: number[][] }[] = [];
    let count = 0;
    for (const [gi, g] of GEOMETRIES.entries()) {
      const v = inputs(g, 1000 + gi);
      for (const dtype of DTYPES) {
        const results = cpuResults(g, dtype, v);
        for (const budget of BUDGETS) {
          count++;
          const header = [
            DTYPE_CODE[dtype],
            budget,
            g.n,
            g.c,
            g.h,
            g.w,
            g.co,
            g.kh,
            g.kw,
            ...g.stride,
            ...g.padding,
            ...g.dilation,
            g.groups,
            g.bias ? 1 : 0,
            ...g.xPerm,
            ...g.wPerm,
            ...g.gyPerm,
          ];
          lines.push(header.join(' '), v.x.join(' '), v.w.join(' '), v.b.join(' '), v.gy.join(' '));
          expected.push({ label: `${g.name} ${dtype} budget ${budget}`, results });
        }
      }
    }
    const run = spawnSync(exe, {
      input: `${count}\n${lines.join('\n')}\n`,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    expect(run.status, run.stderr).toBe(0);
    const out = run.stdout.trim().split('\n');
    expect(out.at(-1)).toBe('done');
    expect(out.length).toBe(6 * count + 1);
    for (const [k, { label, results }] of expected.entries()) {
      for (const [j, name] of ['y', 'dx', 'dw', 'y', 'dx', 'dw'].entries()) {
        const [tag, ...nums] = out[6 * k + j]!.split(' ');
        expect(tag, label).toBe(name);
        const got = nums.map(Number);
        const want = results[j % 3]!;
        const what = `${label} ${name} ${j < 3 ? 'int32' : 'int64'} index math`;
        expect(got.length, what).toBe(want.length);
        const bad = want.findIndex((x, i) => !(x === got[i]));
        expect(bad, `${what} [${bad}]: host ${got[bad]}, cpu ${want[bad]}`).toBe(-1);
      }
    }
  }, 120_000);
});
