{
  "variables": {
    # Runs nvcc at configure time (scripts/cuda-build.mjs): 1 when kernels/cuda was built into
    # build-cuda/libmantissa_cuda.a, 0 to link the stub. MANTISSA_CUDA=0/1 forces either way.
    "mt_cuda%": "<!(node scripts/cuda-build.mjs)"
  },
  "targets": [
    {
      "target_name": "mantissa",
      "sources": [
        "native/binding.cc",
        "<!@(node scripts/kernel-sources.mjs)"
      ],
      "include_dirs": ["<!(node scripts/kernels-dir.mjs)/include"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-Wall", "-Wno-unused-parameter"],
      "cflags_cc!": ["-std=gnu++17", "-fno-exceptions"],
      "libraries": ["-lpthread"],
      "conditions": [
        ["mt_cuda==1", {
          "defines": ["MANTISSA_CUDA=1"],
          # --whole-archive: the CUDA registry refers to its kernels through weak symbols, which
          # would not pull their objects out of the archive. cudart_static keeps the addon loadable
          # on machines without a CUDA toolkit or driver (it dlopens libcuda.so.1 lazily).
          "libraries": [
            "-Wl,--whole-archive", "<(module_root_dir)/build-cuda/libmantissa_cuda.a", "-Wl,--no-whole-archive",
            "-L<!(node scripts/cuda-build.mjs --libdir)", "-lcudart_static", "-ldl", "-lrt"
          ]
        }, {
          "sources": ["<!(node scripts/kernels-dir.mjs)/cuda/stub.cc"]
        }]
      ]
    }
  ]
}
