// Dropout for the 1D-ResNet. Owned by src/model.
#pragma once
#include <torch/torch.h>

namespace ecgtlc {

// What torch::dropout computes on the CPU (noise = bernoulli_(1 - p), divided by 1 - p, times the
// input), bit for bit and with the same draws from libtorch's default generator, so training stays
// what it was for a seed. Faster: bernoulli_ draws element by element through a generic serial
// kernel (a tenth of a training step); here the same Mersenne Twister runs block by block in loops
// the compiler vectorises (refill, tempering, and the comparison as integers), writing the scaled
// noise.
torch::Tensor dropout(const torch::Tensor& x, double p, bool train);

}  // namespace ecgtlc
