// The CUDA GEMM's host-checkable logic, run on the host (test/cuda-gemm-host.test.ts):
//   simt-*     the SIMT kernel's tile functions (gemm_tiles.cuh) run over a whole grid, thread after
//              thread in __syncthreads order, against a plain fma loop: bit for bit (same k order)
//   wmma-*     the tensor-core kernel's tile loads and epilogue, with the 16 x 16 x 16 fragment products
//              replaced by a plain loop in k order: bit for bit against the same loop without tiles
//   lt-plan    cuBLASLt's operand plan (cublaslt.cuh), executed as cuBLASLt would (column-major, op N/T,
//              strided batch), against the plain product, over many strided shapes; and which layouts
//              are refused
//   lt-paths   the library search order under given environment variables
//   batch      matmul's batch plan (matmul_batch.cuh): its loop and strided batch visit the batch entries
//              of a, b and out in order, over permuted, broadcast, sliced and size-1 batch dims
// Prints "<name> <checked> <mismatches> [first mismatch]" per family, then "done".
#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "../../../../kernels/cuda/cublaslt.cuh"
#include "../../../../kernels/cuda/gemm_tiles.cuh"
#include "../../../../kernels/cuda/matmul_batch.cuh"

namespace {

using namespace mt;
using namespace mt::cuda;
using namespace mt::cuda::gemm;
using namespace mt::cuda::gemm::lt;
using mt::cuda::BatchPlan;
using mt::cuda::batch_plan;

struct Tally {
  const char* name;
  unsigned long long checked = 0, bad = 0;
  char first[200] = "";
  void check(bool ok, const char* what) {
    ++checked;
    if (ok) return;
    if (bad++ == 0) std::snprintf(first, sizeof first, "%s", what);
  }
  ~Tally() { std::printf("%s %llu %llu %s\n", name, checked, bad, first); }
};

unsigned long long state = 0x9E3779B97F4A7C15ull;
unsigned long long next_random() {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}
double uniform() { return double(next_random() >> 11) * 0x1p-53 * 2.0 - 1.0; }

template <class T>
T from_value(double v) {
  if constexpr (std::is_same_v<T, f16>) return dev_float_to_f16(float(v));
  else if constexpr (std::is_same_v<T, bf16>) return dev_float_to_bf16(float(v));
  else return T(v);
}

template <class T>
uint64_t raw(T x) {
  if constexpr (std::is_same_v<T, f16> || std::is_same_v<T, bf16>) return x.bits;
  else if constexpr (std::is_same_v<T, float>) return bits_of(x);
  else return bits_of(x);
}

// A strided batch of matrices in one buffer: element (b, i, j) at b * bs + i * rs + j * cs.
template <class T>
struct Buf {
  std::vector<T> data;
  int64_t rows, cols, rs, cs, bs;
};

// Layout kinds: 0 row-major, 1 column-major (a transposed view), 2 padded rows (a slice), 3 both strides > 1.
template <class T>
Buf<T> make(int64_t batch, int64_t rows, int64_t cols, int kind, bool fill) {
  Buf<T> m{{}, rows, cols, 0, 0, 0};
  if (kind == 0) m.rs = cols, m.cs = 1;
  else if (kind == 1) m.rs = 1, m.cs = rows;
  else if (kind == 2) m.rs = cols + 3, m.cs = 1;
  else m.rs = 2 * cols + 1, m.cs = 2;
  m.bs = rows * m.rs + cols * m.cs + 5;
  m.data.resize(size_t(batch * m.bs + 1));
  for (auto& x : m.data) x = from_value<T>(fill ? uniform() * 4 : 0.0);
  return m;
}

template <class T, class C, class Acc>
Acc reference_acc(const Buf<T>& a, const Buf<T>& b, int64_t e, int64_t i, int64_t j, int64_t k) {
  Acc acc = 0;
  for (int64_t p = 0; p < k; ++p)
    acc = fma_rn(Acc(dload(a.data[size_t(e * a.bs + i * a.rs + p * a.cs)])),
                 Acc(dload(b.data[size_t(e * b.bs + p * b.rs + j * b.cs)])), acc);
  return acc;
}

template <class T, class C, class Acc>
void simt_case(Tally& t, int64_t batch, int64_t m, int64_t n, int64_t k, int ka, int kb, int kc, double alpha,
               double beta) {
  Buf<T> a = make<T>(batch, m, k, ka, true), b = make<T>(batch, k, n, kb, true);
  Buf<C> c = make<C>(batch, m, n, kc, true);
  Buf<C> want = c;
  Args<Acc> p{a.data.data(), b.data.data(), c.data.data(), m, n, k, batch, a.rs, a.cs, a.bs, b.rs, b.cs, b.bs,
              c.rs, c.cs, c.bs, Acc(alpha), Acc(beta)};
  for (int64_t e = 0; e < batch; ++e)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        epilogue<C, Acc>(&want.data[size_t(e * c.bs + i * c.rs + j * c.cs)], reference_acc<T, C, Acc>(a, b, e, i, j, k),
                         Acc(alpha), Acc(beta));
  // The grid, block after block; within a block the phases in __syncthreads order.
  static SimtSmem<Acc> s;
  static Acc acc[Simt::THREADS][Simt::TM][Simt::TN];
  for (int64_t e = 0; e < batch; ++e)
    for (int64_t row0 = 0; row0 < m; row0 += Simt::BM)
      for (int64_t col0 = 0; col0 < n; col0 += Simt::BN) {
        for (auto& x : acc)
          for (auto& r : x)
            for (auto& v : r) v = Acc(0);
        for (int64_t k0 = 0; k0 < k; k0 += Simt::BK) {
          std::memset(&s, 0xFF, sizeof s);  // stale shared memory: every element read must be written first
          for (int tid = 0; tid < Simt::THREADS; ++tid) simt_load<T, Acc>(s, p, e, row0, col0, k0, tid);
          const int kmax = k - k0 < Simt::BK ? int(k - k0) : Simt::BK;
          for (int tid = 0; tid < Simt::THREADS; ++tid) simt_step<Acc>(s, acc[tid], kmax, tid);
        }
        for (int tid = 0; tid < Simt::THREADS; ++tid) simt_store<C, Acc>(p, acc[tid], e, row0, col0, tid);
      }
  // Every element of c's buffer: outputs equal, and nothing outside the outputs written.
  for (size_t x = 0; x < c.data.size(); ++x) {
    char what[200];
    std::snprintf(what, sizeof what, "batch %lld m %lld n %lld k %lld layouts %d%d%d: element %zu %llx vs %llx",
                  (long long)batch, (long long)m, (long long)n, (long long)k, ka, kb, kc, x,
                  (unsigned long long)raw(c.data[x]), (unsigned long long)raw(want.data[x]));
    t.check(raw(c.data[x]) == raw(want.data[x]), what);
  }
}

template <class T, class C>
void wmma_case(Tally& t, int64_t batch, int64_t m, int64_t n, int64_t k, int ka, int kb, int kc, double alpha,
               double beta) {
  Buf<T> a = make<T>(batch, m, k, ka, true), b = make<T>(batch, k, n, kb, true);
  Buf<C> c = make<C>(batch, m, n, kc, true);
  Buf<C> want = c;
  Args<float> p{a.data.data(), b.data.data(), c.data.data(), m, n, k, batch, a.rs, a.cs, a.bs, b.rs, b.cs, b.bs,
                c.rs, c.cs, c.bs, float(alpha), float(beta)};
  // The reference runs over the padded k of the tiles too: 0 x 0 added, as the fragments do.
  const int64_t kpad = (k + Wmma::BK - 1) / Wmma::BK * Wmma::BK;
  for (int64_t e = 0; e < batch; ++e)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float acc = reference_acc<T, C, float>(a, b, e, i, j, k);
        for (int64_t q = k; q < kpad; ++q) acc = fma_rn(0.0f, 0.0f, acc);
        epilogue<C, float>(&want.data[size_t(e * c.bs + i * c.rs + j * c.cs)], acc, float(alpha), float(beta));
      }
  static WmmaSmem s;
  for (int64_t e = 0; e < batch; ++e)
    for (int64_t row0 = 0; row0 < m; row0 += Wmma::BM)
      for (int64_t col0 = 0; col0 < n; col0 += Wmma::BN) {
        static float acc[Wmma::BM][Wmma::BN];
        for (auto& r : acc)
          for (auto& v : r) v = 0;
        for (int64_t k0 = 0; k0 < k; k0 += Wmma::BK) {
          std::memset(&s.a, 0xFF, sizeof s.a);
          std::memset(&s.b, 0xFF, sizeof s.b);
          for (int tid = 0; tid < Wmma::THREADS; ++tid) wmma_load<T>(s, p, e, row0, col0, k0, tid);
          // The fragments' product over the whole k-step (no kmax: the tiles are zero-padded).
          for (int r = 0; r < Wmma::BM; ++r)
            for (int col = 0; col < Wmma::BN; ++col)
              for (int kk = 0; kk < Wmma::BK; ++kk)
                acc[r][col] = fma_rn(dev_half_to_float(T{s.a[r][kk]}), dev_half_to_float(T{s.b[kk][col]}), acc[r][col]);
        }
        for (int r = 0; r < Wmma::BM; ++r)
          for (int col = 0; col < Wmma::BN; ++col) s.c[r][col] = acc[r][col];
        for (int tid = 0; tid < Wmma::THREADS; ++tid) wmma_store<C>(s, p, e, row0, col0, tid);
      }
  for (size_t x = 0; x < c.data.size(); ++x) {
    char what[200];
    std::snprintf(what, sizeof what, "batch %lld m %lld n %lld k %lld layouts %d%d%d: element %zu %llx vs %llx",
                  (long long)batch, (long long)m, (long long)n, (long long)k, ka, kb, kc, x,
                  (unsigned long long)raw(c.data[x]), (unsigned long long)raw(want.data[x]));
    t.check(raw(c.data[x]) == raw(want.data[x]), what);
  }
}

const int64_t kSizes[] = {1, 7, 16, 33, 64, 65, 129};

template <class T, class C, class Acc>
void simt_family(const char* name) {
  Tally t{name};
  for (int64_t m : kSizes)
    for (int64_t n : kSizes)
      for (int64_t k : {int64_t(0), int64_t(1), int64_t(17), int64_t(33)}) {
        const int ka = int(next_random() % 4), kb = int(next_random() % 4), kc = int(next_random() % 4);
        const bool ab = next_random() % 2 == 0;
        simt_case<T, C, Acc>(t, 1 + int64_t(next_random() % 2), m, n, k, ka, kb, kc, ab ? 1.0 : 0.5, ab ? 0.0 : -2.0);
      }
}

template <class T, class C>
void wmma_family(const char* name) {
  Tally t{name};
  for (int64_t m : kSizes)
    for (int64_t n : kSizes)
      for (int64_t k : {int64_t(0), int64_t(1), int64_t(32), int64_t(47), int64_t(64)}) {
        const int ka = int(next_random() % 4), kb = int(next_random() % 4), kc = int(next_random() % 4);
        const bool ab = next_random() % 2 == 0;
        wmma_case<T, C>(t, 1 + int64_t(next_random() % 2), m, n, k, ka, kb, kc, ab ? 1.0 : 0.5, ab ? 0.0 : -2.0);
      }
}

// What cuBLASLt computes for a plan: column-major D = op(A) op(B) per batch entry, in double.
void lt_plan_family() {
  Tally t{"lt-plan"};
  for (int trial = 0; trial < 4000; ++trial) {
    const int64_t m = 1 + int64_t(next_random() % 9), n = 1 + int64_t(next_random() % 9);
    const int64_t k = 1 + int64_t(next_random() % 9), batch = 1 + int64_t(next_random() % 3);
    const int ka = int(next_random() % 4), kb = int(next_random() % 4);
    const int kc = int(next_random() % 3);  // C: row-major, column-major or padded rows
    Buf<double> a = make<double>(batch, m, k, ka, true), b = make<double>(batch, k, n, kb, true);
    Buf<double> c = make<double>(batch, m, n, kc, false);
    if (next_random() % 5 == 0) b.bs = 0;  // a broadcast operand
    const Plan p = plan(m, n, k, Operand{a.data.data(), a.rs, a.cs, a.bs}, Operand{b.data.data(), b.rs, b.cs, b.bs},
                        Output{c.data.data(), c.rs, c.cs, c.bs}, batch);
    // Expressible exactly when no operand has both strides > 1 (kind 3) on axes longer than 1.
    const bool general_a = ka == 3 && m > 1 && k > 1, general_b = kb == 3 && k > 1 && n > 1;
    char what[200];
    std::snprintf(what, sizeof what, "m %lld n %lld k %lld batch %lld layouts %d%d%d: ok %d", (long long)m,
                  (long long)n, (long long)k, (long long)batch, ka, kb, kc, int(p.ok));
    t.check(p.ok == !(general_a || general_b), what);
    if (!p.ok) continue;
    const double* pa = static_cast<const double*>(p.pa);
    const double* pb = static_cast<const double*>(p.pb);
    // Shapes as cuBLASLt checks them: the stored matrix of op(X) = X^T is X's transpose.
    bool shapes = (p.a.trans ? p.a.cols : p.a.rows) == p.m && (p.a.trans ? p.a.rows : p.a.cols) == p.k &&
                  (p.b.trans ? p.b.cols : p.b.rows) == p.k && (p.b.trans ? p.b.rows : p.b.cols) == p.n &&
                  p.c.rows == p.m && p.c.cols == p.n && p.a.ld >= p.a.rows && p.b.ld >= p.b.rows &&
                  p.c.ld >= p.c.rows;
    t.check(shapes, what);
    if (!shapes) continue;
    double* pc = c.data.data();
    for (int64_t e = 0; e < batch; ++e)
      for (int64_t i = 0; i < p.m; ++i)
        for (int64_t j = 0; j < p.n; ++j) {
          double s = 0;
          for (int64_t q = 0; q < p.k; ++q) {
            const double x = p.a.trans ? pa[e * p.bsa + q + i * p.a.ld] : pa[e * p.bsa + i + q * p.a.ld];
            const double y = p.b.trans ? pb[e * p.bsb + j + q * p.b.ld] : pb[e * p.bsb + q + j * p.b.ld];
            s += x * y;
          }
          pc[e * p.bsc + i + j * p.c.ld] = s;
        }
    for (int64_t e = 0; e < batch; ++e)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double s = 0;
          for (int64_t q = 0; q < k; ++q)
            s += a.data[size_t(e * a.bs + i * a.rs + q * a.cs)] * b.data[size_t(e * b.bs + q * b.rs + j * b.cs)];
          const double got = c.data[size_t(e * c.bs + i * c.rs + j * c.cs)];
          std::snprintf(what, sizeof what, "m %lld n %lld k %lld layouts %d%d%d swapped %d: (%lld,%lld,%lld) %g vs %g",
                        (long long)m, (long long)n, (long long)k, ka, kb, kc, int(p.swapped), (long long)e,
                        (long long)i, (long long)j, got, s);
          t.check(std::fabs(got - s) <= 1e-9 * (1 + std::fabs(s)), what);
        }
  }
  // Refused outright: a zero batch stride on C, extents beyond int32, k = 0.
  const double x = 0;
  t.check(!plan(2, 2, 2, {&x, 2, 1, 4}, {&x, 2, 1, 4}, {nullptr, 2, 1, 0}, 2).ok, "C batch stride 0 accepted");
  t.check(!plan(int64_t(1) << 31, 2, 2, {&x, 2, 1, 0}, {&x, 2, 1, 0}, {nullptr, 2, 1, 0}, 1).ok, "m = 2^31 accepted");
  t.check(!plan(2, 2, 0, {&x, 0, 1, 0}, {&x, 2, 1, 0}, {nullptr, 2, 1, 0}, 1).ok, "k = 0 accepted");
  t.check(plan(4, 5, 6, {&x, 6, 1, 0}, {&x, 5, 1, 0}, {nullptr, 5, 1, 0}, 1).swapped, "row-major C not swapped");
  t.check(!plan(4, 5, 6, {&x, 6, 1, 0}, {&x, 5, 1, 0}, {nullptr, 1, 4, 0}, 1).swapped, "column-major C swapped");
}

void lt_paths_family() {
  Tally t{"lt-paths"};
  auto run = [](std::map<std::string, std::string> env) {
    return candidates([&](const char* name) -> const char* {
      auto it = env.find(name);
      return it == env.end() ? nullptr : it->second.c_str();
    }, false);
  };
  const auto forced = run({{"MANTISSA_CUBLASLT", "/opt/x/libcublasLt.so.12"}, {"CUDA_HOME", "/h"}});
  t.check(forced.size() == 1 && forced[0] == "/opt/x/libcublasLt.so.12", "MANTISSA_CUBLASLT path is not the only one");
  t.check(run({{"MANTISSA_CUBLASLT", "0"}}).empty(), "MANTISSA_CUBLASLT=0 still searches");
  const auto all = run({{"CUDA_HOME", "/h"}, {"CUDA_PATH", "/p"}, {"MANTISSA_CUBLASLT", "1"}});
  const std::vector<std::string> want = {
      "/h/lib64/libcublasLt.so.13",
      "/h/lib64/libcublasLt.so.12",
      "/h/lib64/libcublasLt.so.11",
      "/h/lib64/libcublasLt.so",
      "/p/lib64/libcublasLt.so.13",
      "/p/lib64/libcublasLt.so.12",
      "/p/lib64/libcublasLt.so.11",
      "/p/lib64/libcublasLt.so",
      "/usr/local/cuda/lib64/libcublasLt.so.13", "/usr/local/cuda/lib64/libcublasLt.so.12",
      "/usr/local/cuda/lib64/libcublasLt.so.11", "/usr/local/cuda/lib64/libcublasLt.so",
      "libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11", "libcublasLt.so"};
  t.check(all == want, "search order with CUDA_HOME and CUDA_PATH");
  const auto none = run({});
  t.check(none.size() == 8 && none[0] == "/usr/local/cuda/lib64/libcublasLt.so.13" && none[4] == "libcublasLt.so.13",
          "search order without variables");
  // The globbed site-packages folders come after every fixed path.
  const auto globbed = candidates(std::getenv, true);
  bool order = globbed.size() >= 8;
  for (size_t i = 0; order && i < globbed.size(); ++i)
    if (globbed[i].find("site-packages") != std::string::npos || globbed[i].find("dist-packages") != std::string::npos)
      order = i >= 8;
  t.check(order, "site-packages before the fixed paths");
}


// Random batch layouts: batch dims of size 0..3, each tensor's dims in a random order of a contiguous
// buffer, some broadcast (stride 0) or sliced (every other index).
void batch_family() {
  Tally t{"batch"};
  for (int trial = 0; trial < 20000; ++trial) {
    const int nb = int(next_random() % 5), nd = nb + 2;
    int64_t shape[MT_MAX_DIMS];
    for (int d = 0; d < nb; ++d) shape[d] = int64_t(next_random() % 4);
    for (int d = 0; d < nb; ++d)
      if (shape[d] == 0 && next_random() % 8 != 0) shape[d] = 1 + int64_t(next_random() % 3);
    shape[nb] = 3;
    shape[nb + 1] = 2;
    mt_layout l[3];
    for (int tn = 0; tn < 3; ++tn) {
      l[tn].ndim = nd;
      l[tn].offset = int64_t(next_random() % 7);
      int order[MT_MAX_DIMS];
      for (int d = 0; d < nd; ++d) order[d] = d;
      if (next_random() % 2 == 0)
        for (int d = nb - 1; d > 0; --d) std::swap(order[d], order[next_random() % uint64_t(d + 1)]);
      int64_t stride = next_random() % 3 == 0 ? 2 : 1;
      for (int q = nd - 1; q >= 0; --q) {
        const int d = order[q];
        l[tn].shape[d] = shape[d];
        const bool broadcast = tn < 2 && d < nb && next_random() % 5 == 0;
        l[tn].strides[d] = broadcast ? 0 : stride;
        if (!broadcast) stride *= shape[d] > 0 ? shape[d] : 1;
      }
    }
    const mt_layout* const ls[3] = {&l[0], &l[1], &l[2]};
    const BatchPlan p = batch_plan(ls, nd);
    // The plain enumeration: every batch index in row-major order, its element offset in each tensor.
    std::vector<std::array<int64_t, 3>> want, got;
    int64_t total = 1;
    for (int d = 0; d < nb; ++d) total *= shape[d];
    std::vector<int64_t> idx(size_t(nb), 0);
    for (int64_t e = 0; e < total; ++e) {
      std::array<int64_t, 3> off{};
      for (int tn = 0; tn < 3; ++tn) {
        off[size_t(tn)] = l[tn].offset;
        for (int d = 0; d < nb; ++d) off[size_t(tn)] += idx[size_t(d)] * l[tn].strides[d];
      }
      want.push_back(off);
      for (int d = nb - 1; d >= 0; --d) {
        if (++idx[size_t(d)] < shape[d]) break;
        idx[size_t(d)] = 0;
      }
    }
    if (!p.empty) {
      int64_t outer_total = 1;
      for (int d : p.outer) outer_total *= shape[d];
      std::vector<int64_t> oi(p.outer.size(), 0);
      for (int64_t e = 0; e < outer_total; ++e) {
        for (int64_t i = 0; i < p.count; ++i) {
          std::array<int64_t, 3> off{};
          for (int tn = 0; tn < 3; ++tn) {
            off[size_t(tn)] = l[tn].offset + i * p.bs[tn];
            for (size_t q = 0; q < p.outer.size(); ++q) off[size_t(tn)] += oi[q] * l[tn].strides[p.outer[q]];
          }
          got.push_back(off);
        }
        for (size_t q = p.outer.size(); q-- > 0;) {
          if (++oi[q] < shape[p.outer[q]]) break;
          oi[q] = 0;
        }
      }
    }
    char what[200];
    std::snprintf(what, sizeof what, "trial %d: %zu batch entries planned, %zu expected (outer %zu, count %lld)", trial,
                  got.size(), want.size(), p.outer.size(), (long long)p.count);
    t.check(got == want, what);
  }
}

}  // namespace

int main() {
  simt_family<float, float, float>("simt-f32");
  simt_family<double, double, double>("simt-f64");
  simt_family<f16, f16, float>("simt-f16");
  simt_family<bf16, float, float>("simt-bf16-c-f32");
  wmma_family<f16, f16>("wmma-f16");
  wmma_family<bf16, bf16>("wmma-bf16");
  wmma_family<f16, float>("wmma-f16-c-f32");
  lt_plan_family();
  lt_paths_family();
  batch_family();
  std::printf("done\n");
  return 0;
}
