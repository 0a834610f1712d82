import type { Tensor } from '@mantissa/tensor';
import { fmtValue, NnError } from '../errors';
import { Module } from '../module';

/**
 * Runs its modules in order, each on the previous one's output, as torch.nn.Sequential. The children are
 * named '0', '1', ... (so a nested one's parameters are `0.0.weight`, as in PyTorch).
 */
export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    for (const m of modules) this.append(m);
  }

  get length(): number {
    return this.namedChildren().length;
  }

  /** The i-th module (negative i counts from the end). */
  at(i: number): Module {
    const children = this.children();
    const m = Number.isSafeInteger(i) ? children.at(i) : undefined;
    if (m === undefined) {
      throw new NnError(
        'Sequential.at',
        `expected an index in [${-children.length}, ${children.length - 1}], got ${fmtValue(i)}`,
      );
    }
    return m;
  }

  append(module: Module): this {
    if (!(module instanceof Module)) {
      throw new NnError('Sequential', `expected a Module, got ${fmtValue(String(module))}`);
    }
    this.registerModule(String(this.length), module);
    return this;
  }

  forward(x: Tensor): Tensor {
    for (const m of this.children()) x = m.forward(x);
    return x;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
}
