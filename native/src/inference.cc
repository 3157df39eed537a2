#include "inference.h"

namespace ecgtlc {

torch::Tensor BlockedForward::conv(const torch::nn::Conv1d& c, const torch::Tensor& x) {
  const auto& o = c->options;
  const int64_t pad = (*c10::get<torch::ExpandingArray<1>>(o.padding()))[0];
  const int64_t stride = (*o.stride())[0];
  const auto& w = c->weight;
  Weight& cached = weights_[c.get()];
  if (cached.version != w._version() || cached.data != w.data_ptr()) {
    // A conv1d is a conv2d over a height of 1; oneDNN's preferred layout for its weight.
    cached.blocked = at::mkldnn_reorder_conv2d_weight(w.detach().unsqueeze(2).to_mkldnn(), {0, pad},
                                                      {1, stride}, {1, 1}, 1);
    cached.version = w._version();
    cached.data = w.data_ptr();
  }
  return at::mkldnn_convolution(x, cached.blocked, c10::nullopt, {0, pad}, {1, stride}, {1, 1}, 1);
}

torch::Tensor BlockedForward::operator()(ResNet& net, const torch::Tensor& input,
                                         std::vector<torch::Tensor>* taps,
                                         const std::vector<bool>* want) {
  // (batch, channels, 1, steps) in oneDNN's layout.
  auto bn = [](const torch::nn::BatchNorm1d& b, const torch::Tensor& x) {
    return torch::batch_norm(x, b->weight, b->bias, b->running_mean, b->running_var, false, 0,
                             b->options.eps(), false);
  };
  torch::Tensor x = bn(net->stemBn, conv(net->stem, input.unsqueeze(2).to_mkldnn())).relu_();
  torch::Tensor y = x;
  torch::Tensor dense;
  const size_t n = net->units.size();
  for (size_t i = 0; i < n; i++) {
    auto& u = net->units[i];
    if (u->pool) y = at::max_pool2d(y, {1, u->downsample}, {1, u->downsample});
    if (u->skipConv) y = conv(u->skipConv, y);
    x = bn(u->bn1, conv(u->conv1, x)).relu_();
    x = conv(u->conv2, x).add_(y);
    y = x;
    x = bn(u->bn2, x).relu_();
    const bool tap = taps && (!want || (*want)[i]);
    if (tap || i + 1 == n) dense = x.to_dense().squeeze(2);
    if (tap) (*taps)[i] = dense;
  }
  return net->head(net->opts.meanHead ? dense.mean(2) : dense.flatten(1));
}

}  // namespace ecgtlc
