{
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
      "libraries": ["-lpthread"]
    }
  ]
}
