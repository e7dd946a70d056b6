// error.h — the engine's one error type. Internal code throws sdn::Error; the C surface and
// binding.cc catch it and turn it into a status plus a message (never a crash).
#pragma once

#include <stdexcept>
#include <string>

#include "sdn.h"

namespace sdn {

class Error : public std::runtime_error {
public:
    Error(sdn_status status, const std::string & message) : std::runtime_error(message), status_(status) {}
    sdn_status status() const { return status_; }

private:
    sdn_status status_;
};

// Sets the thread-local message read by sdn_last_error().
void set_last_error(const std::string & message);

// Checks a condition a user can cause; throws with the given status and message when false.
inline void require(bool ok, sdn_status status, const std::string & message) {
    if (!ok) throw Error(status, message);
}

} // namespace sdn
