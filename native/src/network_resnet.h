// The 1D-ResNet of Ribeiro et al. (2020), as in their PyTorch code (antonior92/ecg-age-prediction):
// a stem conv, four residual units that carry two streams (x: the post-activation path, y: the
// pre-activation sum the skip adds to), and a flatten -> linear head (or, as an option, a mean over
// time -> linear head, which makes the output blind to where in the record a feature occurs).
// Owned by src/model.
#pragma once
#include <torch/torch.h>

#include "dropout.h"

#include <string>
#include <vector>

namespace ecgtlc {

struct ResNetOptions {
  int64_t leads = 12;
  int64_t length = 1024;
  std::vector<int64_t> channels = {64, 128, 196, 256, 320};  // stem, then one per unit
  int64_t kernel = 17;
  int64_t downsample = 2;
  int64_t outputs = 5;
  double dropout = 0.2;
  bool meanHead = false;  // mean over time -> linear, instead of flatten -> linear
};

// "Same" padding for a strided conv, as _padding() in the reference code.
inline int64_t paddingFor(int64_t downsample, int64_t kernel) {
  return std::max<int64_t>(0, (kernel - downsample + 1) / 2);
}

struct ResUnitImpl : torch::nn::Module {
  torch::nn::Conv1d conv1{nullptr}, conv2{nullptr}, skipConv{nullptr};
  torch::nn::BatchNorm1d bn1{nullptr}, bn2{nullptr};
  torch::nn::Dropout drop1{nullptr}, drop2{nullptr};
  torch::nn::MaxPool1d pool{nullptr};
  int64_t downsample;

  ResUnitImpl(int64_t in, int64_t out, int64_t ds, int64_t kernel, double dropout) : downsample(ds) {
    using namespace torch::nn;
    conv1 = register_module(
        "conv1", Conv1d(Conv1dOptions(in, out, kernel).padding(paddingFor(1, kernel)).bias(false)));
    bn1 = register_module("bn1", BatchNorm1d(out));
    drop1 = register_module("dropout1", Dropout(dropout));
    conv2 = register_module("conv2", Conv1d(Conv1dOptions(out, out, kernel)
                                                .stride(ds)
                                                .padding(paddingFor(ds, kernel))
                                                .bias(false)));
    bn2 = register_module("bn2", BatchNorm1d(out));
    drop2 = register_module("dropout2", Dropout(dropout));
    if (ds > 1) pool = register_module("pool", MaxPool1d(MaxPool1dOptions(ds).stride(ds)));
    if (in != out)
      skipConv = register_module("skip", Conv1d(Conv1dOptions(in, out, 1).bias(false)));
  }

  // Returns (x, y): x the unit's output (the tap), y the pre-activation sum for the next skip.
  std::pair<torch::Tensor, torch::Tensor> forward(torch::Tensor x, torch::Tensor y) {
    if (pool) y = pool(y);
    if (skipConv) y = skipConv(y);
    x = ecgtlc::dropout(torch::relu(bn1(conv1(x))), drop1->options.p(), is_training());
    x = conv2(x) + y;
    y = x;
    x = ecgtlc::dropout(torch::relu(bn2(x)), drop2->options.p(), is_training());
    return {x, y};
  }
};
TORCH_MODULE(ResUnit);

struct ResNetImpl : torch::nn::Module {
  ResNetOptions opts;
  torch::nn::Conv1d stem{nullptr};
  torch::nn::BatchNorm1d stemBn{nullptr};
  std::vector<ResUnit> units;
  torch::nn::Linear head{nullptr};
  std::vector<int64_t> steps;  // time steps of each unit's output

  explicit ResNetImpl(const ResNetOptions& o) : opts(o) {
    using namespace torch::nn;
    const int64_t c0 = o.channels.at(0);
    stem = register_module("stem", Conv1d(Conv1dOptions(o.leads, c0, o.kernel)
                                              .padding(paddingFor(1, o.kernel))
                                              .bias(false)));
    stemBn = register_module("stem_bn", BatchNorm1d(c0));
    int64_t t = o.length;
    for (size_t i = 1; i < o.channels.size(); i++) {
      units.push_back(register_module(
          "unit" + std::to_string(i),
          ResUnit(o.channels[i - 1], o.channels[i], o.downsample, o.kernel, o.dropout)));
      t = (t + 2 * paddingFor(o.downsample, o.kernel) - o.kernel) / o.downsample + 1;
      steps.push_back(t);
    }
    head = register_module("head", Linear(o.channels.back() * (o.meanHead ? 1 : t), o.outputs));
  }

  // Raw outputs (logits / standardised age). When taps is given, the output of unit i is stored in
  // (*taps)[i] for every i whose want[i] is true (undefined otherwise).
  torch::Tensor forward(torch::Tensor x, std::vector<torch::Tensor>* taps = nullptr,
                        const std::vector<bool>* want = nullptr) {
    x = torch::relu(stemBn(stem(x)));
    torch::Tensor y = x;
    for (size_t i = 0; i < units.size(); i++) {
      std::tie(x, y) = units[i]->forward(x, y);
      if (taps && (!want || (*want)[i])) (*taps)[i] = x;
    }
    return head(opts.meanHead ? x.mean(2) : x.flatten(1));
  }
};
TORCH_MODULE(ResNet);

}  // namespace ecgtlc
