// The 1D-ResNet's forward pass for inference (eval mode, no gradients), kept in oneDNN's blocked
// layout from the first convolution to the last. Owned by src/model.
//
// Why: libtorch's dense forward runs every convolution through oneDNN, which wants its activations
// and weights in a blocked layout (16 channels interleaved): each call reorders every weight, and
// every activation into and out of each convolution, 36 reorders per pass, plus the pages they
// fault in. Here the weights are reordered once (again only when training or loading changed them)
// and the activations stay blocked through batch norm, ReLU, the residual sums and the pooling;
// only the taps asked for, and the head's input, come back to the dense layout. The convolutions
// are the same oneDNN primitives on the same values, so they agree to the bit; oneDNN's batch norm
// computes (x - mean) / sqrt(var + eps) * w + b where libtorch's folds it into x * a + b, which
// differs in the last bits (up to a few 1e-6 relative).
#pragma once
#include <torch/torch.h>

#include <map>
#include <vector>

#include "network_resnet.h"

namespace ecgtlc {

class BlockedForward {
 public:
  // As ResNetImpl::forward in eval mode without gradients; taps and want as there.
  torch::Tensor operator()(ResNet& net, const torch::Tensor& x, std::vector<torch::Tensor>* taps,
                           const std::vector<bool>* want);

 private:
  struct Weight {
    int64_t version = -1;
    const void* data = nullptr;
    torch::Tensor blocked;
  };
  // Per convolution module; valid while its weight keeps its storage and version counter (an
  // optimiser step or a load writes in place and bumps it).
  std::map<const torch::nn::Conv1dImpl*, Weight> weights_;

  torch::Tensor conv(const torch::nn::Conv1d& c, const torch::Tensor& x);
};

}  // namespace ecgtlc
