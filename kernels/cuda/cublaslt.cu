// cuBLASLt at run time: dlopen once (the first GEMM or info() call), a handle and a 32 MiB workspace per
// device, heuristic algorithm choice cached per problem. There are no cuBLAS headers at build time: the
// few types, values and signatures used are declared below, each block checked against NVIDIA's headers.
// Any failure leaves the call to our own kernels (gemm.cu); a failed create marks the device unusable.
#include <dlfcn.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "cublaslt.cuh"

// ---- declarations. Values and signatures from cublasLt.h (CUDA 12, as vendored in
// ggerganov/llama.cpp include/cuda/cublasLt.h) and cublas_api.h (cublasComputeType_t, cublasOperation_t,
// cublasStatus_t); cudaDataType_t comes from CUDA's own library_types.h (CUDA_R_16F = 2, CUDA_R_16BF = 14,
// CUDA_R_32F = 0), which cuda_runtime.h includes.
namespace {

using cublasStatus_t = int;                 // cublas_api.h: enum, CUBLAS_STATUS_SUCCESS = 0
constexpr cublasStatus_t kSuccess = 0;
using cublasComputeType_t = int;            // cublas_api.h: CUBLAS_COMPUTE_32F = 68 (not _FAST_TF32 = 77)
constexpr cublasComputeType_t kCompute32F = 68;
constexpr int32_t kOpN = 0, kOpT = 1;       // cublas_api.h: CUBLAS_OP_N = 0, CUBLAS_OP_T = 1
using cublasLtHandle_t = struct cublasLtContext*;     // cublasLt.h: typedef struct cublasLtContext*
using cublasLtMatmulDesc_t = struct LtDescOpaque*;    // cublasLt.h: pointer to cublasLtMatmulDescOpaque_t
using cublasLtMatrixLayout_t = struct LtLayoutOpaque*;  // pointer to cublasLtMatrixLayoutOpaque_t
using cublasLtMatmulPreference_t = struct LtPrefOpaque*;  // pointer to cublasLtMatmulPreferenceOpaque_t
struct cublasLtMatmulAlgo_t {               // cublasLt.h: typedef struct { uint64_t data[8]; }
  uint64_t data[8];
};
struct cublasLtMatmulHeuristicResult_t {    // cublasLt.h, field for field
  cublasLtMatmulAlgo_t algo;
  size_t workspaceSize;
  cublasStatus_t state;
  float wavesCount;
  int reserved[4];
};
// cublasLtMatmulDescAttributes_t
constexpr int kDescTransA = 3, kDescTransB = 4;  // CUBLASLT_MATMUL_DESC_TRANSA/_TRANSB, int32_t values
// cublasLtMatrixLayoutAttribute_t
constexpr int kLayoutBatchCount = 5;      // CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, int32_t
constexpr int kLayoutBatchOffset = 6;     // CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, int64_t (elements)
// cublasLtMatmulPreferenceAttributes_t
constexpr int kPrefMaxWorkspace = 1;      // CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, uint64_t
constexpr int kPrefReductionMask = 3;     // CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, uint32_t
constexpr int kPrefAlignA = 5, kPrefAlignB = 6, kPrefAlignC = 7, kPrefAlignD = 8;  // _MIN_ALIGNMENT_*_BYTES, uint32_t
// cublasLtReductionScheme_t: NONE = 0, INPLACE = 1 (partials in the output type), COMPUTE_TYPE = 2,
// OUTPUT_TYPE = 4. Only COMPUTE_TYPE is allowed: a split-k partial sum rounded to float16 would be a
// second rounding of the result.
constexpr uint32_t kReductionComputeType = 2;

struct Api {
  cublasStatus_t (*create)(cublasLtHandle_t*);
  cublasStatus_t (*desc_create)(cublasLtMatmulDesc_t*, cublasComputeType_t, cudaDataType_t);
  cublasStatus_t (*desc_destroy)(cublasLtMatmulDesc_t);
  cublasStatus_t (*desc_set)(cublasLtMatmulDesc_t, int, const void*, size_t);
  cublasStatus_t (*layout_create)(cublasLtMatrixLayout_t*, cudaDataType_t, uint64_t, uint64_t, int64_t);
  cublasStatus_t (*layout_destroy)(cublasLtMatrixLayout_t);
  cublasStatus_t (*layout_set)(cublasLtMatrixLayout_t, int, const void*, size_t);
  cublasStatus_t (*pref_create)(cublasLtMatmulPreference_t*);
  cublasStatus_t (*pref_destroy)(cublasLtMatmulPreference_t);
  cublasStatus_t (*pref_set)(cublasLtMatmulPreference_t, int, const void*, size_t);
  cublasStatus_t (*heuristic)(cublasLtHandle_t, cublasLtMatmulDesc_t, cublasLtMatrixLayout_t,
                              cublasLtMatrixLayout_t, cublasLtMatrixLayout_t, cublasLtMatrixLayout_t,
                              cublasLtMatmulPreference_t, int, cublasLtMatmulHeuristicResult_t*, int*);
  cublasStatus_t (*matmul)(cublasLtHandle_t, cublasLtMatmulDesc_t, const void*, const void*,
                           cublasLtMatrixLayout_t, const void*, cublasLtMatrixLayout_t, const void*, const void*,
                           cublasLtMatrixLayout_t, void*, cublasLtMatrixLayout_t, const cublasLtMatmulAlgo_t*,
                           void*, size_t, cudaStream_t);
};

}  // namespace

namespace mt::cuda::gemm::lt {
namespace {

struct Library {
  bool loaded = false;
  Api api{};
  std::string info;  // the path, or why it is not loaded
};

template <class F>
bool bind(void* h, const char* name, F* slot, std::string* missing) {
  *slot = reinterpret_cast<F>(dlsym(h, name));
  if (*slot == nullptr && missing->empty()) *missing = name;
  return *slot != nullptr;
}

bool disabled() {
  const char* env = std::getenv("MANTISSA_CUBLASLT");
  return env != nullptr && std::string(env) == "0";
}

// Called only while cuBLASLt is not disabled (so MANTISSA_CUBLASLT=0 never loads it, and unsetting it
// later in the process still can).
Library load() {
  Library lib;
  const char* env = std::getenv("MANTISSA_CUBLASLT");
  std::string last_error = "no candidate path";
  for (const std::string& path : candidates(std::getenv)) {
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      const char* e = dlerror();
      last_error = e != nullptr ? e : path;
      continue;
    }
    std::string missing;
    Api& a = lib.api;
    bind(h, "cublasLtCreate", &a.create, &missing);
    bind(h, "cublasLtMatmulDescCreate", &a.desc_create, &missing);
    bind(h, "cublasLtMatmulDescDestroy", &a.desc_destroy, &missing);
    bind(h, "cublasLtMatmulDescSetAttribute", &a.desc_set, &missing);
    bind(h, "cublasLtMatrixLayoutCreate", &a.layout_create, &missing);
    bind(h, "cublasLtMatrixLayoutDestroy", &a.layout_destroy, &missing);
    bind(h, "cublasLtMatrixLayoutSetAttribute", &a.layout_set, &missing);
    bind(h, "cublasLtMatmulPreferenceCreate", &a.pref_create, &missing);
    bind(h, "cublasLtMatmulPreferenceDestroy", &a.pref_destroy, &missing);
    bind(h, "cublasLtMatmulPreferenceSetAttribute", &a.pref_set, &missing);
    bind(h, "cublasLtMatmulAlgoGetHeuristic", &a.heuristic, &missing);
    bind(h, "cublasLtMatmul", &a.matmul, &missing);
    if (!missing.empty()) {
      last_error = path + " lacks " + missing;
      dlclose(h);
      continue;
    }
    char real[4096] = "";
    // The file the loader actually opened (a plain soname resolves through the loader path).
    Dl_info where{};
    if (dladdr(reinterpret_cast<void*>(a.matmul), &where) != 0 && where.dli_fname != nullptr)
      std::snprintf(real, sizeof real, "%s", where.dli_fname);
    lib.loaded = true;
    lib.info = real[0] != '\0' ? real : path;
    return lib;  // never closed: the handles and algorithms live as long as the process
  }
  lib.info = env != nullptr && env[0] != '\0' && std::string(env) != "1"
                 ? "MANTISSA_CUBLASLT=" + std::string(env) + ": " + last_error
                 : "libcublasLt not found (" + last_error + ")";
  return lib;
}

const Library& library() {
  static const Library lib = load();  // thread-safe one-time initialisation
  return lib;
}

constexpr size_t kWorkspace = size_t(32) << 20;

struct Device {
  bool tried = false, usable = false;
  cublasLtHandle_t handle = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
};

using Key = std::tuple<int, int32_t, bool, int64_t, int64_t, int64_t, bool, bool, int64_t, int64_t, int64_t, int64_t,
                       int64_t, int64_t, int64_t, uint32_t, uint32_t, uint32_t>;
// The descriptors of one problem, kept with its algorithm for every later call of the same problem (the
// data pointers are arguments of cublasLtMatmul, not of the descriptors).
struct Descs {
  const Api& api;
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, lc = nullptr;
  explicit Descs(const Api& a) : api(a) {}
  ~Descs() {
    if (lc != nullptr) api.layout_destroy(lc);
    if (lb != nullptr) api.layout_destroy(lb);
    if (la != nullptr) api.layout_destroy(la);
    if (desc != nullptr) api.desc_destroy(desc);
  }
};

struct Choice {
  bool ok = false;
  cublasLtMatmulAlgo_t algo{};
  size_t workspace = 0;
  std::unique_ptr<Descs> descs;
};

std::mutex g_mutex;
Device g_devices[64];
// Never destroyed: destroying descriptors at exit could call into a library already torn down.
std::map<Key, Choice>& g_algos = *new std::map<Key, Choice>();

// Largest power of two (<= 256) dividing every byte address an operand's rows and batch entries start at.
uint32_t alignment(const void* p, int64_t ld, int64_t bs, int64_t size) {
  uint64_t x = uint64_t(reinterpret_cast<uintptr_t>(p)) | uint64_t(ld * size) | uint64_t(bs * size) | 256u;
  return uint32_t(x & (~x + 1));
}

cudaDataType_t data_type(int32_t dtype) {
  switch (dtype) {
    case MT_FLOAT16:
      return CUDA_R_16F;
    case MT_BFLOAT16:
      return CUDA_R_16BF;
    default:
      return CUDA_R_32F;
  }
}

bool layout(const Api& api, cublasLtMatrixLayout_t* out, cudaDataType_t type, const Mat& m, int32_t batch,
            int64_t bs) {
  if (api.layout_create(out, type, uint64_t(m.rows), uint64_t(m.cols), m.ld) != kSuccess) return false;
  if (batch == 1) return true;
  return api.layout_set(*out, kLayoutBatchCount, &batch, sizeof batch) == kSuccess &&
         api.layout_set(*out, kLayoutBatchOffset, &bs, sizeof bs) == kSuccess;
}

Device* device_state(int device) {
  if (device < 0 || device >= 64) return nullptr;
  Device& d = g_devices[device];
  if (!d.tried) {
    d.tried = true;
    d.usable = library().api.create(&d.handle) == kSuccess;
    if (d.usable) {
      mt_error err{};
      if (mt_cuda_alloc(device, kWorkspace, &d.workspace, &err) == MT_OK) d.workspace_bytes = kWorkspace;
      else d.workspace = nullptr;  // algorithms without a workspace still run
    }
  }
  return d.usable ? &d : nullptr;
}

// The descriptors of a problem and cuBLASLt's first heuristic choice for it (ok = false when any call
// fails or nothing fits the workspace: the problem then always runs our kernels).
Choice choose(const Api& api, const Device& dev, const Plan& p, int32_t dtype, bool c_f32, int64_t batch,
              uint32_t align_a, uint32_t align_b, uint32_t align_c) {
  Choice choice;
  auto d = std::make_unique<Descs>(api);
  const cudaDataType_t ab_type = data_type(dtype);
  const cudaDataType_t c_type = c_f32 ? CUDA_R_32F : ab_type;
  const int32_t count = int32_t(batch);
  const int32_t ta = p.a.trans ? kOpT : kOpN, tb = p.b.trans ? kOpT : kOpN;
  if (api.desc_create(&d->desc, kCompute32F, CUDA_R_32F) != kSuccess ||
      api.desc_set(d->desc, kDescTransA, &ta, sizeof ta) != kSuccess ||
      api.desc_set(d->desc, kDescTransB, &tb, sizeof tb) != kSuccess)
    return choice;
  if (!layout(api, &d->la, ab_type, p.a, count, p.bsa) || !layout(api, &d->lb, ab_type, p.b, count, p.bsb) ||
      !layout(api, &d->lc, c_type, p.c, count, p.bsc))
    return choice;
  cublasLtMatmulPreference_t pref = nullptr;
  if (api.pref_create(&pref) != kSuccess) return choice;
  const uint64_t max_ws = dev.workspace_bytes;
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const bool ok =
      api.pref_set(pref, kPrefMaxWorkspace, &max_ws, sizeof max_ws) == kSuccess &&
      api.pref_set(pref, kPrefReductionMask, &kReductionComputeType, sizeof kReductionComputeType) == kSuccess &&
      api.pref_set(pref, kPrefAlignA, &align_a, sizeof align_a) == kSuccess &&
      api.pref_set(pref, kPrefAlignB, &align_b, sizeof align_b) == kSuccess &&
      api.pref_set(pref, kPrefAlignC, &align_c, sizeof align_c) == kSuccess &&
      api.pref_set(pref, kPrefAlignD, &align_c, sizeof align_c) == kSuccess &&
      api.heuristic(dev.handle, d->desc, d->la, d->lb, d->lc, d->lc, pref, 1, &result, &found) == kSuccess &&
      found > 0 && result.state == kSuccess && result.workspaceSize <= dev.workspace_bytes;
  api.pref_destroy(pref);
  if (!ok) return choice;
  choice.ok = true;
  choice.algo = result.algo;
  choice.workspace = result.workspaceSize;
  choice.descs = std::move(d);
  return choice;
}

}  // namespace

const char* info() { return disabled() ? "disabled by MANTISSA_CUBLASLT=0" : library().info.c_str(); }

bool matmul(int device, int32_t dtype, bool c_f32, int64_t m, int64_t n, int64_t k, Operand a, Operand b,
            Output c, double alpha, double beta, int64_t batch) {
  if (disabled()) return false;
  const Library& lib = library();
  if (!lib.loaded) return false;
  Plan p = plan(m, n, k, a, b, c, batch);
  if (!p.ok) return false;
  const Api& api = lib.api;
  std::lock_guard<std::mutex> lock(g_mutex);
  Device* dev = device_state(device);
  if (dev == nullptr) return false;
  const int64_t size = itemsize(dtype);
  const int64_t csize = c_f32 ? 4 : size;
  // A single entry's batch strides mean nothing: zero them so they neither lower the alignment nor split
  // the cache.
  if (batch == 1) p.bsa = p.bsb = p.bsc = 0;
  const uint32_t align_a = alignment(p.pa, p.a.ld, p.bsa, size);
  const uint32_t align_b = alignment(p.pb, p.b.ld, p.bsb, size);
  const uint32_t align_c = alignment(c.base, p.c.ld, p.bsc, csize);
  const Key key{device, dtype, c_f32, p.m, p.n, p.k, p.a.trans, p.b.trans, p.a.ld, p.b.ld, p.c.ld, batch,
                p.bsa,  p.bsb, p.bsc, align_a, align_b, align_c};
  auto it = g_algos.find(key);
  if (it == g_algos.end())
    it = g_algos.emplace(key, choose(api, *dev, p, dtype, c_f32, batch, align_a, align_b, align_c)).first;
  if (!it->second.ok) return false;
  const float fa = float(alpha), fb = float(beta);
  // D = C in place: cuBLASLt does not read C when beta is 0 (BLAS semantics), so NaN there cannot leak.
  const Descs& d = *it->second.descs;
  return api.matmul(dev->handle, d.desc, &fa, p.pa, d.la, p.pb, d.lb, &fb, c.base, d.lc, c.base, d.lc,
                    &it->second.algo, dev->workspace, it->second.workspace, cudaStream_t(0)) == kSuccess;
}

}  // namespace mt::cuda::gemm::lt

extern "C" const char* mt_cuda_blas_info(void) { return mt::cuda::gemm::lt::info(); }
