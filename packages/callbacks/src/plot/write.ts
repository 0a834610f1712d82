import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { CallbackArgumentError } from '../errors';
import type { Panel } from './layout';
import { renderPng } from './png';
import { renderSvg } from './svg';

/** Writes the panels to `file` as SVG or PNG, chosen by its extension; creates the folder. */
export function writePlot(op: string, file: string, panels: readonly Panel[]): void {
  const ext = extname(file).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') {
    throw new CallbackArgumentError(op, 'file', "a path ending in '.svg' or '.png'", file);
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, ext === '.svg' ? renderSvg(panels) : renderPng(panels));
}
