// The one thread that runs all of the engine's libtorch work. Owned by src/model.
//
// Why one thread: libtorch runs its intra-op work on libgomp (OpenMP), which keeps a separate team
// of workers for every thread that starts parallel work, and OpenMP's thread count is per thread.
// Run from libuv's pool (4 threads) and Node's main thread, the engine grew up to five teams, each
// worker cold to the others' data; libgomp switched to its oversubscribed wait regime (more OpenMP
// threads than cores); glibc gave each pool thread its own malloc arena, so a training step
// faulted in about twice the pages (107,000 against 35,000-55,000 here); and at::set_num_threads
// reached only the thread that called it. One thread, like a Python process, has one team, one
// arena and one thread count. It also serialises calls, so concurrent Promises never race on a
// network or on libtorch's global RNG and never oversubscribe the cores.
#pragma once
#include <functional>

namespace ecgtlc {

// Runs `work` on the libtorch thread and waits for it; rethrows what `work` throws.
void onTorchThread(const std::function<void()>& work);

}  // namespace ecgtlc
