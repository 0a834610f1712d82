import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';

// The README's example runs as written (against this package's source instead of its build).
it('the README example runs and prints what its comments say', async () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/
    .exec(readme)![1]!
    .replaceAll("from '@mantissa/nn'", "from '../src/index'");
  const file = join(__dirname, `.readme-example-${process.pid}.ts`);
  const printed: unknown[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((v: unknown) => printed.push(v));
  writeFileSync(file, code);
  try {
    await import(file);
  } finally {
    rmSync(file, { force: true });
    log.mockRestore();
  }
  expect(printed[0]).toBe(3058);
  expect(printed[1]).toEqual(['0.0.weight', '0.0.bias', '1.0.weight', '1.0.bias', '2.0.weight', '2.0.bias']);
  expect(printed[2]).toEqual(['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']);
  expect(printed[3]).toBe('float16');
});
