// Placeholders for the elementwise kernels; each answers a clear error until its family file lands.
#include "kernel.h"

#define MT_PENDING(name)                                                                             \
  extern "C" mt_status mt_k_##name(mt_tensor*, int32_t, const double*, int32_t, mt_error* err) { \
    return mt::fail(err, MT_ERR_INVALID_ARGUMENT, #name ": not implemented yet");                  \
  }
MT_PENDING(neg)
MT_PENDING(exp)
MT_PENDING(log)
MT_PENDING(sqrt)
MT_PENDING(rsqrt)
MT_PENDING(abs)
MT_PENDING(relu)
MT_PENDING(sigmoid)
MT_PENDING(tanh)
MT_PENDING(clamp)
MT_PENDING(isfinite)
MT_PENDING(isnan)
MT_PENDING(add)
MT_PENDING(sub)
MT_PENDING(mul)
MT_PENDING(div)
MT_PENDING(pow)
MT_PENDING(maximum)
MT_PENDING(minimum)
MT_PENDING(eq)
MT_PENDING(ne)
MT_PENDING(lt)
MT_PENDING(le)
MT_PENDING(gt)
MT_PENDING(ge)
MT_PENDING(where)
