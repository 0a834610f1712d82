import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { parseXml } from './xml';

// The README's example runs as written (against this package's source instead of its build).
it('the README example trains, prints the table and writes the plot', async () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/
    .exec(readme)![1]!
    .replaceAll("from '@mantissa/callbacks'", "from '../src/index'");
  const file = join(__dirname, `.readme-example-${process.pid}.ts`);
  const printed: unknown[][] = [];
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...v: unknown[]) => printed.push(v));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
  writeFileSync(file, code);
  try {
    await import(file);
  } finally {
    rmSync(file, { force: true });
    log.mockRestore();
    write.mockRestore();
  }
  const lines = out.join('').split('\n');
  expect(lines[0]).toBe('epoch     train_loss  valid_loss  accuracy  time    ');
  for (let e = 0; e < 3; e++) {
    expect(lines[e + 1]).toMatch(
      new RegExp(`^${e}         \\d\\.\\d{6}    \\d\\.\\d{6}    \\d\\.\\d{6}  \\d\\d:\\d\\d     $`),
    );
  }
  // it learns: the last epoch's validation loss is below the first one's
  const valid = lines.slice(1, 4).map((l) => Number(l.split(/\s+/)[2]));
  expect(valid[2]!).toBeLessThan(valid[0]!);
  expect(printed[0]).toEqual([24, 0.004, 0.1]);
  expect(parseXml(readFileSync('/tmp/mantissa-losses.svg', 'utf8')).findAll('polyline')).toHaveLength(2);
});
