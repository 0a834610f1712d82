/* A stand-in libcublasLt for test/cuda-gemm-host.test.ts: it exports the symbols the CUDA GEMM binds
 * (kernels/cuda/cublaslt.cu), so the loader's dlopen/dlsym/dladdr path runs on a machine without
 * cuBLAS; built with -DMISSING it lacks cublasLtMatmul. Never called. */
int cublasLtCreate(void) { return 1; }
int cublasLtMatmulDescCreate(void) { return 1; }
int cublasLtMatmulDescDestroy(void) { return 1; }
int cublasLtMatmulDescSetAttribute(void) { return 1; }
int cublasLtMatrixLayoutCreate(void) { return 1; }
int cublasLtMatrixLayoutDestroy(void) { return 1; }
int cublasLtMatrixLayoutSetAttribute(void) { return 1; }
int cublasLtMatmulPreferenceCreate(void) { return 1; }
int cublasLtMatmulPreferenceDestroy(void) { return 1; }
int cublasLtMatmulPreferenceSetAttribute(void) { return 1; }
int cublasLtMatmulAlgoGetHeuristic(void) { return 1; }
#ifndef MISSING
int cublasLtMatmul(void) { return 1; }
#endif
