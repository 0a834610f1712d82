import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Module, parseSafetensors, readSafetensorsHeader, saveSafetensors } from '@mantissa/nn';
import { isTensor, type Tensor, tidy } from '@mantissa/tensor';
import { CheckpointError } from './errors';

/**
 * The checkpoint format. A checkpoint `name` in a folder is:
 * - `name.safetensors`: the model's state dict, readable by any safetensors reader (PyTorch's
 *   `load_file` + `load_state_dict`), with `__metadata__["mantissa.checkpoint"]` = JSON
 *   `{ schema, id, optimizer }` naming the optimizer files of the same save;
 * - `name.<id>.opt.safetensors`: the optimizer's tensors (moment buffers), under dotted keys;
 * - `name.<id>.opt.json`: `{ schema, id, tensors, state: { opt, callbacks } }`: the optimizer's state
 *   dict (hyper-parameters per layer group, step counters) and the state of every callback that has one
 *   (`stateDict()`/`loadStateDict()`, e.g. MixedPrecision's loss scaler and fp32 master weights), keyed
 *   by class name, with `{ "$tensor": key }` where a tensor was.
 *
 * The model file is written last and is the commit point: every file is written to a temporary file,
 * flushed and renamed, and the optimizer files of a new save get new names. A save that fails or is
 * killed at any point leaves the previous `name.safetensors` and the optimizer files it names intact;
 * the next successful save removes the leftovers.
 */
export const CHECKPOINT_SCHEMA = 1;
const META_KEY = 'mantissa.checkpoint';

interface ModelMeta {
  schema: number;
  id: string;
  optimizer: string | null;
}

/** What the optimizer file's `state` holds. */
interface SavedTrainingState {
  opt: unknown;
  callbacks: Record<string, unknown>;
}

interface OptimizerFile {
  schema: number;
  id: string;
  tensors: string;
  state: unknown;
}

/** What the checkpoint needs from an optimizer (OptimWrapper has it). */
export interface Stateful {
  stateDict(): unknown;
  loadStateDict(dict: never): void;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces every tensor in a state dict by `{ $tensor: key }` and collects it under that key. */
function encode(value: unknown, key: string, tensors: Map<string, Tensor>): unknown {
  if (isTensor(value)) {
    tensors.set(key, value);
    return { $tensor: key };
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  const sub = (k: string | number) => (key === '' ? String(k) : `${key}.${k}`);
  if (Array.isArray(value)) return value.map((v, i) => encode(v, sub(i), tensors));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v, sub(k), tensors)]));
  }
  return value;
}

function decode(value: unknown, tensors: Record<string, Tensor>, file: string): unknown {
  if (Array.isArray(value)) return value.map((v) => decode(v, tensors, file));
  if (typeof value !== 'object' || value === null) return value;
  const o = value as Record<string, unknown>;
  if (typeof o.$tensor === 'string') {
    const t = tensors[o.$tensor];
    if (t === undefined) throw new CheckpointError('Learner.load', file, `tensor '${o.$tensor}' is missing`);
    return t;
  }
  if (typeof o.$number === 'string') return Number(o.$number);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, decode(v, tensors, file)]));
}

function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not every file system lets a directory be opened or flushed; the renames are still atomic.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function writeFileAtomic(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const bytes = Buffer.from(text, 'utf8');
  let fd: number | null = openSync(temp, 'wx');
  try {
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    if (existsSync(temp)) unlinkSync(temp);
    throw e;
  }
}

/** Callbacks with state, by a stable key: the class name, suffixed `.1`, `.2` ... when repeated. */
export function statefulCallbacks(callbacks: readonly object[]): Map<string, Stateful> {
  const out = new Map<string, Stateful>();
  for (const cb of callbacks) {
    const c = cb as Partial<Stateful>;
    if (typeof c.stateDict !== 'function' || typeof c.loadStateDict !== 'function') continue;
    const base = cb.constructor.name;
    let key = base;
    for (let i = 1; out.has(key); i++) key = `${base}.${i}`;
    out.set(key, c as Stateful);
  }
  return out;
}

/**
 * Saves the model (and the optimizer's and the callbacks' state) as checkpoint `name` in `dir`; returns
 * the model file.
 */
export function saveCheckpoint(
  dir: string,
  name: string,
  model: Module,
  opt: Stateful | null,
  callbacks: ReadonlyMap<string, Stateful> = new Map(),
): string {
  mkdirSync(dir, { recursive: true });
  const id = randomBytes(8).toString('hex');
  let optimizer: string | null = null;
  if (opt !== null) {
    const tensors = new Map<string, Tensor>();
    const callbackState = Object.fromEntries([...callbacks].map(([k, cb]) => [k, cb.stateDict()]));
    const state = encode({ opt: opt.stateDict(), callbacks: callbackState }, '', tensors);
    const tensorFile = `${name}.${id}.opt.safetensors`;
    saveSafetensors(join(dir, tensorFile), tensors);
    optimizer = `${name}.${id}.opt.json`;
    const file: OptimizerFile = { schema: CHECKPOINT_SCHEMA, id, tensors: tensorFile, state };
    writeFileAtomic(join(dir, optimizer), JSON.stringify(file));
  }
  const meta: ModelMeta = { schema: CHECKPOINT_SCHEMA, id, optimizer };
  const modelFile = join(dir, `${name}.safetensors`);
  // tidy frees the detached views stateDict makes.
  tidy(() =>
    saveSafetensors(modelFile, model.stateDict(), { format: 'pt', [META_KEY]: JSON.stringify(meta) }),
  );
  fsyncDir(dir);
  // Committed: the optimizer files of earlier saves of this name (and of failed ones) can go.
  const stale = new RegExp(`^${escapeRegExp(name)}\\.([0-9a-f]{16})\\.opt\\.(json|safetensors)$`);
  for (const f of readdirSync(dir)) {
    const m = stale.exec(f);
    if (m !== null && m[1] !== id) unlinkSync(join(dir, f));
  }
  return modelFile;
}

export interface LoadCheckpointOptions {
  /** Restore the optimizer's state too (when the checkpoint has one). */
  withOpt: boolean;
  /** Require the state dict's keys to match the model's exactly. */
  strict: boolean;
}

function readJson(op: string, file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CheckpointError(op, file, 'cannot be read as JSON', { cause: e });
  }
}

/**
 * Loads checkpoint `name` from `dir` into the model and, with `withOpt`, into the optimizer that
 * `getOpt` returns (created on demand). A safetensors file without Mantissa's metadata (written by
 * PyTorch, say) loads as model weights alone.
 */
export function loadCheckpoint(
  dir: string,
  name: string,
  model: Module,
  getOpt: () => Stateful,
  options: LoadCheckpointOptions,
  callbacks: ReadonlyMap<string, Stateful> = new Map(),
): string {
  const op = 'Learner.load';
  const modelFile = join(dir, `${name}.safetensors`);
  if (!existsSync(modelFile)) {
    throw new CheckpointError(op, modelFile, 'no such checkpoint (expected a file written by learn.save)');
  }
  const bytes = readFileSync(modelFile);
  const raw = readSafetensorsHeader(bytes).metadata[META_KEY];
  let meta: ModelMeta | null = null;
  if (raw !== undefined) {
    try {
      meta = JSON.parse(raw) as ModelMeta;
    } catch (e) {
      throw new CheckpointError(op, modelFile, `bad ${META_KEY} metadata`, { cause: e });
    }
    if (meta.schema !== CHECKPOINT_SCHEMA) {
      throw new CheckpointError(op, modelFile, `schema ${meta.schema}, expected ${CHECKPOINT_SCHEMA}`);
    }
  }
  let optFile: OptimizerFile | null = null;
  const optPath = meta?.optimizer ? join(dir, meta.optimizer) : null;
  if (options.withOpt && optPath !== null) {
    // Read before touching the model, so a broken checkpoint changes nothing.
    optFile = readJson(op, optPath) as OptimizerFile;
    if (optFile.schema !== CHECKPOINT_SCHEMA || optFile.id !== meta!.id) {
      throw new CheckpointError(
        op,
        optPath,
        `schema ${optFile.schema} and id ${optFile.id}, expected ${CHECKPOINT_SCHEMA} and ${meta!.id} (from ${modelFile})`,
      );
    }
  }
  tidy(() => {
    let state: SavedTrainingState | null = null;
    if (optFile !== null) {
      const tensorPath = join(dir, optFile.tensors);
      if (!existsSync(tensorPath)) throw new CheckpointError(op, tensorPath, 'missing optimizer tensors');
      state = decode(
        optFile.state,
        parseSafetensors(readFileSync(tensorPath)),
        tensorPath,
      ) as SavedTrainingState;
    }
    model.loadStateDict(parseSafetensors(bytes), { strict: options.strict });
    if (state !== null) {
      // The optimizer exists first; a callback's state may re-point it (MixedPrecision's masters), and
      // the optimizer's own state is loaded last, onto the parameters it then holds. State saved for a
      // callback this learner does not have (an fp16 run loaded for fp32 inference) is not needed.
      const opt = getOpt();
      for (const [key, cb] of callbacks) {
        if (state.callbacks[key] !== undefined) cb.loadStateDict(state.callbacks[key] as never);
      }
      opt.loadStateDict(state.opt as never);
    }
  });
  return modelFile;
}
