// libtorch's CPU allocator, replaced by one that keeps freed blocks of a megabyte and more for the
// next request of the same size. Owned by src/model.
//
// Why: the network's activations, taps and gradients are megabytes each and come back in the same
// sizes at every call. Returned to glibc, they went back to the kernel (a thread arena gives up
// whole heaps; large blocks are mapped afresh) and every call faulted its pages in again: 15,000-
// 45,000 page faults (60-180 MB zeroed by the kernel) per forward pass or training step, a few
// percent of its CPU time. The cache holds at most kCachedBytesMax, so a process that stops using
// the network keeps at most that much.
#pragma once

namespace ecgtlc {

// Installs the allocator (once; later calls do nothing). Tensors allocated before it are freed by
// their own deleter, so installing it at any time is safe.
void installCpuAllocator();

}  // namespace ecgtlc
