// napi_util.h — the shared plumbing of the N-API layer (native/src/binding/ is the only place that
// includes N-API headers). It turns a status (or the test op families' sdn::Error) into a JS Error with
// `code` = the status name, runs heavy work on a libuv worker thread behind a Promise, and converts
// typed arrays.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../core/error.h"
#include "../core/tensor.h"

namespace sdn::binding {

// A JS Error carrying `code` (e.g. "SDN_STATUS_BAD_FORMAT").
Napi::Error make_error(Napi::Env env, sdn_status status, const std::string & message);

// Runs fn synchronously, turning sdn::Error and std::exception into thrown JS errors.
template <typename Fn>
Napi::Value guard(Napi::Env env, Fn && fn) {
    try {
        return fn();
    } catch (const Napi::Error &) {
        throw;
    } catch (const sdn::Error & e) {
        throw make_error(env, e.status(), e.what());
    } catch (const std::bad_alloc &) {
        throw make_error(env, SDN_STATUS_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception & e) {
        throw make_error(env, SDN_STATUS_INTERNAL, e.what());
    }
}

// Work for a worker thread: `execute` runs off the JS thread (no N-API calls in it!) and may throw
// sdn::Error; `complete` runs on the JS thread and builds the resolved value.
struct AsyncJob {
    std::function<void()> execute;
    std::function<Napi::Value(Napi::Env)> complete;
    std::vector<Napi::Reference<Napi::Value>> keep_alive; // JS values the work reads or writes
};

// Queues the job and returns a Promise settled when it finishes.
Napi::Promise run_async(Napi::Env env, AsyncJob job);

// Keeps a JS value alive until an AsyncJob completes.
Napi::Reference<Napi::Value> keep(Napi::Value value);

// Argument helpers: each throws a TypeError naming the argument on mismatch.
Napi::Float32Array arg_f32(const Napi::CallbackInfo & info, size_t i, const char * name);
Napi::Uint16Array arg_u16(const Napi::CallbackInfo & info, size_t i, const char * name);
int64_t arg_int(const Napi::CallbackInfo & info, size_t i, const char * name);
double arg_number(const Napi::CallbackInfo & info, size_t i, const char * name);
std::string arg_string(const Napi::CallbackInfo & info, size_t i, const char * name);
std::vector<int64_t> arg_shape(const Napi::CallbackInfo & info, size_t i, const char * name);


// The families register their functions on `exports`: the engine's C API (binding.cc) and the test
// attention surface (binding_attention.cc).
void register_engine(Napi::Env env, Napi::Object exports);
void register_attention(Napi::Env env, Napi::Object exports);

} // namespace sdn::binding
