// binding_ops.cc — N-API functions of the ops family.
#include "napi_util.h"

namespace sdn::binding {

void register_ops(Napi::Env env, Napi::Object exports) {
    (void)env;
    (void)exports;
}

} // namespace sdn::binding
