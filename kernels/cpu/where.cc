// where: args (cond, a, b, out) of one (broadcast) shape; out = cond ? a : b. cond is bool; a, b and
// out share one dtype. Elements are copied as stored (no conversion), so every dtype is exact.
#include "elementwise.h"

namespace mt {
namespace {

template <class U>
void select_rows(const Rows<4>& rows) {
  rows.run([](char** p, const int64_t* s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const bool c = read_at<uint8_t>(p[0] + i * s[0]) != 0;
      write_at<U>(p[3] + i * s[3], read_at<U>(c ? p[1] + i * s[1] : p[2] + i * s[2]));
    }
  });
}

}  // namespace
}  // namespace mt

extern "C" mt_status mt_k_where(mt_tensor* args, int32_t nargs, const double*, int32_t, mt_error* err) {
  using namespace mt;
  if (nargs != 4) return fail(err, MT_ERR_INVALID_ARGUMENT, "where: expected 4 tensor arguments (cond, a, b, out), got %d", nargs);
  if (mt_status s = check_elementwise("where", args, nargs, err)) return s;
  if (args[0].dtype != MT_BOOL)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "where: condition dtype %s (expected bool)", dtype_name(args[0].dtype));
  const int32_t dt = args[3].dtype;
  if (args[1].dtype != dt || args[2].dtype != dt)
    return fail(err, MT_ERR_UNSUPPORTED_DTYPE, "where: a, b and out dtypes differ (%s, %s, %s)", dtype_name(args[1].dtype),
                dtype_name(args[2].dtype), dtype_name(dt));
  mt_tensor* t[4] = {&args[0], &args[1], &args[2], &args[3]};
  const int64_t size = itemsize(dt);
  const int64_t sizes[4] = {1, size, size, size};
  const Rows<4> rows(t, sizes);
  switch (size) {
    case 1:
      select_rows<uint8_t>(rows);
      break;
    case 2:
      select_rows<uint16_t>(rows);
      break;
    case 4:
      select_rows<uint32_t>(rows);
      break;
    default:
      select_rows<uint64_t>(rows);
  }
  return MT_OK;
}
