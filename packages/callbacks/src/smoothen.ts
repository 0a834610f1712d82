const f32 = Math.fround;

/**
 * fastai v1's SmoothenValue: a debiased exponential moving average. fastai fed it float32 loss tensors, so
 * every step rounded to float32 (β and 1 − β are cast to float32 as PyTorch casts a scalar operand); this
 * does the same, which keeps the printed train_loss identical to fastai's to the last digit.
 */
export class SmoothenValue {
  n = 0;
  movAvg = 0;
  smooth = 0;
  readonly #beta32: number;
  readonly #oneMinusBeta32: number;

  constructor(readonly beta: number) {
    this.#beta32 = f32(beta);
    this.#oneMinusBeta32 = f32(1 - beta);
  }

  addValue(val: number): void {
    this.n += 1;
    this.movAvg = f32(f32(this.#beta32 * this.movAvg) + f32(this.#oneMinusBeta32 * f32(val)));
    this.smooth = f32(this.movAvg / f32(1 - this.beta ** this.n));
  }
}
