// The CUDA parity checks (test/device/parity.mjs) with plain node against the built package (dist/),
// for a machine without vitest or node_modules (scripts/device-check.sh). Writes a JSON report to the
// path in argv[2] and exits 1 when any check fails or no CUDA device is visible.
import { writeFileSync } from 'node:fs';
import * as mt from '../dist/index.js';
import { runMemoryChecks, runParity } from '../test/device/parity.mjs';

const out = process.argv[2] ?? 'cuda-parity.json';
const info = mt.backendInfo();
const report = { date: new Date().toISOString(), node: process.version, info, sections: {} };
let failed = 0;
if (info.cuda.devices === 0) {
  report.error = `no CUDA device: ${info.cuda.reason}`;
  failed = 1;
} else {
  for (const [name, run] of [
    ['parity', runParity],
    ['memory', runMemoryChecks],
  ]) {
    const started = performance.now();
    const results = run(mt, 'cuda');
    const bad = results.filter((r) => !r.ok);
    failed += bad.length;
    report.sections[name] = {
      checks: results.length,
      failed: bad.length,
      seconds: (performance.now() - started) / 1000,
      failures: bad,
      passed: results.filter((r) => r.ok).map((r) => r.name),
    };
    console.log(`${name}: ${results.length - bad.length}/${results.length} passed`);
    for (const r of bad.slice(0, 40)) console.log(`  FAIL ${r.name}: ${r.detail}`);
  }
  report.deviceMemory = mt.deviceMemory('cuda');
}
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`${failed === 0 ? 'ok' : `${failed} failed`}; report in ${out}`);
process.exit(failed === 0 ? 0 : 1);
