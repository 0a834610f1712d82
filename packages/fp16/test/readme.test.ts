import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';

// The README's first example runs as written (against this package's source instead of its build).
it('the README example runs and prints what its comment says', async () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/
    .exec(readme)![1]!
    .replaceAll("from '@mantissa/fp16'", "from '../src/index'");
  const file = join(__dirname, `.readme-example-${process.pid}.ts`);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  writeFileSync(file, code);
  try {
    await import(file);
    expect(log.mock.calls[0]).toEqual(['float16', 65536, 0]);
  } finally {
    rmSync(file, { force: true });
    log.mockRestore();
  }
});
