// Prints mt_cuda_blas_info() of the built CUDA library (build-cuda/libmantissa_cuda.a, linked in):
// which libcublasLt the loader found under the environment the test sets, or why none.
#include <cstdio>

extern "C" const char* mt_cuda_blas_info(void);
// The one addon symbol the CUDA objects of the GEMM refer to (itemsize, in kernels/cpu).
extern "C" int mt_dtype_size(int) { return 2; }

int main() {
  std::printf("%s\n", mt_cuda_blas_info());
  return 0;
}
