// The 1D-ResNet engine (training step, forward with taps, Grad-CAM, save/load). Owned by src/model.
#include <napi.h>

Napi::Object InitNetwork(Napi::Env env, Napi::Object exports) { return exports; }
