import { broadcastStrides } from '../shape';
import { Tensor } from '../tensor';
import { castTo } from './cast';

/**
 * @internal An input prepared for a kernel: viewed at the output shape (stride 0 on broadcast dims)
 * and in the compute dtype. `release()` frees the temporaries this made.
 */
export function kernelInput(x: Tensor, shape: readonly number[], dtype: Tensor['dtype']): Tensor {
  const src = x.dtype === dtype ? x : castTo(x, dtype);
  const out = new Tensor(
    src.storage,
    shape,
    dtype,
    broadcastStrides(src.shape, src.strides, shape),
    src.offset,
    src.device,
  );
  if (src !== x) src.dispose();
  return out;
}
