// Runs cast kernels straight on the native addon, with no TypeScript in between, so that a plain
// `node` child process can repeat a test's casts under another MANTISSA_ISA (the ISA is chosen once,
// when the addon loads). The test runs the same jobs in-process through runCastJob and compares the
// bytes.
//
//   node test/helpers/cast-jobs.mjs <dir>   reads <dir>/jobs.json and <dir>/<job>.in, writes
//                                           <dir>/<job>.out, prints {"isa": ...}
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Mirrors kernels/include/mantissa/abi.h (src/dtype.ts holds the same codes).
const CODES = { float32: 0, float16: 1, bfloat16: 2, float64: 3, int32: 4, bool: 5 };
const SIZES = { float32: 4, float16: 2, bfloat16: 2, float64: 8, int32: 4, bool: 1 };

const contiguous = (shape) => {
  const s = new Array(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
};

function cast(native, srcId, job, dstId, shape, srcOffset, dstOffset) {
  const desc = new Float64Array(2 * (4 + 2 * shape.length));
  let p = 0;
  const put = (id, dtype, offset, strides) => {
    desc[p++] = id;
    desc[p++] = CODES[dtype];
    desc[p++] = shape.length;
    desc[p++] = offset;
    for (const v of shape) desc[p++] = v;
    for (const v of strides) desc[p++] = v;
  };
  put(srcId, job.src, srcOffset, job.srcStrides ?? contiguous(shape));
  put(dstId, job.dst, dstOffset, job.dstStrides ?? contiguous(shape));
  native.run(native.kernelId('cast'), desc, 2, new Float64Array(1), 0);
}

/**
 * job: { src, dst, shape, srcStrides?, srcOffset?, dstStrides?, dstOffset?, dstElems } converts the
 * raw bytes `input` (the source storage) into a destination storage of dstElems elements, first
 * filled with 0xAB bytes so writes outside the view show. With `lengths`, each length n converts the
 * 1-D run input[n % 3 ..] to dst[n % 5 ..], and the outputs are concatenated.
 * Returns the destination storage bytes.
 */
export function runCastJob(native, job, input) {
  const srcId = native.alloc(Math.max(input.byteLength, 1));
  const dstBytes = Math.max(job.dstElems * SIZES[job.dst], 1);
  const dstId = native.alloc(dstBytes);
  const dst = new Uint8Array(dstBytes);
  try {
    native.copyIn(srcId, 0, input);
    const runs = job.lengths ?? [null];
    const out = new Uint8Array(dstBytes * runs.length);
    runs.forEach((n, k) => {
      dst.fill(0xab);
      native.copyIn(dstId, 0, dst);
      if (n === null) cast(native, srcId, job, dstId, job.shape, job.srcOffset ?? 0, job.dstOffset ?? 0);
      else cast(native, srcId, { ...job, srcStrides: [1], dstStrides: [1] }, dstId, [n], n % 3, n % 5);
      native.copyOut(dstId, 0, dst);
      out.set(dst, k * dstBytes);
    });
    return out;
  } finally {
    native.free(srcId);
    native.free(dstId);
  }
}

function main(dir) {
  const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
  const native = createRequire(import.meta.url)('node-gyp-build')(root);
  const jobs = JSON.parse(readFileSync(join(dir, 'jobs.json'), 'utf8'));
  for (const [name, job] of Object.entries(jobs)) {
    const input = new Uint8Array(readFileSync(join(dir, `${name}.in`)));
    writeFileSync(join(dir, `${name}.out`), runCastJob(native, job, input));
  }
  console.log(JSON.stringify({ isa: native.info().isa }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv[2]);
