import type { Device, DType, Tensor } from '@mantissa/tensor';
import { AutogradError } from './errors';
import type { GradHook } from './meta';
import { versionOf } from './meta';

/** Where an input's gradient goes: the node that produced it, or the leaf tensor itself. */
export type Edge = GradNode | Tensor;

/**
 * One recorded op in the graph: its name, where each input's gradient goes, and the tensors its
 * gradient formula may read. It is also the formula's context (`ctx`): `ctx.input(i)` and
 * `ctx.output(i)` hand out saved tensors, refusing ones that were freed, disposed or overwritten.
 */
export class GradNode {
  /** @internal Non-leaf tensor hooks, run on this node's output gradient before the formula. */
  hooks: GradHook[] | null = null;
  /** @internal The output tensor that keeps its .grad (retainGrad), if any. */
  retained: Tensor | null = null;
  private saved: { inputs: readonly Tensor[]; outputs: readonly Tensor[]; versions: number[] } | null;
  private readonly shapes: (readonly number[])[];
  private readonly dtypes: DType[];
  private readonly devices: Device[];

  /** @internal Created by the op hook. */
  constructor(
    /** The op's name, as the tensor package records it (and as gradients are registered). */
    readonly op: string,
    /** @internal Per input: where its gradient goes, or null when it needs none. */
    readonly edges: readonly (Edge | null)[],
    inputs: readonly Tensor[],
    outputs: readonly Tensor[],
    /** The op's attributes (axes, strides, scalar operands...). */
    readonly attrs: Readonly<Record<string, unknown>>,
  ) {
    this.shapes = inputs.map((t) => t.shape);
    this.dtypes = inputs.map((t) => t.dtype);
    this.devices = inputs.map((t) => t.device);
    const versions = [...inputs, ...outputs].map(versionOf);
    this.saved = { inputs, outputs, versions };
  }

  /** The nodes that produced this node's inputs (null for leaves and inputs that need no gradient). */
  get inputs(): readonly (GradNode | null)[] {
    return this.edges.map((e) => (e instanceof GradNode ? e : null));
  }

  get numInputs(): number {
    return this.shapes.length;
  }

  /** Whether input i needs a gradient: formulas skip the work for the others. */
  needsGrad(i: number): boolean {
    return this.edges[i] != null;
  }

  /** The shape input i had in the forward. */
  inputShape(i: number): readonly number[] {
    return this.shapes[i]!;
  }

  /** The dtype of input i (its gradient is cast to it). */
  inputDType(i: number): DType {
    return this.dtypes[i]!;
  }

  /** The device of input i (a gradient crossing devices goes back to it). */
  inputDevice(i: number): Device {
    return this.devices[i]!;
  }

  /** Input i as saved by the forward. */
  input(i: number): Tensor {
    return this.savedTensor('input', i, i);
  }

  /** Output i as saved by the forward. */
  output(i: number): Tensor {
    return this.savedTensor('output', i, this.shapes.length + i);
  }

  /** An attribute the op recorded (axes, stride, the scalar operand...). */
  attr<T = unknown>(name: string): T {
    return this.attrs[name] as T;
  }

  /** @internal The storage of saved input i (null once released), to tell views of it apart. */
  savedStorageOf(i: number): unknown {
    return this.saved?.inputs[i]?.storage ?? null;
  }

  /** @internal Drops the saved tensors (after a backward without retainGraph). */
  release(): void {
    this.saved = null;
  }

  get isReleased(): boolean {
    return this.saved === null;
  }

  toString(): string {
    return `GradNode(${this.op})`;
  }

  private savedTensor(kind: 'input' | 'output', i: number, slot: number): Tensor {
    if (this.saved === null) {
      throw new AutogradError(
        this.op,
        'expected a graph with its saved tensors, got one already freed by an earlier backward ' +
          '(pass { retainGraph: true } to the first backward to backward through it again)',
      );
    }
    const list = kind === 'input' ? this.saved.inputs : this.saved.outputs;
    const t = list[i];
    if (t === undefined) {
      throw new AutogradError(this.op, `expected ${kind} index < ${list.length}, got ${i}`);
    }
    if (t.isDisposed) {
      throw new AutogradError(
        this.op,
        `expected ${kind} ${i}, saved for the gradient, to be alive, got a disposed tensor ` +
          '(run backward inside the tidy() that ran the forward, or keep() the tensor)',
      );
    }
    const v = versionOf(t);
    if (v !== this.saved.versions[slot]) {
      throw new AutogradError(
        this.op,
        `expected ${kind} ${i}, saved for the gradient, at version ${this.saved.versions[slot]}, got ` +
          `version ${v}: it was modified by an in-place op after the forward (clone() it before modifying)`,
      );
    }
    return t;
  }
}
