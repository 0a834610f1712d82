// matmul: batched C = alpha * A B + beta * C on strided float32/float16/bfloat16 operands, BLIS style.
//
// float64 is supported with a plain loop (for gradient checks).
//
// args: a [..., M, K], b [..., K, N], out [..., M, N], all with the same batch shape (a broadcast batch
// dim has stride 0) and dtype; attrs: [alpha = 1, beta = 0] (beta = 0 never reads out, so garbage and
// NaN there are ignored, as in BLAS). out must not overlap a or b.
//
// Loops (per task, a task being a batch entry or a slice of one along M or N): columns by NC; k by KC,
// packing that KC x NC block of B into column panels; rows by MC, packing that MC x KC block of A into
// row panels; then the per-ISA macro-kernel (gemm.h) over the micro-tiles. Packing reads through the
// strides and widens half types, so transposed or sliced operands cost no copy. The k chain of each
// output element is handed between KC blocks through float32: directly in out when it is float32 with
// unit column stride (and alpha = 1, beta = 0), otherwise through a float32 workspace finished by the
// epilogue (alpha, beta, one rounding to the output dtype).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "isa.h"
#include "kernel.h"
#include "matmul_args.h"
#include "parallel.h"

namespace mt {
namespace gemm {
namespace {

const Kernels* pick(Src src) {
  const Isa level = isa();
  if (src == Src::BF16 && level == Isa::Avx512Bf16) return kernels_avx512bf16();
  if (level >= Isa::Avx512) return kernels_avx512(src);
  if (level >= Isa::Avx2) return kernels_avx2(src);
  return kernels_scalar(src);
}

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

struct Problem {
  Src src;
  int32_t dtype;
  int64_t size;  // bytes an element
  int64_t m, n, k;
  int64_t rsa, csa, rsb, csb, rsc, csc;
  std::vector<int64_t> offa, offb, offc;  // element offsets of each batch entry
  const char* a;
  const char* b;
  char* c;
  double alpha, beta;  // float64 uses them as given; the float32 paths in float
  bool c_f32 = false;  // c is float32 whatever the source type (gemm::product)
  const PackB* packb = nullptr;  // B packed by the caller (product_packed_b)
};

struct Task {
  int64_t batch, m0, m1, n0, n1;
};

// The packing buffers and float32 workspace of one thread's share of the tasks: from mt_alloc, whose
// cache keeps the large blocks mapped between calls (and which emptyCache() releases).
struct Buffers {
  size_t a_bytes, b_bytes, w_bytes;
  float *a = nullptr, *b = nullptr, *w = nullptr;
  bool take() {
    a = static_cast<float*>(mt_alloc(a_bytes));
    b = static_cast<float*>(mt_alloc(b_bytes));
    w = w_bytes != 0 ? static_cast<float*>(mt_alloc(w_bytes)) : nullptr;
    return a != nullptr && b != nullptr && (w_bytes == 0 || w != nullptr);
  }
  void give_back() {
    if (a != nullptr) mt_free(a, a_bytes);
    if (b != nullptr) mt_free(b, b_bytes);
    if (w != nullptr) mt_free(w, w_bytes);
  }
};

bool is_direct(const Problem& p) {
  return (p.src == Src::F32 || p.c_f32) && p.csc == 1 && p.alpha == 1.0 && p.beta == 0.0;
}

void finish(const Problem& p, const Kernels& kn, const float* w, int64_t ldw, int64_t batch, int64_t i0,
            int64_t j0, int64_t mc, int64_t nc) {
  char* c = p.c + (p.offc[size_t(batch)] + i0 * p.rsc + j0 * p.csc) * (p.c_f32 ? 4 : p.size);
  kn.finish(p.c_f32 ? Src::F32 : p.src, w, ldw, mc, nc, c, p.rsc, p.csc, float(p.alpha), float(p.beta));
}

// K = 0 in float64.
void empty_f64(const Problem& p) {
  for (size_t bi = 0; bi < p.offc.size(); ++bi)
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t j = 0; j < p.n; ++j) {
        double* c = reinterpret_cast<double*>(p.c) + p.offc[bi] + i * p.rsc + j * p.csc;
        *c = p.beta != 0.0 ? p.beta * *c : 0.0;
      }
}

void run_task(const Problem& p, const Kernels& kn, const Task& t, const Buffers& buf) {
  const bool direct = is_direct(p);
  const bool multi_k = p.k > kn.kc;
  float* ap = buf.a;
  float* bp = buf.b;
  const int64_t ldw = round_up(std::min<int64_t>(kn.nc, t.n1 - t.n0), kn.nr);
  float* ws = buf.w;
  const char* a = p.a + p.offa[size_t(t.batch)] * p.size;
  const char* b = p.b + p.offb[size_t(t.batch)] * p.size;
  float* cf = reinterpret_cast<float*>(p.c) + p.offc[size_t(t.batch)];
  for (int64_t jc = t.n0; jc < t.n1; jc += kn.nc) {
    const int64_t nc = std::min<int64_t>(kn.nc, t.n1 - jc);
    for (int64_t pc = 0; pc < p.k; pc += kn.kc) {
      const int64_t kc = std::min<int64_t>(kn.kc, p.k - pc);
      const bool first = pc == 0, last = pc + kc == p.k;
      if (p.packb)
        p.packb->fill(p.packb->ctx, pc, kc, jc, nc, kn.nr, bp);
      else
        kn.pack_b(p.src, Block{b + (pc * p.rsb + jc * p.csb) * p.size, p.rsb, p.csb}, kc, nc, bp);
      for (int64_t ic = t.m0; ic < t.m1; ic += kn.mc) {
        const int64_t mc = std::min<int64_t>(kn.mc, t.m1 - ic);
        kn.pack_a(p.src, Block{a + (ic * p.rsa + pc * p.csa) * p.size, p.rsa, p.csa}, mc, kc, ap);
        if (direct) {
          kn.macro(mc, nc, kc, ap, bp, cf + ic * p.rsc + jc, p.rsc, !first);
        } else {
          float* w = ws + (multi_k ? (ic - t.m0) * ldw : 0);
          kn.macro(mc, nc, kc, ap, bp, w, ldw, !first);
          if (last) finish(p, kn, w, ldw, t.batch, ic, jc, mc, nc);
        }
      }
    }
  }
}

// K = 0: the product is 0, so out = beta * out (zeros when beta = 0).
void empty_product(const Problem& p, const Kernels& kn) {
  std::vector<float> zeros(size_t(p.n), 0.0f);
  for (size_t bi = 0; bi < p.offc.size(); ++bi)
    for (int64_t i = 0; i < p.m; ++i) finish(p, kn, zeros.data(), 0, int64_t(bi), i, 0, 1, p.n);
}

// float64 (gradient checks, not speed): one fma chain over k per element, threads over rows.
void run_f64(const Problem& p) {
  const int64_t batches = int64_t(p.offc.size());
  const double alpha = p.alpha, beta = p.beta;
  parallel_for(batches * p.m, std::max<int64_t>(1, 65536 / std::max<int64_t>(1, p.n * p.k)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t bi = r / p.m, i = r % p.m;
      const double* a = reinterpret_cast<const double*>(p.a) + p.offa[size_t(bi)] + i * p.rsa;
      const double* b = reinterpret_cast<const double*>(p.b) + p.offb[size_t(bi)];
      double* c = reinterpret_cast<double*>(p.c) + p.offc[size_t(bi)] + i * p.rsc;
      for (int64_t j = 0; j < p.n; ++j) {
        double acc = 0;
        for (int64_t k = 0; k < p.k; ++k) acc = std::fma(a[k * p.csa], b[k * p.rsb + j * p.csb], acc);
        if (alpha != 1.0) acc *= alpha;
        if (beta != 0.0) acc = std::fma(beta, c[j * p.csc], acc);
        c[j * p.csc] = acc;
      }
    }
  });
}

bool run(const Problem& p) {
  const int64_t batches = int64_t(p.offc.size());
  if (batches == 0 || p.m == 0 || p.n == 0) return true;
  if (p.dtype == MT_FLOAT64) {
    if (p.k == 0)
      empty_f64(p);
    else
      run_f64(p);
    return true;
  }
  const Kernels& kn = *pick(p.src);
  if (p.k == 0) {
    empty_product(p, kn);
    return true;
  }
  // Split the matrices only as far as the threads need (the results do not depend on the split): not at
  // all below about a MFLOP (~10 us of work), where handing work to a polling worker costs more than it
  // saves; otherwise into as many pieces as threads unless the batch entries already share out evenly.
  const double flops = 2.0 * double(batches) * double(p.m) * double(p.n) * double(p.k);
  const int64_t want = flops < 1e6 ? 1 : num_threads();
  const int64_t splits = batches % want == 0 ? 1 : want;
  const int64_t mblocks = (p.m + kn.mr - 1) / kn.mr, nblocks = (p.n + kn.nr - 1) / kn.nr;
  int64_t mp = 1, np = 1;
  if (p.m >= p.n)
    mp = std::min(splits, mblocks);
  else
    np = std::min(splits, nblocks);
  int64_t mstep = (mblocks + mp - 1) / mp * kn.mr;
  const int64_t nstep = (nblocks + np - 1) / np * kn.nr;
  // Through the workspace, a task's rows hold their k chain in float32 between KC blocks: cap them so the
  // workspace stays a few MiB (B is packed again per task, 1/1000 of the work or less).
  if (!is_direct(p) && p.k > kn.kc) mstep = std::min(mstep, round_up(1024, kn.mr));
  std::vector<Task> tasks;
  for (int64_t bi = 0; bi < batches; ++bi)
    for (int64_t i = 0; i < p.m; i += mstep)
      for (int64_t j = 0; j < p.n; j += nstep)
        tasks.push_back(Task{bi, i, std::min(p.m, i + mstep), j, std::min(p.n, j + nstep)});
  const int64_t kc_max = round_up(std::min<int64_t>(kn.kc, p.k), 2);
  const int64_t mc_max = round_up(std::min<int64_t>(kn.mc, mstep), kn.mr);
  const int64_t nc_max = round_up(std::min<int64_t>(kn.nc, nstep), kn.nr);
  const int64_t w_rows = p.k > kn.kc ? round_up(std::min(mstep, p.m), kn.mr) : mc_max;
  std::atomic<bool> ok{true};
  parallel_for(int64_t(tasks.size()), 1, [&](int64_t begin, int64_t end) {
    Buffers buf{size_t(mc_max * kc_max * 4), size_t(nc_max * kc_max * 4),
                is_direct(p) ? 0 : size_t(w_rows * nc_max * 4)};
    if (buf.take()) {
      for (int64_t i = begin; i < end; ++i) run_task(p, kn, tasks[size_t(i)], buf);
    } else {
      ok = false;
    }
    buf.give_back();
  });
  return ok;
}

}  // namespace

bool product(int32_t dtype, bool c_f32, int64_t m, int64_t n, int64_t k, Block a, Block b, Out c, double alpha,
             double beta, int64_t batch, int64_t bsa, int64_t bsb, int64_t bsc) {
  Problem p;
  p.src = dtype == MT_FLOAT16 ? Src::F16 : dtype == MT_BFLOAT16 ? Src::BF16 : Src::F32;
  p.dtype = dtype;
  p.size = itemsize(dtype);
  p.m = m;
  p.n = n;
  p.k = k;
  p.rsa = a.rs;
  p.csa = a.cs;
  p.rsb = b.rs;
  p.csb = b.cs;
  p.rsc = c.rs;
  p.csc = c.cs;
  p.a = static_cast<const char*>(a.base);
  p.b = static_cast<const char*>(b.base);
  p.c = static_cast<char*>(c.base);
  p.alpha = alpha;
  p.beta = beta;
  p.c_f32 = c_f32 && (dtype == MT_FLOAT16 || dtype == MT_BFLOAT16);
  for (int64_t i = 0; i < batch; ++i) {
    p.offa.push_back(i * bsa);
    p.offb.push_back(i * bsb);
    p.offc.push_back(i * bsc);
  }
  return run(p);
}

bool product_packed_b(int64_t m, int64_t n, int64_t k, Block a, PackB b, float* c, int64_t ldc, double beta) {
  Problem p;
  p.src = Src::F32;
  p.dtype = MT_FLOAT32;
  p.size = 4;
  p.m = m;
  p.n = n;
  p.k = k;
  p.rsa = a.rs;
  p.csa = a.cs;
  p.rsb = p.csb = 0;
  p.rsc = ldc;
  p.csc = 1;
  p.a = static_cast<const char*>(a.base);
  p.b = nullptr;
  p.c = reinterpret_cast<char*>(c);
  p.alpha = 1.0;
  p.beta = beta;
  p.packb = &b;
  p.offa.push_back(0);
  p.offb.push_back(0);
  p.offc.push_back(0);
  return run(p);
}

}  // namespace gemm
}  // namespace mt

extern "C" mt_status mt_k_matmul(mt_tensor* args, int32_t nargs, const double* attrs, int32_t nattrs,
                                 mt_error* err) {
  using namespace mt;
  MatmulShape shape{};
  if (mt_status s = check_matmul(args, nargs, &shape, err)) return s;
  const mt_tensor &a = args[0], &b = args[1], &c = args[2];
  // float64 has its own loop and does not use src.
  const gemm::Src src = c.dtype == MT_FLOAT16    ? gemm::Src::F16
                        : c.dtype == MT_BFLOAT16 ? gemm::Src::BF16
                                                 : gemm::Src::F32;
  const int nd = shape.nd;
  const mt_layout &la = a.layout, &lb = b.layout, &lc = c.layout;
  const int64_t m = shape.m, n = shape.n, k = shape.k;
  gemm::Problem p;
  p.src = src;
  p.dtype = c.dtype;
  p.size = itemsize(c.dtype);
  p.m = m;
  p.n = n;
  p.k = k;
  p.rsa = la.strides[nd - 2];
  p.csa = la.strides[nd - 1];
  p.rsb = lb.strides[nd - 2];
  p.csb = lb.strides[nd - 1];
  p.rsc = lc.strides[nd - 2];
  p.csc = lc.strides[nd - 1];
  p.a = static_cast<const char*>(a.data);
  p.b = static_cast<const char*>(b.data);
  p.c = static_cast<char*>(c.data);
  p.alpha = nattrs > 0 ? attrs[0] : 1.0;
  p.beta = nattrs > 1 ? attrs[1] : 0.0;
  int64_t batches = 1;
  for (int d = 0; d < nd - 2; ++d) batches *= lc.shape[d];
  std::vector<int64_t> idx(size_t(nd > 2 ? nd - 2 : 1), 0);
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t oa = la.offset, ob = lb.offset, oc = lc.offset;
    for (int d = 0; d < nd - 2; ++d) {
      oa += idx[size_t(d)] * la.strides[d];
      ob += idx[size_t(d)] * lb.strides[d];
      oc += idx[size_t(d)] * lc.strides[d];
    }
    p.offa.push_back(oa);
    p.offb.push_back(ob);
    p.offc.push_back(oc);
    for (int d = nd - 3; d >= 0; --d) {
      if (++idx[size_t(d)] < lc.shape[d]) break;
      idx[size_t(d)] = 0;
    }
  }
  if (!gemm::run(p)) return fail(err, MT_ERR_OUT_OF_MEMORY, "matmul: out of memory for the packing buffers");
  return MT_OK;
}
