// A Promise-returning N-API worker around two lambdas: `work` runs off the JS thread (callers send
// it on to the libtorch thread), `done` turns its result into JS values on the JS thread. `keep`
// pins the typed arrays whose memory `work` reads without copying. An exception thrown by `work`
// rejects the Promise with its first line.
#pragma once
#include <napi.h>
#include <torch/torch.h>
#include <functional>
#include <string>
#include <vector>

namespace ecgtlc {

inline std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

class PromiseTask : public Napi::AsyncWorker {
 public:
  PromiseTask(Napi::Env env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> done,
              std::vector<Napi::Value> keep)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)),
        done_(std::move(done)) {
    for (auto& v : keep) refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (const c10::Error& e) {
      SetError(firstLine(e.what_without_backtrace()));
    } catch (const std::exception& e) {
      SetError(firstLine(e.what()));
    }
  }
  void OnOK() override { deferred_.Resolve(done_(Env())); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> work_;
  std::function<Napi::Value(Napi::Env)> done_;
  std::vector<Napi::ObjectReference> refs_;
};

}  // namespace ecgtlc
