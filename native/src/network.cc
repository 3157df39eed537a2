// The 1D-ResNet engine (training step, forward with taps, Grad-CAM, save/load) exposed to Node as
// the class `Network`. Owned by src/model. Heavy calls run in Napi::AsyncWorker (libuv's pool) and
// return Promises; one global mutex serialises libtorch work so that concurrent calls from JS never
// race on a network or on libtorch's global RNG, and never oversubscribe the cores.
#include <link.h>
#include <napi.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/version.h>

#include <cmath>
#include <cstdlib>
#include <set>
#include <tuple>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cpu_allocator.h"
#include "promise_task.h"
#include "inference.h"
#include "network_resnet.h"
#include "torch_thread.h"

extern "C" int omp_get_max_threads();  // libgomp, which libtorch runs its intra-op work on

namespace ecgtlc {
namespace {

std::mutex gTorch;

// A network call as a Promise: `work` runs on the libtorch thread under the engine's lock.
PromiseTask* torchTask(Napi::Env env, std::function<void()> work,
                       std::function<Napi::Value(Napi::Env)> done, std::vector<Napi::Value> keep) {
  auto onThread = [work = std::move(work)] {
    onTorchThread([&] {
      std::lock_guard<std::mutex> lock(gTorch);
      // ECG_TLC_PROFILE=PREFIX: each call's libtorch ops as a Chrome trace, PREFIX.N.json.
      static const char* profile = std::getenv("ECG_TLC_PROFILE");
      static int calls = 0;
      if (!profile) return work();
      torch::autograd::profiler::RecordProfile trace(std::string(profile) + "." +
                                                     std::to_string(calls++) + ".json");
      work();
    });
  };
  return new PromiseTask(env, onThread, std::move(done), std::move(keep));
}

// Hands a tensor's memory to JS without copying: the ArrayBuffer owns a heap copy of the Tensor
// handle (not of the data) and releases it when collected.
Napi::Float32Array toFloat32Array(Napi::Env env, const torch::Tensor& t) {
  auto* held = new torch::Tensor(t.detach().to(torch::kFloat32).contiguous());
  const size_t n = static_cast<size_t>(held->numel());
  if (n == 0) {
    delete held;
    return Napi::Float32Array::New(env, 0);
  }
  auto buf = Napi::ArrayBuffer::New(
      env, held->data_ptr<float>(), n * sizeof(float),
      [](Napi::Env, void*, torch::Tensor* h) { delete h; }, held);
  return Napi::Float32Array::New(env, n, buf, 0);
}

// The activation of unit `idx` and the gradient of output `target` (raw score, eval mode) w.r.t. it.
std::pair<torch::Tensor, torch::Tensor> tapAndGradient(ResNet& net, const torch::Tensor& x, int idx,
                                                       int64_t target) {
  torch::AutoGradMode enable(true);
  net->eval();
  std::vector<torch::Tensor> taps(net->units.size());
  std::vector<bool> want(net->units.size(), false);
  want[idx] = true;
  auto out = net->forward(x, &taps, &want);
  auto g = torch::autograd::grad({out.select(1, target).sum()}, {taps[idx]})[0];
  return {taps[idx].detach(), g.detach()};
}

class Network : public Napi::ObjectWrap<Network> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "Network",
        {InstanceMethod("forward", &Network::Forward),
         InstanceMethod("trainStep", &Network::TrainStep),
         InstanceMethod("gradcam", &Network::Gradcam),
         InstanceMethod("tapGradient", &Network::TapGradient), InstanceMethod("save", &Network::Save),
         InstanceMethod("load", &Network::Load),
         InstanceMethod("setLearningRate", &Network::SetLearningRate),
         InstanceMethod("tapShapes", &Network::TapShapes),
         InstanceMethod("parameterCount", &Network::ParameterCount)});
  }

  explicit Network(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Network>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "Network(options): options expected");
    auto o = info[0].As<Napi::Object>();
    auto num = [&](const char* k, double dflt) {
      return o.Has(k) && o.Get(k).IsNumber() ? o.Get(k).As<Napi::Number>().DoubleValue() : dflt;
    };
    ResNetOptions ro;
    ro.leads = static_cast<int64_t>(num("leads", 12));
    ro.length = static_cast<int64_t>(num("length", 1024));
    ro.kernel = static_cast<int64_t>(num("kernel", 17));
    ro.downsample = static_cast<int64_t>(num("downsample", 2));
    ro.outputs = static_cast<int64_t>(num("outputs", 5));
    ro.dropout = num("dropout", 0.2);
    if (o.Has("head") && o.Get("head").IsString()) {
      const std::string head = o.Get("head").As<Napi::String>().Utf8Value();
      if (head != "flatten" && head != "mean")
        throw Napi::RangeError::New(env, "Network(options): head must be 'flatten' or 'mean'");
      ro.meanHead = head == "mean";
    }
    if (o.Has("channels") && o.Get("channels").IsArray()) {
      auto a = o.Get("channels").As<Napi::Array>();
      ro.channels.clear();
      for (uint32_t i = 0; i < a.Length(); i++)
        ro.channels.push_back(a.Get(i).As<Napi::Number>().Int64Value());
    }
    if (ro.channels.size() < 2 || ro.leads < 1 || ro.length < 1 || ro.outputs < 1)
      throw Napi::RangeError::New(env, "Network(options): bad network shape");
    const auto seed = static_cast<uint64_t>(num("seed", 0));
    const double lr = num("lr", 1e-3), weightDecay = num("weightDecay", 0);
    try {
      onTorchThread([&] {
        std::lock_guard<std::mutex> lock(gTorch);
        // Seeding here fixes the initial weights and, with it, the dropout draws of training.
        torch::manual_seed(seed);
        net_ = ResNet(ro);
        optim_ = std::make_unique<torch::optim::AdamW>(
            net_->parameters(), torch::optim::AdamWOptions(lr).weight_decay(weightDecay));
      });
    } catch (const c10::Error& e) {
      throw Napi::Error::New(env, firstLine(e.what_without_backtrace()));
    }
  }

 private:
  ResNet net_{nullptr};
  std::unique_ptr<torch::optim::AdamW> optim_;
  std::shared_ptr<BlockedForward> blocked_ = std::make_shared<BlockedForward>();

  // A zero-copy view of a (batch x leads x length) Float32Array; checks its size.
  torch::Tensor inputView(Napi::Env env, const Napi::Value& v, int64_t batch) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(env, "input must be a Float32Array");
    auto a = v.As<Napi::Float32Array>();
    const auto& o = net_->opts;
    if (batch < 1 || static_cast<int64_t>(a.ElementLength()) != batch * o.leads * o.length)
      throw Napi::RangeError::New(
          env, "input has " + std::to_string(a.ElementLength()) + " values, expected batch (" +
                   std::to_string(batch) + ") x " + std::to_string(o.leads) + " leads x " +
                   std::to_string(o.length) + " samples");
    return torch::from_blob(a.Data(), {batch, o.leads, o.length}, torch::kFloat32);
  }

  int tapIndex(Napi::Env env, const std::string& name) {
    const int n = static_cast<int>(net_->units.size());
    if (name.size() >= 2 && name[0] == 'B') {
      int i = std::atoi(name.c_str() + 1);
      if (i >= 1 && i <= n) return i - 1;
    }
    throw Napi::RangeError::New(env, "unknown tap '" + name + "' (taps are B1..B" +
                                         std::to_string(n) + ")");
  }

  static int64_t batchArg(const Napi::CallbackInfo& info, size_t i) {
    return info[i].IsNumber() ? info[i].As<Napi::Number>().Int64Value() : 0;
  }

  // forward(input, batch, taps: string[]) -> Promise<{ outputs, taps: { name: Float32Array } }>
  Napi::Value Forward(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int64_t batch = batchArg(info, 1);
    auto x = inputView(env, info[0], batch);
    const size_t nUnits = net_->units.size();
    auto want = std::make_shared<std::vector<bool>>(nUnits, false);
    auto names = std::make_shared<std::vector<std::string>>();
    if (info[2].IsArray()) {
      auto a = info[2].As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); i++) {
        std::string name = a.Get(i).ToString();
        (*want)[tapIndex(env, name)] = true;
        names->push_back(name);
      }
    }
    auto out = std::make_shared<torch::Tensor>();
    auto taps = std::make_shared<std::vector<torch::Tensor>>(nUnits);
    auto net = net_;
    auto blocked = blocked_;
    auto* task = torchTask(
        env,
        [=]() mutable {
          torch::NoGradGuard ng;
          net->eval();
          *out = at::hasMKLDNN() ? (*blocked)(net, x, taps.get(), want.get())
                                 : net->forward(x, taps.get(), want.get());
        },
        [=](Napi::Env e) -> Napi::Value {
          auto r = Napi::Object::New(e);
          r.Set("outputs", toFloat32Array(e, *out));
          auto t = Napi::Object::New(e);
          for (const auto& name : *names)
            t.Set(name, toFloat32Array(e, (*taps)[std::atoi(name.c_str() + 1) - 1]));
          r.Set("taps", t);
          return r;
        },
        {info[0], info.This()});
    task->Queue();
    return task->Promise();
  }

  // trainStep(input, batch, target: Float32Array (batch x outputs), loss: "bce"|"mse"|"l1",
  //           posWeight?: Float32Array) -> Promise<number>: one Adam step, the batch's mean loss.
  Napi::Value TrainStep(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int64_t batch = batchArg(info, 1);
    auto x = inputView(env, info[0], batch);
    const int64_t k = net_->opts.outputs;
    if (!info[2].IsTypedArray() ||
        info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
        static_cast<int64_t>(info[2].As<Napi::Float32Array>().ElementLength()) != batch * k)
      throw Napi::RangeError::New(env, "target must be a Float32Array of batch x outputs values");
    auto y = torch::from_blob(info[2].As<Napi::Float32Array>().Data(), {batch, k}, torch::kFloat32);
    std::string loss = info[3].IsString() ? info[3].ToString().Utf8Value() : "bce";
    if (loss != "bce" && loss != "mse" && loss != "l1")
      throw Napi::RangeError::New(env, "loss must be bce, mse or l1");
    torch::Tensor pw;
    std::vector<Napi::Value> keep{info[0], info[2], info.This()};
    if (info.Length() > 4 && info[4].IsTypedArray()) {
      auto a = info[4].As<Napi::Float32Array>();
      if (static_cast<int64_t>(a.ElementLength()) != k)
        throw Napi::RangeError::New(env, "posWeight must have one value per output");
      pw = torch::from_blob(a.Data(), {k}, torch::kFloat32);
      keep.push_back(info[4]);
    }
    auto value = std::make_shared<double>(0);
    auto net = net_;
    auto* opt = optim_.get();
    auto* task = torchTask(
        env,
        [=]() mutable {
          net->train();
          // Gradients set to none rather than zeroed: backward then hands its gradient over
          // instead of adding it to a zeroed one (the same values; a zero fill and a pass saved).
          for (auto& p : net->parameters()) p.mutable_grad().reset();
          auto out = net->forward(x);
          torch::Tensor l;
          if (loss == "bce") {
            auto o = torch::nn::functional::BinaryCrossEntropyWithLogitsFuncOptions();
            if (pw.defined()) o.pos_weight(pw);
            l = torch::nn::functional::binary_cross_entropy_with_logits(out, y, o);
          } else if (loss == "mse") {
            l = torch::mse_loss(out, y);
          } else {
            l = torch::l1_loss(out, y);
          }
          *value = l.item<double>();
          if (!std::isfinite(*value)) throw std::runtime_error("training diverged: the loss is NaN");
          l.backward();
          opt->step();
        },
        [=](Napi::Env e) -> Napi::Value { return Napi::Number::New(e, *value); }, keep);
    task->Queue();
    return task->Promise();
  }

  // gradcam(input, batch, tap, target) -> Promise<Float32Array (batch x steps)>: ReLU of the
  // activation maps weighted by the time-averaged gradient of output `target` (its raw score).
  Napi::Value Gradcam(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int64_t batch = batchArg(info, 1);
    auto x = inputView(env, info[0], batch);
    const int idx = tapIndex(env, info[2].ToString());
    const int64_t target = info[3].IsNumber() ? info[3].As<Napi::Number>().Int64Value() : -1;
    if (target < 0 || target >= net_->opts.outputs)
      throw Napi::RangeError::New(env, "gradcam target must be an output index in [0, " +
                                           std::to_string(net_->opts.outputs) + ")");
    auto cam = std::make_shared<torch::Tensor>();
    auto net = net_;
    auto* task = torchTask(
        env,
        [=]() mutable {
          auto [a, g] = tapAndGradient(net, x, idx, target);
          *cam = torch::relu((g.mean(2, true) * a).sum(1));
        },
        [=](Napi::Env e) -> Napi::Value { return toFloat32Array(e, *cam); }, {info[0], info.This()});
    task->Queue();
    return task->Promise();
  }

  // tapGradient(input, batch, tap, target) -> Promise<{ activation, gradient }> (both batch x
  // channels x steps): what Grad-CAM combines, exposed so that it can be checked from outside.
  Napi::Value TapGradient(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int64_t batch = batchArg(info, 1);
    auto x = inputView(env, info[0], batch);
    const int idx = tapIndex(env, info[2].ToString());
    const int64_t target = info[3].IsNumber() ? info[3].As<Napi::Number>().Int64Value() : -1;
    if (target < 0 || target >= net_->opts.outputs)
      throw Napi::RangeError::New(env, "target must be an output index");
    auto act = std::make_shared<torch::Tensor>();
    auto grad = std::make_shared<torch::Tensor>();
    auto net = net_;
    auto* task = torchTask(
        env,
        [=]() mutable {
          std::tie(*act, *grad) = tapAndGradient(net, x, idx, target);
        },
        [=](Napi::Env e) -> Napi::Value {
          auto r = Napi::Object::New(e);
          r.Set("activation", toFloat32Array(e, *act));
          r.Set("gradient", toFloat32Array(e, *grad));
          return r;
        },
        {info[0], info.This()});
    task->Queue();
    return task->Promise();
  }

  // save(weightsPath, optimizerPath?) -> Promise<void>. Parameters and buffers under their dotted
  // names in one torch archive; the optimizer state (for --resume) in a second one.
  Napi::Value Save(const Napi::CallbackInfo& info) {
    std::string wpath = info[0].ToString();
    std::string opath = info.Length() > 1 && info[1].IsString() ? info[1].ToString().Utf8Value() : "";
    auto net = net_;
    auto* opt = optim_.get();
    auto* task = torchTask(
        info.Env(),
        [=]() mutable {
          torch::serialize::OutputArchive ar;
          for (const auto& p : net->named_parameters()) ar.write(p.key(), p.value());
          for (const auto& b : net->named_buffers()) ar.write(b.key(), b.value(), true);
          ar.save_to(wpath);
          if (!opath.empty()) torch::save(*opt, opath);
        },
        [](Napi::Env e) -> Napi::Value { return e.Undefined(); }, {info.This()});
    task->Queue();
    return task->Promise();
  }

  // load(weightsPath, optimizerPath?) -> Promise<void>. Every parameter and buffer must be present
  // with the network's own shape, so a file of another preset or a foreign archive is refused.
  Napi::Value Load(const Napi::CallbackInfo& info) {
    std::string wpath = info[0].ToString();
    std::string opath = info.Length() > 1 && info[1].IsString() ? info[1].ToString().Utf8Value() : "";
    auto net = net_;
    auto* opt = optim_.get();
    auto* task = torchTask(
        info.Env(),
        [=]() mutable {
          torch::serialize::InputArchive ar;
          ar.load_from(wpath);
          torch::NoGradGuard ng;
          auto copy = [&](const std::string& key, torch::Tensor dst, bool buffer) {
            torch::Tensor t;
            if (!ar.try_read(key, t, buffer))
              throw std::runtime_error("weights file lacks '" + key + "'");
            if (t.sizes() != dst.sizes())
              throw std::runtime_error("weights file has '" + key + "' of shape " +
                                       c10::str(t.sizes()) + ", the network expects " +
                                       c10::str(dst.sizes()));
            dst.copy_(t);
          };
          for (const auto& p : net->named_parameters()) copy(p.key(), p.value(), false);
          for (const auto& b : net->named_buffers()) copy(b.key(), b.value(), true);
          if (!opath.empty()) torch::load(*opt, opath);
        },
        [](Napi::Env e) -> Napi::Value { return e.Undefined(); }, {info.This()});
    task->Queue();
    return task->Promise();
  }

  Napi::Value SetLearningRate(const Napi::CallbackInfo& info) {
    const double lr = info[0].As<Napi::Number>().DoubleValue();
    std::lock_guard<std::mutex> lock(gTorch);
    for (auto& g : optim_->param_groups())
      static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    return info.Env().Undefined();
  }

  // { B1: { channels, steps }, ... }
  Napi::Value TapShapes(const Napi::CallbackInfo& info) {
    auto r = Napi::Object::New(info.Env());
    for (size_t i = 0; i < net_->units.size(); i++) {
      auto s = Napi::Object::New(info.Env());
      s.Set("channels", Napi::Number::New(info.Env(), static_cast<double>(net_->opts.channels[i + 1])));
      s.Set("steps", Napi::Number::New(info.Env(), static_cast<double>(net_->steps[i])));
      r.Set("B" + std::to_string(i + 1), s);
    }
    return r;
  }

  Napi::Value ParameterCount(const Napi::CallbackInfo& info) {
    double n = 0;
    for (const auto& p : net_->parameters()) n += static_cast<double>(p.numel());
    return Napi::Number::New(info.Env(), n);
  }
};

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  const int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "thread count must be >= 1");
  // On the libtorch thread: OpenMP's thread count belongs to the thread that sets it.
  onTorchThread([n] {
    std::lock_guard<std::mutex> lock(gTorch);
    at::set_num_threads(n);
  });
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  int n = 0;
  onTorchThread([&n] { n = at::get_num_threads(); });
  return Napi::Number::New(info.Env(), n);
}

// The shared libraries mapped into this process whose file name mentions BLAS (which one Debian's
// alternatives resolved libblas.so.3 to).
std::vector<std::string> blasLibraries() {
  std::set<std::string> names;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        const std::string name = info->dlpi_name ? info->dlpi_name : "";
        if (name.find("blas") != std::string::npos)
          static_cast<std::set<std::string>*>(data)->insert(name);
        return 0;
      },
      &names);
  return {names.begin(), names.end()};
}

// engineConfig() -> Promise<{ torch, threads, interopThreads, ompThreads, mkldnn, blas }>, read on
// the thread that runs the engine's work (OpenMP's thread count is per thread).
Napi::Value EngineConfig(const Napi::CallbackInfo& info) {
  auto r = std::make_shared<std::tuple<int, int, int, bool, std::vector<std::string>>>();
  auto* task = torchTask(
      info.Env(),
      [=]() {
        *r = {at::get_num_threads(), at::get_num_interop_threads(), omp_get_max_threads(),
              at::hasMKLDNN() && at::globalContext().userEnabledMkldnn(), blasLibraries()};
      },
      [=](Napi::Env e) -> Napi::Value {
        auto o = Napi::Object::New(e);
        o.Set("torch", TORCH_VERSION);
        o.Set("threads", std::get<0>(*r));
        o.Set("interopThreads", std::get<1>(*r));
        o.Set("ompThreads", std::get<2>(*r));
        o.Set("mkldnn", std::get<3>(*r));
        auto blas = Napi::Array::New(e);
        for (const auto& name : std::get<4>(*r)) blas.Set(blas.Length(), name);
        o.Set("blas", blas);
        return o;
      },
      {});
  task->Queue();
  return task->Promise();
}

Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(gTorch);
  torch::manual_seed(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()));
  return info.Env().Undefined();
}

}  // namespace
}  // namespace ecgtlc

Napi::Object InitNetwork(Napi::Env env, Napi::Object exports) {
  ecgtlc::installCpuAllocator();
  exports.Set("Network", ecgtlc::Network::Define(env));
  exports.Set("setNumThreads", Napi::Function::New(env, ecgtlc::SetNumThreads));
  exports.Set("getNumThreads", Napi::Function::New(env, ecgtlc::GetNumThreads));
  exports.Set("engineConfig", Napi::Function::New(env, ecgtlc::EngineConfig));
  exports.Set("manualSeed", Napi::Function::New(env, ecgtlc::ManualSeed));
  return exports;
}
