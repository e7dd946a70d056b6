// binding_io.cc — N-API functions of the io family.
#include "napi_util.h"

namespace sdn::binding {

void register_io(Napi::Env env, Napi::Object exports) {
    (void)env;
    (void)exports;
}

} // namespace sdn::binding
