import { noGrad, zeroGrad } from '@mantissa/autograd';
import { type Device, DTYPES, type DType, isDType, isTensor, keep, type Tensor } from '@mantissa/tensor';
import { fmtValue, NnError, StateDictError } from './errors';
import { Parameter } from './parameter';

/** Tensors by dotted name (`0.0.weight`): what stateDict returns and loadStateDict takes. */
type StateDictInput = Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>;

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** A state dict that lacks some of the module's keys or has keys the module does not. */
export class StateDictKeysError extends StateDictError {
  constructor(
    op: string,
    readonly missingKeys: readonly string[],
    readonly unexpectedKeys: readonly string[],
  ) {
    const missing = missingKeys.length > 0;
    const list = (what: string, keys: readonly string[]) =>
      keys.length > 0 ? [`${keys.length} ${what} ${fmtValue(keys)}`] : [];
    super(
      op,
      (missing ? missingKeys[0] : unexpectedKeys[0])!,
      missing ? "every key of the module's state dict" : "only the module's keys",
      [...list('missing', missingKeys), ...list('unexpected', unexpectedKeys)].join(', '),
      missing ? 'missing key' : 'unexpected key',
    );
  }
}

interface Slot {
  module: Module;
  name: string;
  kind: 'parameter' | 'buffer';
  tensor: Tensor;
}

function checkName(op: string, kind: string, name: unknown): string {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw new NnError(op, `expected a ${kind} name: a non-empty string without '.', got ${fmtValue(name)}`);
  }
  return name;
}

function conversion(target: unknown): { dtype?: DType; device?: Device } {
  const op = 'Module.to';
  const bad = () =>
    new NnError(op, `expected a float dtype, a device or { dtype?, device? }, got ${fmtValue(target)}`);
  let dtype: unknown;
  let device: unknown;
  if (typeof target === 'string') {
    if (isDType(target)) dtype = target;
    else device = target;
  } else if (typeof target === 'object' && target !== null) {
    ({ dtype, device } = target as { dtype?: unknown; device?: unknown });
  } else {
    throw bad();
  }
  if (dtype !== undefined && !(isDType(dtype) && DTYPES[dtype].isFloat)) throw bad();
  if (
    device !== undefined &&
    (typeof device !== 'string' || !(device === 'cpu' || device.startsWith('cuda')))
  )
    throw bad();
  return { dtype: dtype as DType | undefined, device: device as Device | undefined };
}

/**
 * The base of every layer and model, as PyTorch's nn.Module.
 *
 * Call a module with `module.forward(x)`. Parameters and child modules are the module's own fields that
 * hold a `Parameter` or a `Module`, in declaration order (so `this.weight = new Parameter(...)` in a
 * constructor registers it, and PyTorch's names and order follow); `registerParameter` and
 * `registerModule` do the same under a computed name, and replace a registered one. Buffers (running
 * statistics and other state that is saved but not trained) are registered explicitly with
 * `registerBuffer`, because a plain tensor field is not necessarily state.
 *
 * Parameters and buffers are exempt from `tidy` scopes: they live until `dispose()`.
 */
export abstract class Module {
  /** Training mode (batch statistics, dropout on) or evaluation mode; set by `train()` / `eval()`. */
  training = true;
  readonly #buffers = new Map<string, Tensor | null>();
  readonly #transient = new Set<string>();

  abstract forward(input: Tensor, ...rest: never[]): Tensor;

  // ----- registration

  /** Registers (or replaces) parameter `name`; null registers an absent one (as a bias-free layer's `bias`). */
  registerParameter(name: string, param: Parameter | null): void {
    const op = 'Module.registerParameter';
    checkName(op, 'parameter', name);
    if (param !== null && !(param instanceof Parameter)) {
      throw new NnError(op, `'${name}': expected a Parameter or null, got ${fmtValue(String(param))}`);
    }
    this.#claim(op, name, (v) => v instanceof Parameter);
    (this as unknown as Record<string, unknown>)[name] = param;
  }

  /** Registers (or replaces) child module `name`. */
  registerModule(name: string, module: Module | null): void {
    const op = 'Module.registerModule';
    checkName(op, 'module', name);
    if (module !== null && !(module instanceof Module)) {
      throw new NnError(op, `'${name}': expected a Module or null, got ${fmtValue(String(module))}`);
    }
    this.#claim(op, name, (v) => v instanceof Module);
    (this as unknown as Record<string, unknown>)[name] = module;
  }

  /**
   * Registers (or replaces) buffer `name`: state saved in the state dict (unless `persistent: false`)
   * and converted by `to()`, but not trained. Read it with `getBuffer(name)`.
   */
  registerBuffer(name: string, tensor: Tensor | null, options: { persistent?: boolean } = {}): void {
    const op = 'Module.registerBuffer';
    checkName(op, 'buffer', name);
    if (tensor !== null && !isTensor(tensor)) {
      throw new NnError(op, `'${name}': expected a Tensor or null, got ${fmtValue(String(tensor))}`);
    }
    if (!this.#buffers.has(name) && name in this) {
      throw new NnError(op, `'${name}': expected a new name, got the name of an existing attribute`);
    }
    if (tensor !== null) keep(tensor);
    this.#buffers.set(name, tensor);
    if (options.persistent === false) this.#transient.add(name);
    else this.#transient.delete(name);
  }

  getBuffer(name: string): Tensor | null {
    const t = this.#buffers.get(name);
    if (t === undefined) {
      throw new NnError(
        'Module.getBuffer',
        `expected one of ${fmtValue([...this.#buffers.keys()])}, got '${name}'`,
      );
    }
    return t;
  }

  /** A name may be (re)registered when it is new, or already holds a value of the same kind (or null). */
  #claim(op: string, name: string, sameKind: (v: unknown) => boolean): void {
    const own = Object.getOwnPropertyDescriptor(this, name);
    const ok =
      own === undefined
        ? !(name in this) && !this.#buffers.has(name)
        : own.value === null || own.value === undefined || sameKind(own.value);
    if (!ok) throw new NnError(op, `'${name}': expected a new name, got the name of an existing attribute`);
  }

  // ----- traversal

  #own<T>(test: (v: unknown) => v is T): [string, T][] {
    const out: [string, T][] = [];
    for (const key of Object.keys(this)) {
      const v = (this as unknown as Record<string, unknown>)[key];
      if (test(v)) out.push([key, v]);
    }
    return out;
  }

  /** This module's own parameters (not its children's), in registration order. */
  #ownParameters(): [string, Parameter][] {
    return this.#own((v): v is Parameter => v instanceof Parameter);
  }

  #ownBuffers(): [string, Tensor][] {
    return [...this.#buffers].filter((e): e is [string, Tensor] => e[1] !== null);
  }

  namedChildren(): [string, Module][] {
    return this.#own((v): v is Module => v instanceof Module);
  }

  children(): Module[] {
    return this.namedChildren().map((e) => e[1]);
  }

  /** This module and every descendant, depth first, each once (`''` names this module). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const walk = (m: Module, name: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [k, c] of m.namedChildren()) walk(c, name === '' ? k : `${name}.${k}`);
    };
    walk(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map((e) => e[1]);
  }

  /** Every parameter with its dotted name (`0.0.weight`), each once (a shared one under its first name). */
  namedParameters(): [string, Parameter][] {
    return this.#collect((m) => m.#ownParameters());
  }

  parameters(): Parameter[] {
    return this.namedParameters().map((e) => e[1]);
  }

  namedBuffers(): [string, Tensor][] {
    return this.#collect((m) => m.#ownBuffers());
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map((e) => e[1]);
  }

  #collect<T extends Tensor>(own: (m: Module) => [string, T][]): [string, T][] {
    const out: [string, T][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, t] of own(m)) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([prefix === '' ? k : `${prefix}.${k}`, t]);
      }
    }
    return out;
  }

  /** The module at a dotted path (`'0.1'`); `''` is this module. */
  getSubmodule(target: string): Module {
    if (target === '') return this;
    let m: Module = this;
    for (const part of target.split('.')) {
      const child = m.namedChildren().find((e) => e[0] === part)?.[1];
      if (child === undefined) {
        throw new NnError(
          'Module.getSubmodule',
          `'${target}': expected a child of ${m.constructor.name} among ${fmtValue(m.namedChildren().map((e) => e[0]))}, got '${part}'`,
        );
      }
      m = child;
    }
    return m;
  }

  /** The parameter at a dotted path (`'0.0.weight'`). */
  getParameter(target: string): Parameter {
    const [owner, name] = this.#split(target);
    const p = owner.#ownParameters().find((e) => e[0] === name)?.[1];
    if (p === undefined) {
      throw new NnError(
        'Module.getParameter',
        `'${target}': expected a parameter among ${fmtValue(owner.#ownParameters().map((e) => e[0]))}, got '${name}'`,
      );
    }
    return p;
  }

  /**
   * Replaces the parameter at a dotted path by another of the same shape (for instance a view into one
   * flat buffer). Anything holding the old one (an optimizer) keeps the old one.
   */
  setParameter(target: string, param: Parameter): void {
    const old = this.getParameter(target);
    if (!(param instanceof Parameter) || old.shape.join() !== param.shape.join()) {
      throw new NnError(
        'Module.setParameter',
        `'${target}': expected a Parameter of shape ${fmtValue(old.shape)}, got ${param instanceof Parameter ? `shape ${fmtValue(param.shape)}` : fmtValue(String(param))}`,
      );
    }
    const [owner, name] = this.#split(target);
    owner.registerParameter(name, param);
  }

  #split(target: string): [Module, string] {
    const dot = target.lastIndexOf('.');
    return dot < 0 ? [this, target] : [this.getSubmodule(target.slice(0, dot)), target.slice(dot + 1)];
  }

  // ----- modes and bulk operations

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    if (typeof mode !== 'boolean')
      throw new NnError('Module.train', `expected a boolean, got ${fmtValue(mode)}`);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Calls fn on every child (recursively, children first) and then on this module, as PyTorch. */
  apply(fn: (module: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /** Clears (default, as PyTorch 2) or zeroes every parameter's gradient. */
  zeroGrad(setToNone = true): void {
    zeroGrad(this.parameters(), { setToNone });
  }

  /**
   * Converts every float parameter and buffer to a float dtype and/or a device. Tensor dtypes are
   * immutable, so each is replaced by a new Parameter (keeping requiresGrad and a converted grad) and the
   * old one is disposed: create optimizers after `to`, never before. Integer buffers
   * (`num_batches_tracked`) keep their dtype.
   */
  to(target: DType | Device | { dtype?: DType; device?: Device }): this {
    const { dtype, device } = conversion(target);
    const convertible = (t: Tensor) =>
      (dtype !== undefined && DTYPES[t.dtype].isFloat && t.dtype !== dtype) ||
      (device !== undefined && t.device !== device);
    const convert = (t: Tensor): Tensor =>
      t.to({
        dtype: dtype !== undefined && DTYPES[t.dtype].isFloat ? dtype : t.dtype,
        device: device ?? t.device,
      });
    const replaced = new Map<Tensor, Tensor>();
    noGrad(() => {
      for (const m of this.modules()) {
        for (const [name, p] of m.#ownParameters()) {
          if (!convertible(p)) continue;
          let np = replaced.get(p) as Parameter | undefined;
          if (np === undefined) {
            const data = convert(p);
            np = new Parameter(data, p.requiresGrad);
            data.dispose();
            if (p.grad !== null) np.grad = convert(p.grad);
            replaced.set(p, np);
          }
          m.registerParameter(name, np);
        }
        for (const [name, b] of m.#ownBuffers()) {
          if (!convertible(b)) continue;
          let nb = replaced.get(b);
          if (nb === undefined) {
            nb = convert(b);
            replaced.set(b, nb);
          }
          m.registerBuffer(name, nb, { persistent: !m.#transient.has(name) });
        }
      }
    });
    for (const old of replaced.keys()) {
      old.grad = null; // disposes it
      old.dispose();
    }
    return this;
  }

  half(): this {
    return this.to('float16');
  }

  float(): this {
    return this.to('float32');
  }

  /** Frees every parameter (and its grad) and buffer; the module cannot be used afterwards. */
  dispose(): void {
    for (const t of [...this.parameters(), ...this.buffers()]) {
      t.grad = null; // disposes it
      t.dispose();
    }
  }

  // ----- state dict

  #slots(): Map<string, Slot> {
    const out = new Map<string, Slot>();
    const walk = (m: Module, prefix: string) => {
      for (const [name, tensor] of m.#ownParameters())
        out.set(prefix + name, { module: m, name, kind: 'parameter', tensor });
      for (const [name, tensor] of m.#ownBuffers())
        if (!m.#transient.has(name)) out.set(prefix + name, { module: m, name, kind: 'buffer', tensor });
      for (const [name, c] of m.namedChildren()) walk(c, `${prefix}${name}.`);
    };
    walk(this, '');
    return out;
  }

  /**
   * Parameters and persistent buffers under PyTorch's key names and order (a module's parameters, then its
   * buffers, then each child's). The values are detached views sharing the module's storage.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [key, slot] of this.#slots()) out[key] = slot.tensor.detach();
    return out;
  }

  /**
   * Copies a state dict's tensors into the module's parameters and buffers (the parameter objects stay the
   * same, so an optimizer holding them sees the new values), converting each to the parameter's dtype.
   * Every key is checked before anything is copied: a tensor of another shape always throws; with `strict`
   * (the default) so does a missing or an unexpected key.
   */
  loadStateDict(dict: StateDictInput, options: { strict?: boolean } = {}): LoadStateDictResult {
    const op = 'Module.loadStateDict';
    const strict = options.strict ?? true;
    if (dict === null || typeof dict !== 'object') {
      throw new NnError(op, `expected a state dict (an object or a Map of tensors), got ${fmtValue(dict)}`);
    }
    const entries = dict instanceof Map ? [...dict] : Object.entries(dict);
    const slots = this.#slots();
    const given = new Set<string>();
    const copies: [Tensor, Tensor][] = [];
    for (const [key, value] of entries) {
      given.add(key);
      const slot = slots.get(key);
      if (slot === undefined) continue;
      if (!isTensor(value)) throw new StateDictError(op, key, 'a Tensor', String(value), 'value');
      value.assertLive(op);
      if (value.shape.join() !== slot.tensor.shape.join()) {
        throw new StateDictError(op, key, slot.tensor.shape, value.shape, `shape of the ${slot.kind}`);
      }
      copies.push([slot.tensor, value]);
    }
    const missingKeys = [...slots.keys()].filter((k) => !given.has(k));
    const unexpectedKeys = [...given].filter((k) => !slots.has(k));
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      throw new StateDictKeysError(op, missingKeys, unexpectedKeys);
    }
    noGrad(() => {
      for (const [target, src] of copies) target.copy_(src);
    });
    return { missingKeys, unexpectedKeys };
  }

  // ----- printing

  /** The constructor arguments shown by toString, as PyTorch's extra_repr. */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const children = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (children.length === 0) return `${head})`;
    const lines = children.map(([k, c]) => `  (${k}): ${c.toString().replaceAll('\n', '\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}
