// Entry point of the ecg-tlc native addon: each module registers its functions on `exports`.
#include <napi.h>

Napi::Object InitNetwork(Napi::Env env, Napi::Object exports);  // network.cc
Napi::Object InitKmeans(Napi::Env env, Napi::Object exports);   // kmeans_binding.cc
Napi::Object InitTorchScript(Napi::Env env, Napi::Object exports);  // torchscript.cc
Napi::Object InitRngState(Napi::Env env, Napi::Object exports); // rng_state.cc
Napi::Object InitExplainKernels(Napi::Env env, Napi::Object exports);  // explain_kernels.cc
Napi::Object InitJsonNumbers(Napi::Env env, Napi::Object exports);  // json_numbers.cc
Napi::Object InitSoftmaxKernels(Napi::Env env, Napi::Object exports);  // softmax_kernels.cc

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitNetwork(env, exports);
  InitKmeans(env, exports);
  InitTorchScript(env, exports);
  InitRngState(env, exports);
  InitExplainKernels(env, exports);
  InitJsonNumbers(env, exports);
  InitSoftmaxKernels(env, exports);
  return exports;
}

NODE_API_MODULE(ecg_tlc_native, Init)
