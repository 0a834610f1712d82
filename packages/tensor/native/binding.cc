// The node-addon-api glue: a small generic surface over the kernel ABI. Storage lives in a table
// addressed by integer ids; every argument is validated here before any kernel touches memory, so no
// input from JavaScript can crash the process.
#include <napi.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "mantissa/abi.h"
#include "mantissa/cuda_backend.h"

namespace {

constexpr double kIndexSpan = 16777216.0;  // ids are index + generation * 2^24
// Multi-tensor kernels (the loss scaler's unscale_check) take many tensors in one call.
constexpr int kMaxKernelTensors = 64;
constexpr double kMaxExact = 9007199254740992.0;

struct Slot {
  void* data = nullptr;
  size_t bytes = 0;
  uint32_t generation = 0;
  int32_t device = MT_DEVICE_CPU;  // or MT_DEVICE_CUDA + N for cuda:N
};

std::vector<Slot> slots;
std::vector<uint32_t> free_slots;
size_t live_storages = 0, live_bytes = 0;

[[noreturn]] void throw_error(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  throw e;
}

const char* status_code(mt_status s) {
  switch (s) {
    case MT_OK:
      return "OK";
    case MT_ERR_INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case MT_ERR_UNSUPPORTED_DTYPE:
      return "UNSUPPORTED_DTYPE";
    case MT_ERR_SHAPE:
      return "SHAPE";
    case MT_ERR_OUT_OF_MEMORY:
      return "OUT_OF_MEMORY";
    case MT_ERR_NOT_COMPILED_WITH_CUDA:
      return "NOT_COMPILED_WITH_CUDA";
    case MT_ERR_UNKNOWN_KERNEL:
      return "UNKNOWN_KERNEL";
    case MT_ERR_DEVICE:
      return "DEVICE";
    case MT_ERR_NOT_IMPLEMENTED_ON_DEVICE:
      return "NOT_IMPLEMENTED_ON_DEVICE";
  }
  return "UNKNOWN";
}

// Numbers in messages: integers without a fraction, anything else with full precision.
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

bool is_count(double v, double max = kMaxExact) { return std::isfinite(v) && v >= 0 && v <= max && std::floor(v) == v; }

double number_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* what) {
  if (info.Length() <= i || !info[i].IsNumber())
    throw_error(info.Env(), "INVALID_ARGUMENT", std::string(fn) + ": expected " + what + " to be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

Slot* lookup(double id) {
  if (!is_count(id)) return nullptr;
  const uint64_t raw = uint64_t(id);
  const uint64_t index = raw % uint64_t(kIndexSpan), generation = raw / uint64_t(kIndexSpan);
  if (index >= slots.size()) return nullptr;
  Slot& s = slots[index];
  if (s.data == nullptr || s.generation != generation) return nullptr;
  return &s;
}

Slot& storage_arg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  const double id = number_arg(info, i, fn, "a storage id");
  Slot* s = lookup(id);
  if (s == nullptr) throw_error(info.Env(), "INVALID_ARGUMENT", std::string(fn) + ": storage " + num(id) + " is not allocated (freed or never created)");
  return *s;
}

[[noreturn]] void throw_status(Napi::Env env, mt_status s, const mt_error& err, const std::string& fallback) {
  throw_error(env, status_code(s), err.message[0] ? std::string(err.message) : fallback + status_code(s));
}

void release(const Slot& s) {
  if (s.device == MT_DEVICE_CPU) mt_free(s.data, s.bytes);
  else mt_cuda()->free(s.device - MT_DEVICE_CUDA, s.data, s.bytes);
}

// alloc(bytes, cudaIndex?): host memory, or device memory on cuda:cudaIndex.
Napi::Value Alloc(const Napi::CallbackInfo& info) {
  const double bytes = number_arg(info, 0, "alloc", "the byte count");
  if (!is_count(bytes, 1ull << 46)) throw_error(info.Env(), "INVALID_ARGUMENT", "alloc: byte count must be a non-negative integer below 2^46, got " + num(bytes));
  int32_t device = MT_DEVICE_CPU;
  void* p = nullptr;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    const double index = number_arg(info, 1, "alloc", "a CUDA device index");
    if (!is_count(index, 63)) throw_error(info.Env(), "INVALID_ARGUMENT", "alloc: CUDA device index must be 0..63, got " + num(index));
    device = MT_DEVICE_CUDA + int32_t(index);
    mt_error err;
    err.message[0] = 0;
    const mt_status st = mt_cuda()->alloc(int32_t(index), size_t(bytes), &p, &err);
    if (st != MT_OK) throw_status(info.Env(), st, err, "alloc: ");
  } else {
    p = mt_alloc(size_t(bytes));
    if (p == nullptr) throw_error(info.Env(), "OUT_OF_MEMORY", "alloc: out of memory allocating " + std::to_string(size_t(bytes)) + " bytes");
  }
  uint32_t index;
  if (!free_slots.empty()) {
    index = free_slots.back();
    free_slots.pop_back();
  } else {
    if (slots.size() >= size_t(kIndexSpan)) {
      release(Slot{p, size_t(bytes), 0, device});
      throw_error(info.Env(), "OUT_OF_MEMORY", "alloc: too many live storages");
    }
    index = uint32_t(slots.size());
    slots.emplace_back();
  }
  Slot& s = slots[index];
  s.data = p;
  s.bytes = size_t(bytes);
  s.device = device;
  ++live_storages;
  if (device == MT_DEVICE_CPU) live_bytes += s.bytes;
  return Napi::Number::New(info.Env(), double(index) + double(s.generation) * kIndexSpan);
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  const double id = number_arg(info, 0, "free", "a storage id");
  Slot* s = lookup(id);
  if (s == nullptr) return Napi::Boolean::New(info.Env(), false);
  release(*s);
  if (s->device == MT_DEVICE_CPU) live_bytes -= s->bytes;
  --live_storages;
  s->data = nullptr;
  s->bytes = 0;
  s->generation = (s->generation + 1) % (1u << 28);
  free_slots.push_back(uint32_t(uint64_t(id) % uint64_t(kIndexSpan)));
  return Napi::Boolean::New(info.Env(), true);
}

// copyIn(id, byteOffset, typedArray) / copyOut(id, byteOffset, typedArray)
Napi::Value Copy(const Napi::CallbackInfo& info, bool in) {
  const char* fn = in ? "copyIn" : "copyOut";
  Slot& s = storage_arg(info, 0, fn);
  const double offset = number_arg(info, 1, fn, "the byte offset");
  if (info.Length() < 3 || !info[2].IsTypedArray()) throw_error(info.Env(), "INVALID_ARGUMENT", std::string(fn) + ": expected a typed array");
  // napi_get_typedarray_info gives the data pointer (byte offset applied) for ArrayBuffer- and
  // SharedArrayBuffer-backed arrays alike; a detached array reports length 0.
  napi_typedarray_type type;
  size_t length = 0, byte_offset = 0;
  void* data = nullptr;
  napi_value buffer;
  if (napi_get_typedarray_info(info.Env(), info[2], &type, &length, &data, &buffer, &byte_offset) != napi_ok)
    throw_error(info.Env(), "INVALID_ARGUMENT", std::string(fn) + ": cannot read the typed array");
  const size_t bytes = length * info[2].As<Napi::TypedArray>().ElementSize();
  if (!is_count(offset) || offset + double(bytes) > double(s.bytes))
    throw_error(info.Env(), "INVALID_ARGUMENT", std::string(fn) + ": range [" + num(offset) + ", +" + std::to_string(bytes) + ") is outside the storage of " + std::to_string(s.bytes) + " bytes");
  char* host = static_cast<char*>(data);
  char* dev = static_cast<char*>(s.data) + size_t(offset);
  if (s.device != MT_DEVICE_CPU) {
    // A host read synchronises the device's stream (inside the backend's copy_to_host).
    mt_error err;
    err.message[0] = 0;
    const int32_t index = s.device - MT_DEVICE_CUDA;
    const mt_status st = in ? mt_cuda()->copy_to_device(index, dev, host, host ? bytes : 0, &err)
                            : mt_cuda()->copy_to_host(index, host, dev, host ? bytes : 0, &err);
    if (st != MT_OK) throw_status(info.Env(), st, err, std::string(fn) + ": ");
    return info.Env().Undefined();
  }
  if (bytes > 0 && host != nullptr) {
    if (in) std::memcpy(dev, host, bytes);
    else std::memcpy(host, dev, bytes);
  }
  return info.Env().Undefined();
}

// copyStorage(dstId, dstByteOffset, srcId, srcByteOffset, bytes): between any two storages (host or
// device). Device-to-device copies are ordered on the stream; copies to the host synchronise.
Napi::Value CopyStorage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Slot& dst = storage_arg(info, 0, "copyStorage");
  const double dst_off = number_arg(info, 1, "copyStorage", "the destination byte offset");
  Slot& src = storage_arg(info, 2, "copyStorage");
  const double src_off = number_arg(info, 3, "copyStorage", "the source byte offset");
  const double bytes = number_arg(info, 4, "copyStorage", "the byte count");
  if (!is_count(bytes) || !is_count(dst_off) || !is_count(src_off) || dst_off + bytes > double(dst.bytes) ||
      src_off + bytes > double(src.bytes))
    throw_error(env, "INVALID_ARGUMENT", "copyStorage: " + num(bytes) + " bytes at source offset " + num(src_off) +
                                             " / destination offset " + num(dst_off) + " do not fit storages of " +
                                             std::to_string(src.bytes) + " and " + std::to_string(dst.bytes) + " bytes");
  char* d = static_cast<char*>(dst.data) + size_t(dst_off);
  const char* sp = static_cast<const char*>(src.data) + size_t(src_off);
  const size_t n = size_t(bytes);
  mt_error err;
  err.message[0] = 0;
  mt_status st = MT_OK;
  if (dst.device == MT_DEVICE_CPU && src.device == MT_DEVICE_CPU) {
    if (n > 0) std::memmove(d, sp, n);
  } else if (dst.device == MT_DEVICE_CPU) {
    st = mt_cuda()->copy_to_host(src.device - MT_DEVICE_CUDA, d, sp, n, &err);
  } else if (src.device == MT_DEVICE_CPU) {
    st = mt_cuda()->copy_to_device(dst.device - MT_DEVICE_CUDA, d, sp, n, &err);
  } else {
    st = mt_cuda()->copy_device(dst.device - MT_DEVICE_CUDA, d, src.device - MT_DEVICE_CUDA, sp, n, &err);
  }
  if (st != MT_OK) throw_status(env, st, err, "copyStorage: ");
  return env.Undefined();
}
Napi::Value CopyIn(const Napi::CallbackInfo& info) { return Copy(info, true); }
Napi::Value CopyOut(const Napi::CallbackInfo& info) { return Copy(info, false); }

Napi::Value KernelId(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) throw_error(info.Env(), "INVALID_ARGUMENT", "kernelId: expected a kernel name");
  return Napi::Number::New(info.Env(), mt_kernel_find(info[0].As<Napi::String>().Utf8Value().c_str()));
}

Napi::Value Kernels(const Napi::CallbackInfo& info) {
  Napi::Array out = Napi::Array::New(info.Env());
  for (int32_t i = 0; i < mt_kernel_count(); ++i) {
    Napi::Object k = Napi::Object::New(info.Env());
    k.Set("name", mt_kernel_name(i));
    k.Set("arity", mt_kernel_arity(i));
    out.Set(uint32_t(i), k);
  }
  return out;
}

// run(kernelId, desc: Float64Array, ntensors, attrs: Float64Array, nattrs)
// desc holds, per tensor: storage id, dtype, ndim, offset, shape[ndim], strides[ndim].
Napi::Value Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double kid = number_arg(info, 0, "run", "a kernel id");
  if (!is_count(kid) || kid >= mt_kernel_count()) throw_error(env, "UNKNOWN_KERNEL", "run: unknown kernel id " + num(kid));
  const char* name = mt_kernel_name(int32_t(kid));
  // Messages are built only when a check fails: this runs on every kernel launch.
  auto prefix = [name] { return std::string(name) + ": "; };
  if (info.Length() < 5 || !info[1].IsTypedArray() || !info[3].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw_error(env, "INVALID_ARGUMENT", prefix() + "expected (kernelId, Float64Array, count, Float64Array, count)");
  Napi::Float64Array desc = info[1].As<Napi::Float64Array>();
  Napi::Float64Array attrs = info[3].As<Napi::Float64Array>();
  const double ntensors = number_arg(info, 2, "run", "the tensor count");
  const double nattrs = number_arg(info, 4, "run", "the attribute count");
  if (!is_count(ntensors, kMaxKernelTensors)) throw_error(env, "INVALID_ARGUMENT", prefix() + "tensor count must be 0.." + std::to_string(kMaxKernelTensors));
  if (!is_count(nattrs, double(attrs.ElementLength()))) throw_error(env, "INVALID_ARGUMENT", prefix() + "attribute count exceeds the attribute array");

  mt_tensor tensors[kMaxKernelTensors];
  size_t pos = 0;
  const size_t len = desc.ElementLength();
  auto next = [&](const char* what) {
    if (pos >= len) throw_error(env, "INVALID_ARGUMENT", prefix() + "tensor descriptor too short reading " + what);
    return desc[pos++];
  };
  for (int t = 0; t < int(ntensors); ++t) {
    auto arg = [&prefix, t] { return prefix() + "argument " + std::to_string(t) + ": "; };
    Slot* s = lookup(next("storage id"));
    if (s == nullptr) throw_error(env, "INVALID_ARGUMENT", arg() + "storage is not allocated (disposed tensor?)");
    const double dtype = next("dtype"), ndim = next("ndim"), offset = next("offset");
    if (!is_count(dtype, MT_NUM_DTYPES - 1)) throw_error(env, "UNSUPPORTED_DTYPE", arg() + "unknown dtype code " + num(dtype));
    if (!is_count(ndim, MT_MAX_DIMS)) throw_error(env, "INVALID_ARGUMENT", arg() + "ndim must be 0.." + std::to_string(MT_MAX_DIMS) + ", got " + num(ndim));
    if (!is_count(offset)) throw_error(env, "INVALID_ARGUMENT", arg() + "offset must be a non-negative integer");
    mt_tensor& m = tensors[t];
    m.data = s->data;
    m.dtype = int32_t(dtype);
    m.device = s->device;
    m.layout.ndim = int32_t(ndim);
    m.layout.offset = int64_t(offset);
    // nonzero: the element count ignoring size-0 dims. Bounding it (and the reach below) for empty
    // tensors too keeps the kernels' int64 products of sizes and strides from overflowing.
    double numel = 1, nonzero = 1, last = offset;
    for (int d = 0; d < m.layout.ndim; ++d) {
      const double size = next("shape");
      if (!is_count(size)) throw_error(env, "INVALID_ARGUMENT", arg() + "shape entries must be non-negative integers");
      m.layout.shape[d] = int64_t(size);
      numel *= size;
      if (size > 0) nonzero *= size;
    }
    for (int d = 0; d < m.layout.ndim; ++d) {
      const double stride = next("strides");
      if (!is_count(stride)) throw_error(env, "INVALID_ARGUMENT", arg() + "strides must be non-negative integers");
      m.layout.strides[d] = int64_t(stride);
      if (m.layout.shape[d] > 0) last += (double(m.layout.shape[d]) - 1) * stride;
    }
    if (nonzero > kMaxExact) throw_error(env, "INVALID_ARGUMENT", arg() + "too many elements");
    if (last > kMaxExact) throw_error(env, "INVALID_ARGUMENT", arg() + "view reaches element " + num(last) + ", beyond 2^53");
    const double itemsize = double(mt_dtype_size(m.dtype));
    if (numel > 0 && (last + 1) * itemsize > double(s->bytes))
      throw_error(env, "INVALID_ARGUMENT", arg() + "view reaches byte " + num((last + 1) * itemsize) + " of a storage of " + std::to_string(s->bytes) + " bytes");
  }
  mt_error err;
  const mt_status status = mt_kernel_run(int32_t(kid), tensors, int32_t(ntensors), attrs.Data(), int32_t(nattrs), &err);
  if (status != MT_OK) throw_error(env, status_code(status), err.message[0] ? std::string(err.message) : prefix() + status_code(status));
  return env.Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("isa", mt_isa());
  out.Set("threads", mt_num_threads());
  const char* reason = nullptr;
  const int32_t cuda = mt_cuda()->device_count(&reason);
  Napi::Object c = Napi::Object::New(env);
  c.Set("compiled", cuda != -MT_ERR_NOT_COMPILED_WITH_CUDA);
  c.Set("emulated", mt_cuda()->emulated != 0);
  c.Set("devices", cuda > 0 ? cuda : 0);
  c.Set("reason", reason != nullptr ? Napi::Value(Napi::String::New(env, reason)) : env.Null());
  // The cuBLASLt the CUDA GEMM loaded (its path) or why it did not; loads it on first use. An emulated
  // device runs the CPU kernels: no GEMM library is involved.
  const bool real = cuda > 0 && mt_cuda()->emulated == 0;
  c.Set("blas", real ? Napi::Value(Napi::String::New(env, mt_cuda_blas_info())) : env.Null());
  c.Set("gemmPath", mt_cuda_gemm_path());
  out.Set("cuda", c);
  return out;
}

Napi::Value Memory(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("storages", double(live_storages));
  out.Set("bytes", double(live_bytes));
  out.Set("cachedBytes", double(mt_cached_bytes()));
  return out;
}

Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  mt_empty_cache();
  mt_cuda()->empty_cache();
  return info.Env().Undefined();
}

// cudaMemory(index): the caching allocator's bytes on cuda:index.
Napi::Value CudaMemory(const Napi::CallbackInfo& info) {
  const double index = number_arg(info, 0, "cudaMemory", "a CUDA device index");
  if (!is_count(index, 63)) throw_error(info.Env(), "INVALID_ARGUMENT", "cudaMemory: CUDA device index must be 0..63, got " + num(index));
  size_t allocated = 0, cached = 0, peak = 0;
  mt_error err;
  err.message[0] = 0;
  const mt_status st = mt_cuda()->memory(int32_t(index), &allocated, &cached, &peak, &err);
  if (st != MT_OK) throw_status(info.Env(), st, err, "cudaMemory: ");
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("allocatedBytes", double(allocated));
  out.Set("cachedBytes", double(cached));
  out.Set("peakBytes", double(peak));
  return out;
}

Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  const double index = number_arg(info, 0, "synchronize", "a CUDA device index");
  if (!is_count(index, 63)) throw_error(info.Env(), "INVALID_ARGUMENT", "synchronize: CUDA device index must be 0..63, got " + num(index));
  mt_error err;
  err.message[0] = 0;
  const mt_status st = mt_cuda()->synchronize(int32_t(index), &err);
  if (st != MT_OK) throw_status(info.Env(), st, err, "synchronize: ");
  return info.Env().Undefined();
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  const double n = number_arg(info, 0, "setNumThreads", "the thread count");
  if (!is_count(n, 256) || n < 1) throw_error(info.Env(), "INVALID_ARGUMENT", "setNumThreads: expected an integer 1..256, got " + num(n));
  mt_set_num_threads(int32_t(n));
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("alloc", Napi::Function::New(env, Alloc));
  exports.Set("free", Napi::Function::New(env, Free));
  exports.Set("copyIn", Napi::Function::New(env, CopyIn));
  exports.Set("copyOut", Napi::Function::New(env, CopyOut));
  exports.Set("kernelId", Napi::Function::New(env, KernelId));
  exports.Set("kernels", Napi::Function::New(env, Kernels));
  exports.Set("run", Napi::Function::New(env, Run));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("memory", Napi::Function::New(env, Memory));
  exports.Set("emptyCache", Napi::Function::New(env, EmptyCache));
  exports.Set("copyStorage", Napi::Function::New(env, CopyStorage));
  exports.Set("cudaMemory", Napi::Function::New(env, CudaMemory));
  exports.Set("synchronize", Napi::Function::New(env, Synchronize));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  return exports;
}

}  // namespace

NODE_API_MODULE(mantissa, Init)
