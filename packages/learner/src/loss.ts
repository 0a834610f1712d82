import { crossEntropy } from '@mantissa/nn';
import type { Tensor } from '@mantissa/tensor';

/**
 * fastai's `CrossEntropyFlat()` (`FlattenedLoss(nn.CrossEntropyLoss, axis=-1)`): the class axis is the
 * last one; output and target are flattened to (N, C) and (N) and the mean cross-entropy is taken. The
 * default loss of a Learner whose data has class labels.
 */
export function crossEntropyFlat(output: Tensor, target: Tensor): Tensor {
  if (output.ndim === 2 && target.ndim === 1) return crossEntropy(output, target);
  const c = output.shape.at(-1) ?? 1;
  // Inside the loop's per-batch scope: the reshaped views are freed with the batch.
  return crossEntropy(output.reshape([-1, c]), target.reshape([-1]));
}
