// binding_models.cc — N-API functions of the models family.
#include "napi_util.h"

namespace sdn::binding {

void register_models(Napi::Env env, Napi::Object exports) {
    (void)env;
    (void)exports;
}

} // namespace sdn::binding
