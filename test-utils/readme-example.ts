import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { vi } from 'vitest';

export interface ReadmeRun {
  /** The arguments of every console.log call, in order. */
  logs: unknown[][];
  /** Everything written to process.stdout (tables, progress). */
  stdout: string;
}

/**
 * Runs a package README's first ```ts example as written, against the package's source instead of its
 * build (`from '<pkg>'` becomes `from '../src/index'`), and returns what it printed. Every package's
 * README example is a test this way, so a README cannot drift from the code.
 */
export async function runReadmeExample(testDir: string, pkg: string): Promise<ReadmeRun> {
  const readme = readFileSync(join(testDir, '..', 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  if (block === null) throw new Error(`${pkg}: README.md has no \`\`\`ts example`);
  const code = block[1]!.replaceAll(`from '${pkg}'`, "from '../src/index'");
  const file = join(testDir, `.readme-example-${process.pid}.ts`);
  const logs: unknown[][] = [];
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...v: unknown[]) => {
    logs.push(v);
  });
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
  return { logs, stdout: out.join('') };
}
