#include "cpu_allocator.h"

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

#include <mutex>
#include <unordered_map>
#include <vector>

namespace ecgtlc {
namespace {

constexpr size_t kCachedMin = size_t{1} << 20;
constexpr size_t kCachedBytesMax = size_t{512} << 20;

class ReusingAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t n) const override {
    const c10::Device cpu(c10::DeviceType::CPU);
    if (n < kCachedMin) {
      void* p = c10::alloc_cpu(n);
      return {p, p, &c10::free_cpu, cpu};
    }
    void* p = take(n);
    return {p, p, &release, cpu};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }

 private:
  static std::mutex m_;
  static std::unordered_map<void*, size_t> sizes_;           // every large block handed out
  static std::unordered_map<size_t, std::vector<void*>> free_;  // free large blocks by size
  static size_t cached_;

  static void* take(size_t n) {
    {
      std::lock_guard<std::mutex> lock(m_);
      auto it = free_.find(n);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= n;
        return p;
      }
    }
    void* p = c10::alloc_cpu(n);
    std::lock_guard<std::mutex> lock(m_);
    sizes_[p] = n;
    return p;
  }

  // Also frees what the default allocator handed out (raw_deallocate of a block allocated before
  // the install, or a small block).
  static void release(void* p) {
    if (!p) return;
    {
      std::lock_guard<std::mutex> lock(m_);
      auto it = sizes_.find(p);
      if (it != sizes_.end()) {
        const size_t n = it->second;
        if (cached_ + n <= kCachedBytesMax) {
          free_[n].push_back(p);
          cached_ += n;
          return;
        }
        sizes_.erase(it);
      }
    }
    c10::free_cpu(p);
  }
};

std::mutex ReusingAllocator::m_;
std::unordered_map<void*, size_t> ReusingAllocator::sizes_;
std::unordered_map<size_t, std::vector<void*>> ReusingAllocator::free_;
size_t ReusingAllocator::cached_ = 0;

}  // namespace

void installCpuAllocator() {
  // Never destroyed: tensors may outlive any static destructor order.
  static auto* allocator = [] {
    auto* a = new ReusingAllocator();
    c10::SetCPUAllocator(a, /*priority=*/1);
    return a;
  }();
  (void)allocator;
}

}  // namespace ecgtlc
