#include "error.h"

namespace sdn {

static thread_local std::string g_last_error;

void set_last_error(const std::string & message) { g_last_error = message; }

} // namespace sdn

extern "C" const char * sdn_last_error(void) { return sdn::g_last_error.c_str(); }

extern "C" const char * sdn_status_name(sdn_status status) {
    switch (status) {
        case SDN_STATUS_OK: return "SDN_STATUS_OK";
        case SDN_STATUS_IO_ERROR: return "SDN_STATUS_IO_ERROR";
        case SDN_STATUS_BAD_FORMAT: return "SDN_STATUS_BAD_FORMAT";
        case SDN_STATUS_BAD_SHAPE: return "SDN_STATUS_BAD_SHAPE";
        case SDN_STATUS_BAD_ARGUMENT: return "SDN_STATUS_BAD_ARGUMENT";
        case SDN_STATUS_MISSING_TENSOR: return "SDN_STATUS_MISSING_TENSOR";
        case SDN_STATUS_OUT_OF_MEMORY: return "SDN_STATUS_OUT_OF_MEMORY";
        case SDN_STATUS_CANCELLED: return "SDN_STATUS_CANCELLED";
        case SDN_STATUS_INTERNAL: return "SDN_STATUS_INTERNAL";
    }
    return "SDN_STATUS_UNKNOWN";
}
