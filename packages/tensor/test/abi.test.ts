import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendInfo, DTYPES } from '../src/index';
import { native } from '../src/native';

const kernels = join(__dirname, '..', '..', '..', 'kernels');

describe('the kernel ABI', () => {
  it('dtype codes in dtype.ts match kernels/include/mantissa/abi.h', () => {
    const header = readFileSync(join(kernels, 'include', 'mantissa', 'abi.h'), 'utf8');
    const codes = Object.fromEntries(
      [...header.matchAll(/MT_(FLOAT32|FLOAT16|BFLOAT16|FLOAT64|INT32|BOOL) = (\d+)/g)].map((m) => [
        m[1]!.toLowerCase(),
        Number(m[2]),
      ]),
    );
    expect(Object.fromEntries(Object.entries(DTYPES).map(([k, v]) => [k, v.code]))).toEqual(codes);
  });

  it('the native registry holds exactly the kernels of ops.def, in order, with their arity', () => {
    const def = readFileSync(join(kernels, 'ops.def'), 'utf8');
    const listed = [...def.matchAll(/^MT_KERNEL\((\w+), (-?\d+)\)/gm)].map((m) => ({
      name: m[1],
      arity: Number(m[2]),
    }));
    expect(native.kernels()).toEqual(listed);
  });

  it('reports the ISA chosen at load time and the thread count', () => {
    const info = backendInfo();
    expect(['scalar', 'avx2', 'avx512', 'avx512bf16']).toContain(info.isa);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    if (!info.cuda.compiled) expect(info.cuda.reason).toMatch(/without CUDA/);
  });
});
