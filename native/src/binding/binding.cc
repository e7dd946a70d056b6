// binding.cc — the addon's entry point: each family of functions registers itself here.
#include "napi_util.h"

namespace sdn::binding {

Napi::Object init(Napi::Env env, Napi::Object exports) {
    register_core(env, exports);
    register_io(env, exports);
    register_models(env, exports);
    register_attention(env, exports);
    return exports;
}

} // namespace sdn::binding

static Napi::Object init_module(Napi::Env env, Napi::Object exports) { return sdn::binding::init(env, exports); }

NODE_API_MODULE(latentflow, init_module)
