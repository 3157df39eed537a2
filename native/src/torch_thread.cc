#include "torch_thread.h"

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace ecgtlc {
namespace {

thread_local bool tOnTorchThread = false;

class TorchThread {
 public:
  TorchThread() : thread_([this] { loop(); }) { thread_.detach(); }

  void run(const std::function<void()>& work) {
    std::packaged_task<void()> task(work);
    auto done = task.get_future();
    {
      std::lock_guard<std::mutex> lock(m_);
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    done.get();
  }

 private:
  void loop() {
    tOnTorchThread = true;
    for (;;) {
      std::packaged_task<void()> task;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [this] { return !queue_.empty(); });
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<void()>> queue_;
  std::thread thread_;
};

}  // namespace

void onTorchThread(const std::function<void()>& work) {
  // Never destroyed: the thread lives as long as the process (and needs no join at exit).
  static auto* thread = new TorchThread();
  if (tOnTorchThread) return work();
  thread->run(work);
}

}  // namespace ecgtlc
