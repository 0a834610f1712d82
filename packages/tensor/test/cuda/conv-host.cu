// Runs the CUDA conv2d drivers (kernels/cuda/conv2d_im2col.cuh) on the host: every launch becomes a
// loop over the same __host__ __device__ functor, gemm::product a plain loop with the reference
// GEMM's numerics (kernels/cuda/gemm.cu). test/cuda-conv-host.test.ts feeds it cases on stdin and
// compares what it prints with the CPU kernels' results, so the GPU path's index math, chunking and
// GEMM operand strides are checked without a GPU (built with AddressSanitizer: a read or write outside
// a workspace or an input fails the run).
//
// stdin: the case count, then per case
//   dtype (0 float64, 1 float32, 2 float16, 3 bfloat16) budget n c h w co kh kw sh sw ph pw dh dw groups has_bias
//   xperm[4] wperm[4] gyperm[4]   (storage axis j holds logical axis perm[j])
//   x, w, [bias], gy: the storage values of each
// stdout: per case three lines "y ...", "dx ...", "dw ..." (logical row-major order) with int32 index
// math, the same three with int64 index math, then "done".
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "../../../../kernels/cuda/conv2d_im2col.cuh"

using namespace mt;
using namespace mt::cuda;
using namespace mt::cuda::conv2d;

namespace {

struct HostExec {
  bool wide;
  mt_status alloc(size_t bytes, void** p, mt_error*) {
    *p = std::malloc(bytes);
    // Workspace starts as garbage, as device memory from the cache would: NaN bytes for floats.
    std::memset(*p, 0xFF, bytes);
    return MT_OK;
  }
  void release(void* p, size_t) { std::free(p); }
  template <class F>
  mt_status each(const char*, int64_t total, const F& f, mt_error*) {
    for (int64_t t = 0; t < total; ++t) f(t);
    return MT_OK;
  }
  template <class T, class C>
  static void gemm(int64_t m, int64_t n, int64_t k, gemm::Operand a, gemm::Operand b, gemm::Output c, double alpha,
                   double beta, int64_t batch) {
    using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
    for (int64_t e = 0; e < batch; ++e)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          const T* pa = static_cast<const T*>(a.base) + e * a.bs + i * a.rs;
          const T* pb = static_cast<const T*>(b.base) + e * b.bs + j * b.cs;
          A acc = 0;
          for (int64_t p = 0; p < k; ++p) acc = std::fma(A(dload(pa[p * a.cs])), A(dload(pb[p * b.rs])), acc);
          C* pc = static_cast<C*>(c.base) + e * c.bs + i * c.rs + j * c.cs;
          A v = A(alpha) * acc;
          if (beta != 0) v = v + A(beta) * A(dload(*pc));
          *pc = dstore<C>(v);
        }
  }
  mt_status product(const char*, int32_t dtype, bool c_f32, int64_t m, int64_t n, int64_t k, gemm::Operand a,
                    gemm::Operand b, gemm::Output c, double alpha, double beta, int64_t batch, mt_error*) {
    if (m == 0 || n == 0 || batch == 0) return MT_OK;
    switch (dtype) {
      case MT_FLOAT32:
        gemm<float, float>(m, n, k, a, b, c, alpha, beta, batch);
        break;
      case MT_FLOAT64:
        gemm<double, double>(m, n, k, a, b, c, alpha, beta, batch);
        break;
      case MT_FLOAT16:
        if (c_f32) gemm<f16, float>(m, n, k, a, b, c, alpha, beta, batch);
        else gemm<f16, f16>(m, n, k, a, b, c, alpha, beta, batch);
        break;
      default:
        if (c_f32) gemm<bf16, float>(m, n, k, a, b, c, alpha, beta, batch);
        else gemm<bf16, bf16>(m, n, k, a, b, c, alpha, beta, batch);
    }
    return MT_OK;
  }
};

double read_number() {
  double v;
  if (std::scanf("%lf", &v) != 1) {
    std::fprintf(stderr, "conv-host: bad input\n");
    std::exit(2);
  }
  return v;
}

// A tensor read from stdin in storage order, viewed through the permutation as logical [a, b, c, d].
// The storage sits a few elements into its buffer so that the view has an offset.
template <class T>
struct Input {
  std::vector<T> store;
  View4<T> view;
  Input(const int64_t* shape, const int* perm) {
    int64_t sshape[4], sstride[4], count = 1;
    for (int j = 0; j < 4; ++j) count *= (sshape[j] = shape[perm[j]]);
    sstride[3] = 1;
    for (int j = 2; j >= 0; --j) sstride[j] = sstride[j + 1] * sshape[j + 1];
    store.resize(size_t(count + 3));
    for (int64_t e = 0; e < count; ++e) store[size_t(e + 3)] = mt::cuda::from_double<T>(read_number());
    view.base = store.data() + 3;
    for (int j = 0; j < 4; ++j) view.s[perm[j]] = sstride[j];
  }
};

template <class T>
void print(const char* name, const std::vector<T>& v) {
  std::printf("%s", name);
  for (const T& e : v) std::printf(" %.17g", mt::cuda::to_double(e));
  std::printf("\n");
}

// Reads one case's inputs and runs the three drivers on them twice: with int32 index math where the
// drivers allow it, then with int64 throughout (the form large tensors take on the device).
template <class T>
void run_case(const Geometry& g, int64_t budget, bool has_bias, const int* xperm, const int* wperm, const int* gyperm) {
  const int64_t xshape[4] = {g.n, g.c, g.h, g.w}, wshape[4] = {g.co, g.cg, g.kh, g.kw};
  const int64_t gshape[4] = {g.n, g.co, g.oh, g.ow};
  Input<T> x(xshape, xperm), w(wshape, wperm);
  std::vector<T> bias;
  for (int64_t o = 0; has_bias && o < g.co; ++o) bias.push_back(mt::cuda::from_double<T>(read_number()));
  Input<T> gy(gshape, gyperm);
  for (const bool wide : {false, true}) {
    HostExec ex{wide};
    mt_error err{};
    std::vector<T> y(size_t(g.n * g.co * g.p)), dx(size_t(g.n * g.c * g.h * g.w)), dw(size_t(g.co * g.kg));
    mt_status st =
        forward<T>(ex, "conv2d", g, x.view, w.view, has_bias ? bias.data() : nullptr, 1, y.data(), budget, &err);
    if (st == MT_OK) st = backward_input<T>(ex, "conv2d_backward_input", g, gy.view, w.view, dx.data(), budget, &err);
    if (st == MT_OK) st = backward_weight<T>(ex, "conv2d_backward_weight", g, gy.view, x.view, dw.data(), budget, &err);
    if (st != MT_OK) {
      std::printf("error %s\n", err.message);
      continue;
    }
    print("y", y);
    print("dx", dx);
    print("dw", dw);
  }
}

}  // namespace

int main() {
  const int cases = int(read_number());
  for (int k = 0; k < cases; ++k) {
    const int dtype = int(read_number());
    const int64_t budget = int64_t(read_number());
    double a[15];
    for (double& v : a) v = read_number();
    int perms[12];
    for (int& p : perms) p = int(read_number());
    // The geometry as the kernels get it: conv::plan on the three layouts.
    mt_layout in{}, wt{}, out{};
    in.ndim = wt.ndim = out.ndim = 4;
    const int64_t n = int64_t(a[0]), c = int64_t(a[1]), h = int64_t(a[2]), w = int64_t(a[3]);
    const int64_t co = int64_t(a[4]), kh = int64_t(a[5]), kw = int64_t(a[6]), groups = int64_t(a[13]);
    const double attrs[7] = {a[7], a[8], a[9], a[10], a[11], a[12], a[13]};
    const int64_t ins[4] = {n, c, h, w}, wts[4] = {co, c / groups, kh, kw};
    const int64_t oh = (h + 2 * int64_t(a[9]) - (kh - 1) * int64_t(a[11]) - 1) / int64_t(a[7]) + 1;
    const int64_t ow = (w + 2 * int64_t(a[10]) - (kw - 1) * int64_t(a[12]) - 1) / int64_t(a[8]) + 1;
    const int64_t outs[4] = {n, co, oh, ow};
    for (int d = 0; d < 4; ++d) in.shape[d] = ins[d], wt.shape[d] = wts[d], out.shape[d] = outs[d];
    Geometry g;
    mt_error err{};
    if (conv::plan("conv2d", in, wt, out, attrs, 7, &g, &err) != MT_OK) {
      std::printf("error %s\n", err.message);
      return 1;
    }
    const bool has_bias = a[14] != 0;
    switch (dtype) {
      case 0:
        run_case<double>(g, budget, has_bias, perms, perms + 4, perms + 8);
        break;
      case 1:
        run_case<float>(g, budget, has_bias, perms, perms + 4, perms + 8);
        break;
      case 2:
        run_case<f16>(g, budget, has_bias, perms, perms + 4, perms + 8);
        break;
      default:
        run_case<bf16>(g, budget, has_bias, perms, perms + 4, perms + 8);
    }
  }
  std::printf("done\n");
  return 0;
}
