import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const PACKAGE_ROOT = join(__dirname, '..', '..');
const DIST = join(PACKAGE_ROOT, 'dist', 'index.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The built package (dist/index.js), rebuilt with tsup when missing or older than src/, for tests
 * that run the library in a child process (where vitest's TypeScript transform is not available).
 */
export function ensureDist(): string {
  if (!existsSync(DIST) || statSync(DIST).mtimeMs < newestSource(join(PACKAGE_ROOT, 'src'))) {
    execFileSync('npx', ['tsup'], { cwd: PACKAGE_ROOT, stdio: 'pipe' });
  }
  return DIST;
}
