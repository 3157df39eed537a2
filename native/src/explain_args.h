// What the explain kernels (explain_kernels.cc, softmax_kernels.cc) share: whether their AVX2
// versions run, and their checked arguments. Their results equal the TypeScript loops' bit for
// bit, so AVX2 only, never FMA (a fused multiply-add rounds once where the TypeScript rounds
// twice); ECG_TLC_KMEANS_SCALAR=1 forces the portable loops, as for the k-means kernels.
#pragma once
#include <napi.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ecgtlc::explain {

inline bool avx2Enabled() {
  static const bool on = [] {
    const char* force = std::getenv("ECG_TLC_KMEANS_SCALAR");
    if (force && *force && std::strcmp(force, "0") != 0) return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return on;
}

// Argument i as a typed array of `type` holding at least `need` elements.
template <typename T, napi_typedarray_type type>
T* arrayArg(const Napi::CallbackInfo& info, int i, size_t need, const char* what) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw Napi::TypeError::New(info.Env(), std::string("explain kernels: ") + what +
                                               " has the wrong array type");
  auto a = v.As<Napi::TypedArrayOf<T>>();
  if (a.ElementLength() < need)
    throw Napi::RangeError::New(info.Env(),
                                std::string("explain kernels: ") + what + " is too short");
  return a.Data();
}

// Argument i as a size (a whole number >= 0).
inline int64_t intArg(const Napi::CallbackInfo& info, int i) {
  const int64_t v = info[i].As<Napi::Number>().Int64Value();
  if (v < 0) throw Napi::RangeError::New(info.Env(), "explain kernels: negative size");
  return v;
}

}  // namespace ecgtlc::explain
