const f = Math.fround;

/**
 * numpy's pairwise sum of a float32 array (blocks of 8 accumulators up to 128 elements, halves above),
 * every addition rounded to float32, so a mean computed with numpy in fastai gives the same bits here.
 */
function pairwiseSum(a: readonly number[], start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = f(res + a[start + i]!);
    return res;
  }
  if (n <= 128) {
    const r = Array.from({ length: 8 }, (_, j) => a[start + j]!);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = f(r[j]! + a[start + i + j]!);
    let res = f(f(f(r[0]! + r[1]!) + f(r[2]! + r[3]!)) + f(f(r[4]! + r[5]!) + f(r[6]! + r[7]!)));
    for (; i < n; i++) res = f(res + a[start + i]!);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return f(pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2));
}

/**
 * fastai's validation loss: `(losses * sizes).sum() / sizes.sum()` on float32 numpy arrays (each batch
 * mean weighted by its batch size, so a short last batch counts for what it holds). NaN for no batch.
 */
export function float32WeightedMean(values: readonly number[], weights: readonly number[]): number {
  const products = values.map((v, i) => f(f(v) * f(weights[i]!)));
  const w = weights.map((x) => f(x));
  return f(pairwiseSum(products, 0, products.length) / pairwiseSum(w, 0, w.length));
}
