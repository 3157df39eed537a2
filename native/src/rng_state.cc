// libtorch's CPU random state (dropout draws) as bytes, so that a resumed training run continues
// the draws of the run it resumes instead of restarting them from the seed.
#include <napi.h>
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include "dropout.h"
#include "torch_thread.h"

#include <cstring>
#include <mutex>

namespace ecgtlc {
namespace {

// getRngState() -> Uint8Array: a copy of the default CPU generator's state.
Napi::Value GetRngState(const Napi::CallbackInfo& info) {
  auto gen = at::detail::getDefaultCPUGenerator();
  at::Tensor state;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    state = gen.get_state().contiguous();
  }
  auto out = Napi::Uint8Array::New(info.Env(), static_cast<size_t>(state.numel()));
  std::memcpy(out.Data(), state.data_ptr<uint8_t>(), out.ByteLength());
  return out;
}

// setRngState(state: Uint8Array): restores a state getRngState returned.
Napi::Value SetRngState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, "setRngState(state): a Uint8Array expected");
  auto a = info[0].As<Napi::Uint8Array>();
  auto state = torch::empty({static_cast<int64_t>(a.ElementLength())}, torch::kUInt8);
  std::memcpy(state.data_ptr<uint8_t>(), a.Data(), a.ByteLength());
  auto gen = at::detail::getDefaultCPUGenerator();
  try {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    throw Napi::Error::New(env, "setRngState: " + what.substr(0, what.find('\n')));
  }
  return env.Undefined();
}

// checkDropout(p, n, skip) -> boolean: whether the engine's dropout of n values, after `skip` draws,
// equals torch::dropout's bit for bit and leaves the generator where torch::dropout leaves it. For
// the tests; restores the generator's state.
Napi::Value CheckDropout(const Napi::CallbackInfo& info) {
  const double p = info[0].As<Napi::Number>().DoubleValue();
  const int64_t n = info[1].As<Napi::Number>().Int64Value();
  const int64_t skip = info[2].As<Napi::Number>().Int64Value();
  bool same = false;
  onTorchThread([&] {  // where training draws, one call at a time
    auto gen = at::detail::getDefaultCPUGenerator();
    auto saved = gen.get_state();
    auto x = torch::rand({n});
    for (int64_t i = 0; i < skip; i++) gen.get<at::CPUGeneratorImpl>()->random();
    auto before = gen.get_state();
    auto expected = torch::dropout(x, p, true);
    const auto next = gen.get<at::CPUGeneratorImpl>()->random();
    gen.set_state(before);
    auto ours = ecgtlc::dropout(x, p, true);
    same = torch::equal(expected, ours) && gen.get<at::CPUGeneratorImpl>()->random() == next;
    gen.set_state(saved);
  });
  return Napi::Boolean::New(info.Env(), same);
}

}  // namespace
}  // namespace ecgtlc

Napi::Object InitRngState(Napi::Env env, Napi::Object exports) {
  exports.Set("getRngState", Napi::Function::New(env, ecgtlc::GetRngState));
  exports.Set("setRngState", Napi::Function::New(env, ecgtlc::SetRngState));
  exports.Set("checkDropout", Napi::Function::New(env, ecgtlc::CheckDropout));
  return exports;
}
