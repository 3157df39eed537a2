// Networks trained elsewhere, saved with torch.jit.save, exposed to Node as the class
// `ScriptModule`: forward with taps (the outputs of named submodules) and the exact gradient of one
// output at a tap. Taps come from a rewritten copy of the module's forward graph: the calls that
// lead to each submodule are inlined down to it, and its output is returned beside the model's.
// Also `readTensorArchive`, which reads the native engine's weights file (for the ONNX export).
// Owned by src/model/torchscript and src/model/onnx/export.ts.
#include <napi.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/python/update_graph_executor_opt.h>
#include <torch/script.h>
#include <torch/torch.h>

#include "promise_task.h"
#include "torch_thread.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace ecgtlc {
namespace {

std::mutex gScript;

// A TorchScript call as a Promise: `work` runs on the engine's one libtorch thread (one OpenMP
// team and the thread count set for it), one script call at a time.
PromiseTask* scriptTask(Napi::Env env, std::function<void()> work,
                        std::function<Napi::Value(Napi::Env)> done, std::vector<Napi::Value> keep) {
  auto locked = [work = std::move(work)] {
    std::lock_guard<std::mutex> lock(gScript);
    onTorchThread(work);
  };
  return new PromiseTask(env, locked, std::move(done), std::move(keep));
}

Napi::Float32Array toArray(Napi::Env env, const torch::Tensor& t) {
  auto c = t.detach().to(torch::kFloat32).contiguous();
  auto a = Napi::Float32Array::New(env, static_cast<size_t>(c.numel()));
  if (c.numel()) std::memcpy(a.Data(), c.data_ptr<float>(), c.numel() * sizeof(float));
  return a;
}

Napi::Array dimsArray(Napi::Env env, const torch::Tensor& t) {
  auto a = Napi::Array::New(env, t.dim());
  for (int64_t i = 0; i < t.dim(); i++) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, t.size(i)));
  return a;
}

std::vector<std::string> splitPath(const std::string& s) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string p;
  while (std::getline(ss, p, '.')) parts.push_back(p);
  return parts;
}

using Owners = std::set<torch::jit::Value*>;

// The last call of `name`'s forward on one of the module values `owners` in the graph's top block.
torch::jit::Node* lastCall(torch::jit::Graph& g, const Owners& owners, const std::string& name) {
  torch::jit::Node* found = nullptr;
  for (auto* n : g.nodes()) {
    if (n->kind() != c10::prim::CallMethod || n->s(c10::attr::name) != "forward") continue;
    auto* m = n->input(0)->node();
    if (m->kind() == c10::prim::GetAttr && owners.count(m->input(0)) && m->s(c10::attr::name) == name)
      found = n;
  }
  return found;
}

// The values of attribute `name` read from `owners` (a container such as a ModuleList is never
// called: its children are read from it and called).
Owners attributes(torch::jit::Graph& g, const Owners& owners, const std::string& name) {
  Owners out;
  for (auto* n : g.nodes())
    if (n->kind() == c10::prim::GetAttr && owners.count(n->input(0)) && n->s(c10::attr::name) == name)
      out.insert(n->output());
  return out;
}

// Inlines every call of a method of `owner` itself (self.features(x) and the like), so that the
// calls of its children appear at the top level.
void inlineOwnMethods(torch::jit::Graph& g, torch::jit::Value* owner, torch::jit::Module& mod) {
  for (bool again = true; again;) {
    again = false;
    for (auto* n : g.nodes()) {
      if (n->kind() == c10::prim::CallMethod && n->input(0) == owner) {
        const std::string name = n->s(c10::attr::name);
        // false: the callee's own graph, not its optimised (fully inlined) one.
        torch::jit::inlineCallTo(n, &torch::jit::toGraphFunction(mod.get_method(name).function()), false);
        again = true;
        break;
      }
    }
  }
}

struct TapGraph {
  std::shared_ptr<torch::jit::GraphFunction> fn;
  std::vector<std::string> found;  // the taps it returns, in order
};

// forward's graph rewritten to return (output, tap_1, ..., tap_n). `lenient`: taps that cannot be
// read (never called, called in a loop, not one tensor) are left out instead of failing.
TapGraph tapFunction(torch::jit::Module& root, const std::vector<std::string>& taps, bool lenient) {
  auto& fwd = torch::jit::toGraphFunction(root.get_method("forward").function());
  auto g = fwd.graph()->copy();
  auto* ret = g->return_node();
  auto* tuple = g->create(c10::prim::TupleConstruct, {ret->input(0)});
  tuple->insertBefore(ret);
  TapGraph r;
  inlineOwnMethods(*g, g->inputs()[0], root);
  // Module paths whose call was inlined already: the value their body runs on.
  std::map<std::string, std::pair<Owners, torch::jit::Module>> inlined;
  for (const auto& tap : taps) {
    if (tap == "\ngrad") continue;  // a cache marker (function()), not a tap
    auto path = splitPath(tap);
    Owners owner{g->inputs()[0]};
    torch::jit::Module mod = root;
    std::string prefix;
    for (size_t i = 0; i < path.size(); i++) {
      prefix += (i ? "." : "") + path[i];
      auto done = inlined.find(prefix);
      if (done != inlined.end() && i + 1 < path.size()) {
        std::tie(owner, mod) = done->second;
        continue;
      }
      auto* call = lastCall(*g, owner, path[i]);
      if (!call && i + 1 < path.size()) {
        // Not called itself (a container): look for its children's calls.
        auto values = attributes(*g, owner, path[i]);
        if (!values.empty() && mod.attr(path[i]).isModule()) {
          owner = values;
          mod = mod.attr(path[i]).toModule();
          continue;
        }
      }
      const bool tensor = call && call->output()->type()->isSubtypeOf(*c10::TensorType::get());
      if (!call || (i + 1 == path.size() && !tensor)) {
        if (lenient) break;
        throw std::runtime_error("submodule '" + tap + (call ? "' does not return one tensor"
                                 : "' is not called by forward (or only inside a loop or branch)"));
      }
      auto* sub = call->input(0);
      auto child = mod.attr(path[i]).toModule();
      if (i + 1 == path.size()) {
        tuple->addInput(call->output());
        r.found.push_back(tap);
        break;
      }
      // Inline this call so that the child's own calls appear in the graph, on the child's value.
      torch::jit::inlineCallTo(call, &torch::jit::toGraphFunction(child.get_method("forward").function()),
                                 false);
      owner = {sub};
      mod = child;
      inlineOwnMethods(*g, sub, mod);
      inlined[prefix] = {owner, mod};
    }
  }
  std::vector<c10::TypePtr> types;
  for (auto* v : tuple->inputs()) types.push_back(v->type());
  tuple->output()->setType(c10::TupleType::create(types));
  ret->replaceInput(0, tuple->output());
  r.fn = std::make_shared<torch::jit::GraphFunction>("forward_with_taps", g, nullptr);
  return r;
}

class ScriptModule : public Napi::ObjectWrap<ScriptModule> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ScriptModule",
                       {InstanceMethod("submodules", &ScriptModule::Submodules),
                        InstanceMethod("forward", &ScriptModule::Forward),
                        InstanceMethod("tapGradient", &ScriptModule::TapGradient)});
  }

  explicit ScriptModule(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ScriptModule>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) throw Napi::TypeError::New(env, "ScriptModule(path): path expected");
    const std::string path = info[0].ToString();
    std::lock_guard<std::mutex> lock(gScript);
    try {
      module_ = std::make_shared<torch::jit::Module>(torch::jit::load(path));
      module_->eval();
      if (!module_->find_method("forward")) throw std::runtime_error("the module has no forward method");
    } catch (const c10::Error& e) {
      throw Napi::Error::New(env, firstLine(e.what_without_backtrace()));
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, firstLine(e.what()));
    }
  }

 private:
  std::shared_ptr<torch::jit::Module> module_;
  std::map<std::string, TapGraph> fns_;

  Napi::Value Submodules(const Napi::CallbackInfo& info) {
    auto a = Napi::Array::New(info.Env());
    uint32_t i = 0;
    for (const auto& m : module_->named_modules()) {
      if (!m.name.empty()) a.Set(i++, Napi::String::New(info.Env(), m.name));
    }
    return a;
  }

  torch::Tensor inputTensor(Napi::Env env, const Napi::Value& v, const Napi::Value& d) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(env, "input must be a Float32Array");
    if (!d.IsArray()) throw Napi::TypeError::New(env, "dims must be an array");
    auto a = d.As<Napi::Array>();
    std::vector<int64_t> dims;
    int64_t n = 1;
    for (uint32_t i = 0; i < a.Length(); i++) {
      dims.push_back(a.Get(i).As<Napi::Number>().Int64Value());
      n *= dims.back();
    }
    auto x = v.As<Napi::Float32Array>();
    if (n != static_cast<int64_t>(x.ElementLength()))
      throw Napi::RangeError::New(env, "input size does not match its dims");
    return torch::from_blob(x.Data(), dims, torch::kFloat32);
  }

  const TapGraph& function(const std::vector<std::string>& taps, bool lenient) {
    std::string key = lenient ? "?" : "";
    for (const auto& t : taps) key += t + "\n";
    auto it = fns_.find(key);
    if (it != fns_.end()) return it->second;
    return fns_[key] = tapFunction(*module_, taps, lenient);
  }

  static torch::Tensor firstTensor(const c10::IValue& v) {
    if (v.isTensor()) return v.toTensor();
    if (v.isTuple() && !v.toTupleRef().elements().empty()) return firstTensor(v.toTupleRef().elements()[0]);
    if (v.isList() && v.toListRef().size()) return firstTensor(v.toListRef()[0]);
    throw std::runtime_error("the module's forward does not return a tensor");
  }

  // forward(input, dims, taps, lenient?) -> Promise<{ output, outputDims, taps: { name: { data,
  // dims } } }>; lenient: taps that cannot be read are left out of `taps` instead of failing.
  Napi::Value Forward(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto x = inputTensor(env, info[0], info[1]);
    std::vector<std::string> wanted;
    if (info[2].IsArray()) {
      auto a = info[2].As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); i++) wanted.push_back(a.Get(i).ToString());
    }
    const bool lenient = info.Length() > 3 && info[3].ToBoolean();
    auto names = std::make_shared<std::vector<std::string>>();
    auto results = std::make_shared<std::vector<torch::Tensor>>();
    auto self = this;
    auto* task = scriptTask(
        env,
        [=]() {
          torch::NoGradGuard ng;
          const auto& tg = self->function(wanted, lenient);
          *names = tg.found;
          auto out = (*tg.fn)({self->module_->_ivalue(), x});
          const auto& el = out.toTupleRef().elements();
          results->push_back(firstTensor(el[0]));
          for (size_t i = 1; i < el.size(); i++) results->push_back(el[i].toTensor());
        },
        [=](Napi::Env e) -> Napi::Value {
          auto r = Napi::Object::New(e);
          r.Set("output", toArray(e, (*results)[0]));
          r.Set("outputDims", dimsArray(e, (*results)[0]));
          auto t = Napi::Object::New(e);
          for (size_t i = 0; i < names->size(); i++) {
            auto o = Napi::Object::New(e);
            o.Set("data", toArray(e, (*results)[i + 1]));
            o.Set("dims", dimsArray(e, (*results)[i + 1]));
            t.Set((*names)[i], o);
          }
          r.Set("taps", t);
          return r;
        },
        {info[0], info.This()});
    task->Queue();
    return task->Promise();
  }

  // tapGradient(input, dims, tap, target) -> Promise<{ activation, gradient, dims }>
  Napi::Value TapGradient(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto x = inputTensor(env, info[0], info[1]);
    const std::string tap = info[2].ToString();
    const int64_t target = info[3].IsNumber() ? info[3].As<Napi::Number>().Int64Value() : -1;
    auto act = std::make_shared<torch::Tensor>();
    auto grad = std::make_shared<torch::Tensor>();
    auto self = this;
    auto* task = scriptTask(
        env,
        [=]() {
          torch::AutoGradMode enable(true);
          // The profiling executor's differentiable subgraphs do not link gradients to values
          // returned from inside them; the plain interpreter does.
          const bool optimize = torch::jit::getGraphExecutorOptimize();
          torch::jit::setGraphExecutorOptimize(false);
          struct Restore {
            bool o;
            ~Restore() { torch::jit::setGraphExecutorOptimize(o); }
          } restore{optimize};
          auto xin = x.clone().requires_grad_(true);  // the tap stays in the graph even if frozen
          auto out = (*self->function({"\ngrad", tap}, false).fn)({self->module_->_ivalue(), xin});
          const auto& el = out.toTupleRef().elements();
          auto y = firstTensor(el[0]);
          if (y.dim() != 2 || target < 0 || target >= y.size(1))
            throw std::runtime_error("target " + std::to_string(target) + " is not an output index");
          auto a = el.back().toTensor();
          *grad = torch::autograd::grad({y.select(1, target).sum()}, {a})[0].detach();
          *act = a.detach();
        },
        [=](Napi::Env e) -> Napi::Value {
          auto r = Napi::Object::New(e);
          r.Set("activation", toArray(e, *act));
          r.Set("gradient", toArray(e, *grad));
          r.Set("dims", dimsArray(e, *act));
          return r;
        },
        {info[0], info.This()});
    task->Queue();
    return task->Promise();
  }
};

// readTensorArchive(path) -> { name: { data: Float32Array, dims } } for every tensor in a torch
// archive (OutputArchive::save_to, as the native engine writes weights.pt).
Napi::Value ReadTensorArchive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = info[0].ToString();
  std::lock_guard<std::mutex> lock(gScript);
  auto r = Napi::Object::New(env);
  try {
    torch::serialize::InputArchive ar;
    ar.load_from(path);
    for (const auto& key : ar.keys()) {
      torch::Tensor t;
      if (!ar.try_read(key, t, false) && !ar.try_read(key, t, true)) continue;
      auto o = Napi::Object::New(env);
      o.Set("data", toArray(env, t));
      o.Set("dims", dimsArray(env, t));
      r.Set(key, o);
    }
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, firstLine(e.what_without_backtrace()));
  }
  return r;
}

}  // namespace
}  // namespace ecgtlc

Napi::Object InitTorchScript(Napi::Env env, Napi::Object exports) {
  exports.Set("ScriptModule", ecgtlc::ScriptModule::Define(env));
  exports.Set("readTensorArchive", Napi::Function::New(env, ecgtlc::ReadTensorArchive));
  return exports;
}
