import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';

// The README's example runs as written (against this package's source instead of its build).
it('the README example runs, prints the table and what its comments say', async () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/
    .exec(readme)![1]!
    .replaceAll("from '@mantissa/learner'", "from '../src/index'");
  const file = join(__dirname, `.readme-example-${process.pid}.ts`);
  const printed: unknown[] = [];
  const table: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((v: unknown) => printed.push(v));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((line) => table.push(String(line)) > 0);
  writeFileSync(file, code);
  try {
    await import(file);
  } finally {
    rmSync(file, { force: true });
    log.mockRestore();
    write.mockRestore();
  }
  expect(table[0]).toBe('epoch     train_loss  valid_loss  accuracy  time    \n');
  expect(table.slice(1).map((l) => l.slice(0, 2))).toEqual(['0 ', '1 ', '2 ']);
  expect(printed).toEqual([true, 2]);
});
