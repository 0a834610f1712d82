// Runs kernel jobs on the raw native binding in a process of its own, so that MANTISSA_ISA (read once,
// when the addon loads) can select the instruction set. Reads a JSON job list on stdin and writes the
// output tensors' storage bytes (base64) as JSON on stdout.
//
// A job: { kernel, attrs, tensors: [{ dtype, shape, strides, offset, data (base64 storage bytes) }] }.
// The last tensor is the output; the reply holds its whole storage after the run.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const native = createRequire(import.meta.url)('node-gyp-build')(root);
const jobs = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const job of jobs) {
  const ids = [];
  const desc = [];
  for (const t of job.tensors) {
    const bytes = Buffer.from(t.data, 'base64');
    const id = native.alloc(bytes.length);
    native.copyIn(id, 0, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    ids.push(id);
    desc.push(id, t.dtype, t.shape.length, t.offset, ...t.shape, ...t.strides);
  }
  try {
    native.run(
      native.kernelId(job.kernel),
      Float64Array.from(desc),
      job.tensors.length,
      Float64Array.from(job.attrs),
      job.attrs.length,
    );
    const last = job.tensors.length - 1;
    const out = new Uint8Array(Buffer.from(job.tensors[last].data, 'base64').length);
    native.copyOut(ids[last], 0, out);
    results.push(Buffer.from(out).toString('base64'));
  } catch (e) {
    results.push({ error: e.message });
  }
  for (const id of ids) native.free(id);
}
process.stdout.write(JSON.stringify({ isa: native.info().isa, results }));
