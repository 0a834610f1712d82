import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensorsHeader, saveSafetensors } from '@mantissa/nn';
import { memory, tensor } from '@mantissa/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, Learner } from '../src';
import { tinyData, tinyModel, weights } from './helpers';

const root = mkdtempSync(join(tmpdir(), 'mantissa-learner-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(root, `run${n++}`);

/** The Adam state of every parameter, as numbers (step counts and moments). */
function optState(learn: Learner): unknown {
  const sd = learn.opt!.stateDict();
  return JSON.parse(
    JSON.stringify(sd, (_k, v) =>
      v !== null && typeof v === 'object' && 'dtype' in v ? Array.from(v.data()) : v,
    ),
  );
}

describe('save and load', () => {
  it('save → load → continue equals an unbroken run, to the bit', async () => {
    const path = newDir();
    // Unshuffled data: both runs see the same batches in the same order.
    const a = new Learner(tinyData(), tinyModel(0), { path, silent: true });
    await a.fit(1, 1e-2);
    a.save('stage-1');
    await a.fit(2, 3e-3);

    const b = new Learner(tinyData(), tinyModel(7), { path, silent: true });
    expect(weights(b.model)).not.toEqual(weights(a.model));
    b.load('stage-1');
    await b.fit(2, 3e-3);
    expect(weights(b.model)).toEqual(weights(a.model));
    expect(optState(b)).toEqual(optState(a));
  });

  it('writes the model as plain safetensors and the optimizer beside it; a new save replaces both', async () => {
    const path = newDir();
    const learn = new Learner(tinyData(), tinyModel(), { path, silent: true });
    await learn.fit(1, 1e-2);
    const file = learn.save('m');
    expect(file).toBe(join(path, 'models', 'm.safetensors'));
    const header = readSafetensorsHeader(file);
    expect(header.tensors.map((t) => t.name).sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    expect(header.metadata.format).toBe('pt');
    const meta = JSON.parse(header.metadata['mantissa.checkpoint']!);
    expect(meta).toMatchObject({ schema: 1, optimizer: `m.${meta.id}.opt.json` });
    const files = () => readdirSync(join(path, 'models')).sort();
    expect(files()).toEqual([`m.${meta.id}.opt.json`, `m.${meta.id}.opt.safetensors`, 'm.safetensors']);
    learn.save('m');
    expect(files()).toHaveLength(3);
    expect(files()).not.toContain(`m.${meta.id}.opt.json`);
    learn.save('m-2', { withOpt: false });
    expect(
      JSON.parse(
        readSafetensorsHeader(join(path, 'models', 'm-2.safetensors')).metadata['mantissa.checkpoint']!,
      ).optimizer,
    ).toBe(null);
    expect(files()).toHaveLength(4); // another name's files are not touched
  });

  it('a save that fails midway leaves the previous checkpoint whole', async () => {
    const path = newDir();
    const learn = new Learner(tinyData(), tinyModel(), { path, silent: true });
    await learn.fit(1, 1e-2);
    learn.save('ck');
    const saved = weights(learn.model);
    const savedOpt = optState(learn);
    await learn.fit(1, 1e-2);
    // Fail after the new optimizer files are written, before the model file (the commit point).
    const model = learn.model;
    model.stateDict = () => {
      throw new Error('disk full');
    };
    expect(() => learn.save('ck')).toThrow('disk full');
    delete (model as { stateDict?: unknown }).stateDict;
    expect(readdirSync(join(path, 'models'))).toHaveLength(5); // the failed save's files are left over

    const other = new Learner(tinyData(), tinyModel(3), { path, silent: true });
    other.load('ck');
    expect(weights(other.model)).toEqual(saved);
    expect(optState(other)).toEqual(savedOpt);
    learn.save('ck'); // the next good save clears the leftovers
    expect(readdirSync(join(path, 'models'))).toHaveLength(3);
  });

  it('load without the optimizer, and a checkpoint saved before any fit', async () => {
    const path = newDir();
    const a = new Learner(tinyData(), tinyModel(1), { path, silent: true });
    a.save('init'); // no optimizer yet
    await a.fit(1, 1e-2);
    a.save('trained');
    const b = new Learner(tinyData(), tinyModel(2), { path, silent: true });
    b.load('trained', { withOpt: false });
    expect(b.opt).toBe(null);
    expect(weights(b.model)).toEqual(weights(a.model));
    b.load('init');
    expect(b.opt).toBe(null);
  });

  it('a safetensors file without Mantissa metadata (e.g. from PyTorch) loads as weights', () => {
    const path = newDir();
    const learn = new Learner(tinyData(), tinyModel(), { path, silent: true });
    const sd = tinyModel(9).stateDict();
    mkdirSync(learn.modelPath, { recursive: true });
    saveSafetensors(join(learn.modelPath, 'torch.safetensors'), sd);
    learn.load('torch');
    expect(weights(learn.model)).toEqual(Object.values(sd).map((t) => Array.from(t.data())));
  });

  it('errors name the file: a missing checkpoint, another schema, a missing optimizer file', async () => {
    const path = newDir();
    const learn = new Learner(tinyData(), tinyModel(), { path, silent: true });
    expect(() => learn.load('nope')).toThrow(CheckpointError);
    expect(() => learn.load('nope')).toThrow(/models\/nope\.safetensors: no such checkpoint/);
    const t = tensor([1]);
    mkdirSync(learn.modelPath, { recursive: true });
    saveSafetensors(
      join(learn.modelPath, 'future.safetensors'),
      { x: t },
      {
        'mantissa.checkpoint': JSON.stringify({ schema: 99, id: 'x', optimizer: null }),
      },
    );
    t.dispose();
    expect(() => learn.load('future')).toThrow(/schema 99, expected 1/);
    await learn.fit(1, 1e-2);
    learn.save('ok');
    const optFile = readdirSync(learn.modelPath).find((f) => f.endsWith('.opt.json'))!;
    rmSync(join(learn.modelPath, optFile));
    await learn.fit(1, 1e-2);
    const current = weights(learn.model);
    expect(() => learn.load('ok')).toThrow(new RegExp(`${optFile.replaceAll('.', '\\.')}: cannot be read`));
    expect(weights(learn.model)).toEqual(current); // nothing was loaded
    expect(() => learn.save('../up')).toThrow(/name/);
    expect(() => learn.save('')).toThrow(/name/);
  });

  it('save and load leave no tensor behind', async () => {
    const path = newDir();
    const learn = new Learner(tinyData(), tinyModel(), { path, silent: true });
    await learn.fit(1, 1e-2);
    const before = memory().numTensors;
    learn.save('x');
    learn.load('x');
    expect(memory().numTensors).toBe(before);
  });
});
