// Placeholders for the reduction kernels; each answers a clear error until its family file lands.
#include "kernel.h"

#define MT_PENDING(name)                                                                             \
  extern "C" mt_status mt_k_##name(mt_tensor*, int32_t, const double*, int32_t, mt_error* err) { \
    return mt::fail(err, MT_ERR_INVALID_ARGUMENT, #name ": not implemented yet");                  \
  }
MT_PENDING(sum)
MT_PENDING(mean)
MT_PENDING(max)
MT_PENDING(min)
MT_PENDING(argmax)
MT_PENDING(var)
MT_PENDING(all_finite)
