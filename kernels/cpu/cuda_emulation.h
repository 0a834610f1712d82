// The host emulation of one CUDA device (cuda_emulation.cc); see mantissa/cuda_backend.h.
#pragma once

#include "mantissa/cuda_backend.h"

namespace mt {
const mt_cuda_backend* cuda_emulation();
}
