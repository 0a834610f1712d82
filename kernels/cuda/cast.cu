// cast on the device: "decode exactly, round once" as kernels/cpu/half.h. Between float32 and the half
// types the float path is that same single rounding (every half value is exact in float); any pair
// involving float64, int32 or bool goes through double as the CPU reference does.
#include "elementwise.cuh"

using namespace mt;
using namespace mt::cuda;

namespace {

template <class T>
constexpr bool small_float_v = std::is_same_v<T, float> || std::is_same_v<T, f16> || std::is_same_v<T, bf16>;

template <class S, class D>
struct CastOp {
  __device__ void operator()(char** p) const {
    const S x = ld<S>(p[0]);
    if constexpr (std::is_same_v<S, D>) {
      st<D>(p[1], x);  // a strided copy: the bits as stored
    } else if constexpr (small_float_v<S> && small_float_v<D>) {
      st<D>(p[1], dstore<D>(dload<S>(x)));
    } else {
      st<D>(p[1], cuda::from_double<D>(cuda::to_double<S>(x)));
    }
  }
};

}  // namespace

extern "C" mt_status mt_cuda_k_cast(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) {
  if (mt_status s = check_elementwise("cast", args, nargs, err)) return s;
  dispatch_all(args[0].dtype, [&](auto s) {
    dispatch_all(args[1].dtype, [&](auto d) { launch_elementwise<2>(args, CastOp<decltype(s), decltype(d)>{}); });
  });
  return MT_OK;
}
