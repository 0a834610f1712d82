import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arange, memory, type Tensor, tensor, zeros } from '@mantissa/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadSafetensors,
  readSafetensorsHeader,
  SafetensorsError,
  saveSafetensors,
  serializeSafetensors,
} from '../src/index';
import {
  expectedFixtures,
  FIXTURES,
  fixtureBytes,
  hasTorch,
  hexOf,
  PYTHON,
  tensorOf,
} from './helpers/safetensors';

const expected = expectedFixtures();
const dir = mkdtempSync(join(tmpdir(), 'mantissa-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f32 = (values: number[], shape?: number[]) => tensor(new Float32Array(values), { shape });
const disposeAll = (d: Record<string, Tensor>) => {
  for (const t of Object.values(d)) t.dispose();
};

/** The reference tensors, inserted in reverse name order so that the writer's sort is exercised. */
function referenceDict(): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, e] of Object.entries(expected.reference!.tensors).reverse()) out[name] = tensorOf(e);
  return out;
}

describe("serializeSafetensors writes the reference implementation's bytes", () => {
  // Byte vectors from the safetensors crate's own tests (tensor.rs: test_serialization,
  // test_serialization_forced_alignement, test_empty).
  it('one F32 tensor, header a multiple of 8 already', () => {
    const t = f32([0, 1, 2, 3, 4, 5], [1, 2, 3]);
    const out = serializeSafetensors({ 'attn.0': t });
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(header.length).toBe(64);
    expect(out[0]).toBe(64);
    expect(Buffer.from(out.subarray(8, 72)).toString()).toBe(header);
    expect([...out.subarray(72)]).toEqual([
      0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    t.dispose();
  });

  it('pads the header with spaces to a multiple of 8', () => {
    const t = f32([0, 1, 2, 3, 4, 5], [1, 1, 2, 3]);
    const out = serializeSafetensors({ attn0: t });
    expect(out[0]).toBe(72);
    expect(Buffer.from(out.subarray(8, 80)).toString()).toBe(
      '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ',
    );
    t.dispose();
  });

  it('an empty dict, with and without metadata', () => {
    expect([...serializeSafetensors({})]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const withMeta = serializeSafetensors(new Map(), { framework: 'pt' });
    expect(withMeta[0]).toBe(40);
    expect(Buffer.from(withMeta.subarray(8)).toString()).toBe('{"__metadata__":{"framework":"pt"}}     ');
  });

  it('the reference fixture: every dtype, sorted by alignment then name, byte for byte', () => {
    const dict = referenceDict();
    const out = serializeSafetensors(dict, { format: 'pt' });
    expect(Buffer.from(out).equals(Buffer.from(fixtureBytes('reference')))).toBe(true);
    disposeAll(dict);
  });

  it('a Map gives the same bytes as an object', () => {
    const dict = referenceDict();
    const a = serializeSafetensors(dict, { format: 'pt' });
    const b = serializeSafetensors(new Map(Object.entries(dict)), new Map([['format', 'pt']]));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    disposeAll(dict);
  });

  it('writes non-contiguous and expanded views as contiguous copies', () => {
    const ref = expected.reference!.tensors;
    const fc = tensorOf(ref['fc.weight']!);
    const bias = tensorOf(ref['conv.bias']!);
    const dict = { 'fc.weight.T': fc.T, 'conv.bias.expanded': bias.expand([2, 4]) };
    expect(dict['fc.weight.T'].isContiguous).toBe(false);
    const back = loadRoundTrip(dict);
    for (const [name, e] of Object.entries(expected.views!.tensors)) {
      expect(back[name]!.shape).toEqual(e.shape);
      expect(hexOf(back[name]!)).toBe(e.hex);
    }
    disposeAll(back);
    fc.dispose();
    bias.dispose();
  });
});

function loadRoundTrip(dict: Record<string, Tensor>): Record<string, Tensor> {
  const path = join(dir, 'roundtrip.safetensors');
  saveSafetensors(path, dict);
  return loadSafetensors(path);
}

describe('saveSafetensors / loadSafetensors', () => {
  it('round-trips every dtype bit for bit, with metadata', () => {
    const dict = referenceDict();
    const path = join(dir, 'model.safetensors');
    saveSafetensors(path, dict, { format: 'pt', epoch: '3' });
    expect(readSafetensorsHeader(path).metadata).toEqual({ format: 'pt', epoch: '3' });
    const back = loadSafetensors(path);
    for (const [name, t] of Object.entries(dict)) {
      expect(back[name]!.dtype, name).toBe(t.dtype);
      expect(back[name]!.shape, name).toEqual(t.shape);
      expect(hexOf(back[name]!), name).toBe(hexOf(t));
    }
    disposeAll(dict);
    disposeAll(back);
  });

  it('replaces an existing file and leaves no temporary file behind', () => {
    const path = join(dir, 'replace.safetensors');
    writeFileSync(path, 'old contents');
    const t = arange(6, undefined, 1, { dtype: 'int32' });
    saveSafetensors(path, { t });
    expect(readdirSync(dir).filter((f) => f.includes('replace'))).toEqual(['replace.safetensors']);
    const back = loadSafetensors(path);
    expect(back.t!.toArray()).toEqual([0, 1, 2, 3, 4, 5]);
    disposeAll(back);
    t.dispose();
  });

  it('a refused state dict leaves the previous file untouched and writes nothing', () => {
    const path = join(dir, 'keep.safetensors');
    const good = f32([1, 2]);
    saveSafetensors(path, { good });
    const before = readFileSync(path);
    const gone = f32([3]);
    gone.dispose();
    const e = errorOf(() => saveSafetensors(path, { good, gone }));
    expect(e.tensor).toBe('gone');
    expect(e.message).toMatch(
      /saveSafetensors: .*keep.safetensors: tensor 'gone': tensor: expected a live tensor, got a disposed tensor/,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('keep'))).toEqual(['keep.safetensors']);
    good.dispose();
  });

  it('reports an unwritable path and removes its temporary file', () => {
    const t = f32([1]);
    const e = errorOf(() => saveSafetensors(join(dir, 'no-such-dir', 'x.safetensors'), { t }));
    expect(e.message).toMatch(/cannot write: expected a writable path, got ENOENT/);
    const e2 = errorOf(() => saveSafetensors(dir, { t }));
    expect(e2.message).toMatch(/cannot write/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    t.dispose();
  });

  it('reports a missing file to load', () => {
    const e = errorOf(() => loadSafetensors(join(dir, 'missing.safetensors')));
    expect(e.message).toMatch(/missing.safetensors: cannot read: expected a readable file, got ENOENT/);
    expect(() => readSafetensorsHeader(join(dir, 'missing.safetensors'))).toThrow(/ENOENT/);
  });

  it('names the file in load errors, and reads a header without loading tensors', () => {
    const path = join(dir, 'bad.safetensors');
    writeFileSync(path, fixtureBytes('reference').subarray(0, 300));
    const e = errorOf(() => loadSafetensors(path));
    expect(e.file).toBe(path);
    expect(e.message.startsWith(`loadSafetensors: ${path}: `)).toBe(true);
    const before = memory().numTensors;
    const h = readSafetensorsHeader(join(FIXTURES, 'reference.safetensors'));
    expect(memory().numTensors).toBe(before);
    expect(h.tensors.map((t) => t.name)).toContain('half.specials');
  });

  it('refuses bad state dicts and metadata before writing', () => {
    const t = zeros([2]);
    const cases: [() => unknown, RegExp][] = [
      [
        () => serializeSafetensors({ w: [1, 2] as unknown as Tensor }),
        /tensor 'w': value: expected a Tensor, got \[1, 2\]/,
      ],
      [
        () => serializeSafetensors({ __metadata__: t }),
        /tensor name: expected a name other than __metadata__/,
      ],
      [() => serializeSafetensors({ 'bad\ud800': t }), /expected well-formed Unicode, got a lone surrogate/],
      [
        () => serializeSafetensors(new Map([[3 as unknown as string, t]])),
        /tensor name: expected a string, got 3/,
      ],
      [
        () => serializeSafetensors(t as unknown as Record<string, Tensor>),
        /state dict: expected a plain object or a Map/,
      ],
      [
        () => serializeSafetensors({ t }, { epoch: 3 as unknown as string }),
        /metadata value of 'epoch': expected a string, got 3/,
      ],
      [() => saveSafetensors('', { t }), /path: expected a file path/],
    ];
    for (const [fn, message] of cases) expect(errorOf(fn).message).toMatch(message);
    t.dispose();
  });

  it('writes the UTF-8 name and escapes as JSON does', () => {
    const t = f32([1]);
    const out = serializeSafetensors({ 'é"\n': t });
    const text = Buffer.from(out.subarray(8, 8 + out[0]!)).toString('utf8');
    expect(text.trimEnd()).toBe('{"é\\"\\n":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    t.dispose();
  });
});

function errorOf(fn: () => unknown): SafetensorsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return e as SafetensorsError;
  }
  throw new Error('expected a SafetensorsError');
}

describe.skipIf(!hasTorch())('files Mantissa writes, checked by an independent reader with PyTorch', () => {
  const check = (path: string, args: string[]) =>
    spawnSync(
      PYTHON,
      ['-B', join(FIXTURES, 'check_safetensors.py'), path, join(FIXTURES, 'safetensors.json'), ...args],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );

  it('every reference tensor and two views, bit-exact', () => {
    const dict = referenceDict();
    const ref = expected.reference!.tensors;
    const fc = tensorOf(ref['fc.weight']!);
    const bias = tensorOf(ref['conv.bias']!);
    const path = join(dir, 'for-torch.safetensors');
    saveSafetensors(
      path,
      { ...dict, 'fc.weight.T': fc.T, 'conv.bias.expanded': bias.expand([2, 4]) },
      { format: 'pt' },
    );
    const r = check(path, ['reference', 'views', 'format=pt']);
    expect(r.stdout + r.stderr).toMatch(/^OK 19 tensors/);
    expect(r.status).toBe(0);
    disposeAll(dict);
    fc.dispose();
    bias.dispose();
  });

  it('the checker itself catches a wrong value', () => {
    const dict = referenceDict();
    dict['conv.bias']!.dispose();
    dict['conv.bias'] = zeros([4]);
    const path = join(dir, 'wrong.safetensors');
    saveSafetensors(path, dict, { format: 'pt' });
    const r = check(path, ['reference', 'format=pt']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('conv.bias: values differ');
    disposeAll(dict);
  });

  it('the files PyTorch values were written to exist', () => {
    expect(existsSync(join(FIXTURES, 'reference.safetensors'))).toBe(true);
  });
});
