import { BatchNorm1d, BatchNorm2d, Conv2d, Linear, type Module, type Parameter } from '@mantissa/nn';

/** A layer group: a module (whose direct children are classified) or the list of those children. */
export type LayerGroup = Module | readonly Module[];

/** The leaf modules of a model, in order (fastai's `flatten_model`): its default single layer group. */
export function flattenModel(model: Module): Module[] {
  const children = model.children();
  return children.length === 0 ? [model] : children.flatMap(flattenModel);
}

const trainable = (m: Module): Parameter[] => m.parameters().filter((p) => p.requiresGrad);

/**
 * fastai's `split_no_wd_params`: for each layer group, the parameters that get weight decay and those
 * that do not (batch-norm parameters and the biases of linear and convolution layers), as
 * [wd_0, noWd_0, wd_1, noWd_1, ...]. Only the direct children are looked at, so a batch norm nested in a
 * sub-module lands in the weight-decay list, exactly as in fastai.
 */
export function splitNoWdParams(layerGroups: readonly LayerGroup[]): Parameter[][] {
  const out: Parameter[][] = [];
  for (const group of layerGroups) {
    const children = Array.isArray(group) ? (group as readonly Module[]) : (group as Module).children();
    const wd: Parameter[] = [];
    const noWd: Parameter[] = [];
    for (const c of children) {
      if (c instanceof BatchNorm1d || c instanceof BatchNorm2d) {
        noWd.push(...trainable(c));
      } else if (c instanceof Linear || c instanceof Conv2d) {
        const bias = (c as unknown as { bias: Parameter | null }).bias;
        wd.push(...trainable(c).filter((p) => p !== bias));
        if (bias !== null && bias !== undefined) noWd.push(bias);
      } else {
        wd.push(...trainable(c));
      }
    }
    out.push([...new Set(wd)], [...new Set(noWd)]);
  }
  return out;
}
