// Feeds the raw native addon seeded random arguments, most of them bad, mixed with valid calls whose
// results are checked. Every call must return or throw a JS Error; a crash kills this process, which
// is why test/fuzz.test.ts runs it as a child and looks for the completion marker.
//
//   node test/helpers/binding-fuzz.mjs <seed> <calls>
//   MANTISSA_FUZZ_ADDON=/path/to/asan/mantissa.node LD_PRELOAD=$(g++ -print-file-name=libasan.so) ...
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// MANTISSA_FUZZ_ADDON: another build of the same addon, e.g. one compiled with -fsanitize=address.
const addon = process.env.MANTISSA_FUZZ_ADDON ?? join(root, 'build', 'Release', 'mantissa.node');
const b = createRequire(import.meta.url)(addon);

const seed = Number(process.argv[2] ?? 1);
const calls = Number(process.argv[3] ?? 5000);

// mulberry32: small, seedable, good enough to drive a fuzzer.
let state = seed >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const pick = (list) => list[Math.floor(random() * list.length)];
const chance = (p) => random() < p;

const ITEMSIZE = [4, 2, 2, 8, 4, 1];
const KERNELS = b.kernels();
const kernelIds = Object.fromEntries(KERNELS.map((k, i) => [k.name, i]));

const live = new Map(); // id -> bytes
const freed = [];

const JUNK = [
  undefined,
  null,
  true,
  '8',
  '',
  {},
  [],
  [1],
  () => 1,
  Symbol('s'),
  10n,
  Number.NaN,
  Infinity,
  -Infinity,
  -1,
  -0,
  0.5,
  1e-300,
  2 ** 31,
  2 ** 32,
  2 ** 46,
  2 ** 46 + 1,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 64,
  1e308,
  Number.MAX_VALUE,
  -(2 ** 53),
];

/** A number that is sometimes sensible, often hostile. */
function number(sensible) {
  const r = random();
  if (r < 0.5) return sensible();
  if (r < 0.85) return pick(JUNK.filter((v) => typeof v === 'number'));
  return pick(JUNK);
}

function anyId() {
  const r = random();
  if (r < 0.6 && live.size > 0) return pick([...live.keys()]);
  if (r < 0.75 && freed.length > 0) return pick(freed);
  if (r < 0.85) return int(0, 40) + int(0, 3) * 16777216; // ids that may never have been allocated
  return pick(JUNK);
}

function typedArray(maxBytes) {
  const kinds = [
    Float32Array,
    Float64Array,
    Int32Array,
    Uint8Array,
    Uint16Array,
    Int8Array,
    Int16Array,
    Uint32Array,
    Uint8ClampedArray,
    BigInt64Array,
    BigUint64Array,
  ];
  const r = random();
  if (r < 0.05) return new DataView(new ArrayBuffer(8));
  if (r < 0.08) return new ArrayBuffer(8);
  if (r < 0.1) return [1, 2, 3];
  if (r < 0.12) return pick(JUNK);
  const Kind = pick(kinds);
  const length = int(0, Math.max(1, Math.floor(maxBytes / Kind.BYTES_PER_ELEMENT) + 2));
  if (r < 0.2) return new Kind(new SharedArrayBuffer(length * Kind.BYTES_PER_ELEMENT));
  if (r < 0.3) return new Kind(length + 3).subarray(int(0, 3), int(0, 3) + length);
  if (r < 0.33) {
    const buffer = new ArrayBuffer(length * Kind.BYTES_PER_ELEMENT);
    structuredClone(buffer, { transfer: [buffer] }); // detached: length 0, no backing store
    return new Kind(buffer);
  }
  return new Kind(length);
}

/** A tensor descriptor: [id, dtype, ndim, offset, ...shape, ...strides], then perturbed. */
function descriptor() {
  const id = anyId();
  const bytes = live.get(id) ?? 64;
  const dtype = chance(0.9) ? int(0, 5) : number(() => int(-2, 8));
  const ndim = chance(0.9) ? int(0, 4) : number(() => int(5, 12));
  const nd = typeof ndim === 'number' && Number.isInteger(ndim) && ndim >= 0 && ndim <= 12 ? ndim : 2;
  const shape = Array.from({ length: nd }, () => (chance(0.93) ? int(0, 6) : number(() => int(7, 5000))));
  const strides = Array.from({ length: nd }, () => (chance(0.9) ? int(0, 8) : number(() => int(9, 100000))));
  const offset = chance(0.85) ? int(0, Math.max(0, bytes / 4)) : number(() => int(0, 1e6));
  return [id, dtype, ndim, offset, ...shape, ...strides];
}

/** Valid layouts on live storages, so hostile calls are interleaved with real kernel work. */
function validTensor(dtype) {
  const [id, bytes] = pick([...live.entries()]);
  const n = Math.floor(bytes / ITEMSIZE[dtype]);
  if (n === 0) return [id, dtype, 1, 0, 0, 1];
  const len = int(1, n);
  return chance(0.5) ? [id, dtype, 1, n - len, len, 1] : [id, dtype, 2, 0, 1, len, 0, 1];
}

let ok = 0;
let thrown = 0;
let checked = 0;

function call(fn) {
  try {
    fn();
    ok++;
  } catch (e) {
    if (!(e instanceof Error)) {
      console.error(`FUZZ-FAIL: threw a non-Error: ${String(e)}`);
      process.exit(2);
    }
    thrown++;
  }
}

function validCall() {
  if (live.size === 0) {
    live.set(b.alloc(256), 256);
    return;
  }
  const dtype = int(0, 5);
  const t = validTensor(dtype);
  const value = int(-3, 3);
  b.run(kernelIds.fill, new Float64Array(t), 1, new Float64Array([value]), 1);
  const [id, , ndim, offset, ...rest] = t;
  const count = ndim === 1 ? rest[0] : rest[1];
  // Read back one element to check the kernel wrote where the layout says.
  if (count > 0 && dtype !== 1 && dtype !== 2) {
    const Kind = [Float32Array, null, null, Float64Array, Int32Array, Uint8Array][dtype];
    const out = new Kind(1);
    b.copyOut(id, offset * ITEMSIZE[dtype], out);
    const want = dtype === 5 ? Number(value !== 0) : value;
    if (out[0] !== want) {
      console.error(`FUZZ-FAIL: fill wrote ${out[0]}, expected ${want} (${JSON.stringify(t)})`);
      process.exit(3);
    }
    checked++;
  }
}

/**
 * A layout that ends exactly at the last element of a live storage, or one element past it: the first
 * must run, the second must be refused. With an exact-size allocator (the sanitizer build) an
 * off-by-one in the binding's bounds check or a kernel's addressing shows up here.
 */
function edgeCall() {
  if (live.size === 0) return;
  const [id, bytes] = pick([...live.entries()]);
  const dtype = int(0, 5);
  const n = Math.floor(bytes / ITEMSIZE[dtype]);
  if (n === 0) return;
  const over = chance(0.3);
  const kernel = pick(['fill', 'arange', 'rand_uniform', 'rand_normal', 'cast']);
  // 1-D: size k with stride s and offset o reaches o + (k - 1) * s == n - 1 (+1 when over).
  const contiguous = kernel.startsWith('rand') || chance(0.3);
  const stride = contiguous ? 1 : int(0, 3);
  const size = stride === 0 ? int(1, 5) : int(1, Math.floor((n - 1) / stride) + 1);
  const offset = n - 1 - (size - 1) * stride + (over ? 1 : 0);
  const t = [id, dtype, 1, offset, size, stride];
  let desc = t;
  let count = 1;
  let attrs = [int(-2, 2)];
  if (kernel === 'arange') attrs = [int(-5, 5), int(-2, 2)];
  if (kernel.startsWith('rand')) attrs = [int(0, 1e6), int(0, 1e6), 0, 1];
  // Hostile attribute values: the kernel may refuse them or not, but must not crash.
  const hostile = chance(0.1);
  if (hostile) attrs = attrs.map(() => number(() => int(-3, 3)));
  if (kernel === 'cast') {
    // A valid contiguous source of the same size in another live storage (or the same one).
    const [srcId, srcBytes] = pick([...live.entries()]);
    const srcType = int(0, 5);
    if (Math.floor(srcBytes / ITEMSIZE[srcType]) < size) return;
    desc = [srcId, srcType, 1, 0, size, 1, ...t];
    count = 2;
    attrs = [];
  }
  const floatOnly = kernel.startsWith('rand') && dtype >= 4;
  let threw = null;
  try {
    b.run(kernelIds[kernel], new Float64Array(desc), count, new Float64Array(attrs), attrs.length);
  } catch (e) {
    threw = e;
  }
  const wantThrow = over || floatOnly;
  if ((threw !== null) !== wantThrow && !(hostile && !wantThrow)) {
    console.error(`FUZZ-FAIL: ${kernel} ${JSON.stringify(desc)} over=${over} threw=${threw?.message}`);
    process.exit(7);
  }
  checked++;
}

const actions = [
  [15, edgeCall],
  [
    8,
    () => {
      const bytes = chance(0.8) ? int(0, 512) : number(() => int(0, 4096));
      const id = b.alloc(bytes);
      // A huge allocation may succeed (lazily committed); never let a kernel touch it.
      if (bytes > 1 << 20) b.free(id);
      else live.set(id, bytes);
    },
  ],
  [
    5,
    () => {
      const id = anyId();
      const wasLive = live.has(id);
      const result = b.free(id);
      if (result !== wasLive) {
        console.error(`FUZZ-FAIL: free(${String(id)}) returned ${result}, live=${wasLive}`);
        process.exit(4);
      }
      if (wasLive) {
        live.delete(id);
        freed.push(id);
      }
    },
  ],
  [
    10,
    () =>
      b.copyIn(
        anyId(),
        number(() => int(0, 600)),
        typedArray(600),
      ),
  ],
  [
    10,
    () =>
      b.copyOut(
        anyId(),
        number(() => int(0, 600)),
        typedArray(600),
      ),
  ],
  [2, () => b.kernelId(pick([...KERNELS.map((k) => k.name), 'nope', '', 'fill\0x', ...JUNK]))],
  [1, () => b.kernels()],
  [1, () => b.info()],
  [1, () => b.memory()],
  [
    2,
    () => {
      const n = chance(0.3) ? int(1, 3) : number(() => int(1, 3));
      if (typeof n === 'number' && n > 4 && n <= 256) return; // valid but costly: spawning threads
      b.setNumThreads(n);
    },
  ],
  [
    40,
    () => {
      const kid = chance(0.9) ? int(0, KERNELS.length - 1) : number(() => int(0, 100));
      const ntensors = chance(0.8) ? int(0, 4) : number(() => int(5, 20));
      const nt =
        typeof ntensors === 'number' && Number.isInteger(ntensors) && ntensors >= 0
          ? Math.min(ntensors, 20)
          : 1;
      let parts = [];
      for (let i = 0; i < nt; i++) parts.push(...descriptor());
      if (chance(0.1)) parts = parts.slice(0, int(0, parts.length)); // descriptor too short
      const desc = chance(0.93) ? new Float64Array(parts.map(Number)) : typedArray(64);
      const attrValues = Array.from({ length: int(0, 6) }, () => number(() => int(-5, 5)));
      const attrs = chance(0.93) ? new Float64Array(attrValues.map(Number)) : typedArray(64);
      const nattrs = chance(0.8) ? attrValues.length : number(() => int(0, 10));
      const args = [kid, desc, ntensors, attrs, nattrs];
      if (chance(0.05)) args.length = int(0, 4);
      b.run(...args);
    },
  ],
  [15, validCall],
];
const total = actions.reduce((s, [w]) => s + w, 0);

for (let i = 0; i < calls; i++) {
  let r = random() * total;
  let chosen = actions[0][1];
  for (const [weight, action] of actions) {
    r -= weight;
    chosen = action;
    if (r < 0) break;
  }
  call(chosen);
}

// The bookkeeping must agree with what this script allocated and freed.
const mem = b.memory();
const liveBytes = [...live.values()].reduce((s, v) => s + v, 0);
if (mem.storages !== live.size || mem.bytes !== liveBytes) {
  console.error(
    `FUZZ-FAIL: memory() says ${JSON.stringify(mem)}, expected ${live.size} storages, ${liveBytes} bytes`,
  );
  process.exit(5);
}
for (const id of live.keys()) b.free(id);
if (b.memory().storages !== 0) {
  console.error('FUZZ-FAIL: storages left after freeing all');
  process.exit(6);
}
console.log(`FUZZ-DONE seed=${seed} calls=${calls} ok=${ok} thrown=${thrown} checked=${checked}`);
