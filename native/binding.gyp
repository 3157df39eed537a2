{
  "targets": [
    {
      "target_name": "ecg_tlc_native",
      "sources": [
        "src/addon.cc",
        "src/network.cc",
        "src/inference.cc",
        "src/cpu_allocator.cc",
        "src/torch_thread.cc",
        "src/dropout.cc",
        "src/torchscript.cc",
        "src/rng_state.cc",
        "src/kmeans_distance.cc",
        "src/kmeans_assign.cc",
        "src/kmeans_seed.cc",
        "src/kmeans_lloyd.cc",
        "src/kmeans_hamerly.cc",
        "src/kmeans_fit.cc",
        "src/kmeans_binding.cc",
        "src/explain_kernels.cc",
        "src/json_numbers.cc",
        "src/softmax_kernels.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "/usr/include/torch/csrc/api/include",
        "/usr/include"
      ],
      "libraries": ["-ltorch", "-ltorch_cpu", "-lc10", "-lgomp"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O3", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    }
  ]
}
