// The k-means kernels exposed to Node (kmeansFit, kmeansAssign, kmeansKernel; see
// src/tlc/kmeans.ts). Owned by src/tlc. Fits and assignments run in Napi::AsyncWorkers (libuv's
// pool) and return Promises; the points are read in place, pinned by a reference meanwhile.
#include <napi.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "kmeans_assign.h"
#include "kmeans_common.h"
#include "kmeans_distance.h"
#include "kmeans_fit.h"

namespace ecgtlc::kmeans {
namespace {

// A Float32Array argument (As<> alone would read any other typed array's bytes as floats).
Napi::Float32Array float32Arg(Napi::Env env, Napi::Value v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(env, std::string("kmeans: ") + what + " must be a Float32Array");
  return v.As<Napi::Float32Array>();
}

Matrix matrixArg(const Napi::CallbackInfo& info, int i) {
  auto arr = float32Arg(info.Env(), info[i], "points");
  int64_t n = info[i + 1].As<Napi::Number>().Int64Value();
  int64_t d = info[i + 2].As<Napi::Number>().Int64Value();
  // Compared by division: n * d can overflow int64 for absurd n and d.
  if (n < 1 || d < 1 || static_cast<int64_t>(arr.ElementLength()) / d < n)
    throw Napi::RangeError::New(info.Env(), "kmeans: points array shorter than n x d");
  return Matrix{arr.Data(), n, d};
}

int64_t intOpt(const Napi::Object& o, const char* key, int64_t fallback) {
  return o.Has(key) && o.Get(key).IsNumber() ? o.Get(key).As<Napi::Number>().Int64Value()
                                             : fallback;
}

Napi::Float32Array toF32(Napi::Env env, const std::vector<float>& v) {
  auto a = Napi::Float32Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(float));
  return a;
}

Napi::Int32Array toI32(Napi::Env env, const std::vector<int32_t>& v) {
  auto a = Napi::Int32Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(int32_t));
  return a;
}

// The `threads` option: 0 (or less) = all cores.
int threadCount(int64_t requested) {
  if (requested <= 0) return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return static_cast<int>(std::min<int64_t>(requested, 1 << 16));
}

class KmeansWorker : public Napi::AsyncWorker {
 public:
  KmeansWorker(Napi::Env env, Napi::Value points, Matrix X, int threads)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), X_(X),
        threads_(threads) {
    // Keeps the points alive (and their data pointer valid) while the worker runs.
    ref_ = Napi::Persistent(points.As<Napi::Object>());
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      Run();
    } catch (const std::exception& e) {
      SetError(std::string("kmeans: ") + e.what());
    }
  }
  virtual void Run() = 0;
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }
  Napi::Promise::Deferred deferred_;
  Matrix X_;
  int threads_;
  Napi::ObjectReference ref_;
};

class FitWorker : public KmeansWorker {
 public:
  FitWorker(Napi::Env env, Napi::Value points, Matrix X, FitOptions o)
      : KmeansWorker(env, points, X, o.threads), o_(std::move(o)) {}

 protected:
  void Run() override { r_ = fit(X_, o_); }
  void OnOK() override {
    Napi::Env env = Env();
    auto obj = Napi::Object::New(env);
    obj.Set("centroids", toF32(env, r_.best.centers));
    obj.Set("labels", toI32(env, r_.best.assign.labels));
    obj.Set("inertia", r_.best.assign.inertia);
    obj.Set("iterations", static_cast<double>(r_.best.iterations));
    obj.Set("totalIterations", static_cast<double>(r_.totalIterations));
    auto inits = Napi::Array::New(env, r_.initInertia.size());
    for (size_t i = 0; i < r_.initInertia.size(); i++) inits.Set(i, r_.initInertia[i]);
    obj.Set("initInertia", inits);
    deferred_.Resolve(obj);
  }

 private:
  FitOptions o_;
  FitResult r_;
};

class AssignWorker : public KmeansWorker {
 public:
  AssignWorker(Napi::Env env, Napi::Value points, Matrix X, std::vector<float> C, int64_t k,
               int threads)
      : KmeansWorker(env, points, X, threads), C_(std::move(C)), k_(k) {}

 protected:
  void Run() override {
    const Matrix C{C_.data(), k_, X_.d};
    requireFinite(C, rowNorms(C, 1), "centroid");
    // The centroids' mean stands for the points' (no extra pass over them) when choosing the
    // origin distances are measured from.
    const Origin origin = chooseOrigin(columnMoments(C, 1));
    std::vector<float> xx = rowNorms(X_, threads_, origin);
    requireFinite(X_, xx, "point");
    assignPass(X_, xx, origin, C_, k_, a_, nullptr, nullptr, threads_);
  }
  void OnOK() override {
    Napi::Env env = Env();
    auto obj = Napi::Object::New(env);
    obj.Set("labels", toI32(env, a_.labels));
    obj.Set("distances", toF32(env, a_.mind));
    obj.Set("inertia", a_.inertia);
    deferred_.Resolve(obj);
  }

 private:
  std::vector<float> C_;
  int64_t k_;
  Assignment a_;
};

// kmeansFit(points, n, d, { k, nInit, maxIter, tol, seed, threads, nLocalTrials, sample, init })
Napi::Value KmeansFit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Matrix X = matrixArg(info, 0);
  auto opts = info[3].IsObject() ? info[3].As<Napi::Object>() : Napi::Object::New(env);
  FitOptions o;
  o.k = intOpt(opts, "k", 8);
  o.nInit = std::max<int64_t>(1, intOpt(opts, "nInit", 3));
  o.maxIter = std::max<int64_t>(1, intOpt(opts, "maxIter", 300));
  o.nTrials = intOpt(opts, "nLocalTrials", 0);
  o.threads = threadCount(intOpt(opts, "threads", 0));
  o.sample = intOpt(opts, "sample", 0);
  o.seed = static_cast<uint64_t>(intOpt(opts, "seed", 0));
  if (opts.Has("tol") && opts.Get("tol").IsNumber())
    o.tol = opts.Get("tol").As<Napi::Number>().DoubleValue();
  if (o.k < 1 || o.k > X.n) throw Napi::RangeError::New(env, "kmeans: k must be in [1, points]");
  if (o.sample > 0 && o.sample < X.n && o.sample < o.k)
    throw Napi::RangeError::New(env, "kmeans: k must be in [1, sample] when sampling");
  if (opts.Has("init") && opts.Get("init").IsTypedArray()) {
    auto init = float32Arg(env, opts.Get("init"), "init");
    if (static_cast<int64_t>(init.ElementLength()) / X.d != o.k ||
        static_cast<int64_t>(init.ElementLength()) % X.d != 0)
      throw Napi::RangeError::New(env, "kmeans: init must hold k x d values");
    o.init.assign(init.Data(), init.Data() + o.k * X.d);
  }
  auto* w = new FitWorker(env, info[0], X, std::move(o));
  auto p = w->Promise();
  w->Queue();
  return p;
}

// kmeansAssign(points, n, d, centroids, k, threads) -> { labels, distances, inertia }
Napi::Value KmeansAssign(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Matrix X = matrixArg(info, 0);
  auto c = float32Arg(env, info[3], "centroids");
  int64_t k = info[4].As<Napi::Number>().Int64Value();
  int threads = threadCount(info[5].IsNumber() ? info[5].As<Napi::Number>().Int64Value() : 0);
  if (k < 1 || static_cast<int64_t>(c.ElementLength()) / X.d != k ||
      static_cast<int64_t>(c.ElementLength()) % X.d != 0)
    throw Napi::RangeError::New(env, "kmeans: centroids must hold k x d values");
  std::vector<float> C(c.Data(), c.Data() + k * X.d);
  auto* w = new AssignWorker(env, info[0], X, std::move(C), k, threads);
  auto p = w->Promise();
  w->Queue();
  return p;
}

// kmeansKernel() -> "avx2" | "scalar": which distance kernels this process uses.
Napi::Value KmeansKernel(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), kHaveAvx2 ? "avx2" : "scalar");
}

}  // namespace
}  // namespace ecgtlc::kmeans

Napi::Object InitKmeans(Napi::Env env, Napi::Object exports) {
  using namespace ecgtlc::kmeans;
  exports.Set("kmeansFit", Napi::Function::New(env, KmeansFit));
  exports.Set("kmeansAssign", Napi::Function::New(env, KmeansAssign));
  exports.Set("kmeansKernel", Napi::Function::New(env, KmeansKernel));
  return exports;
}
