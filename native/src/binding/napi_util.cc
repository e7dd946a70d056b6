#include "napi_util.h"

#include <cstring>

namespace sdn::binding {

Napi::Error make_error(Napi::Env env, sdn_status status, const std::string & message) {
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, sdn_status_name(status)));
    return error;
}

namespace {

class Worker : public Napi::AsyncWorker {
public:
    Worker(Napi::Env env, AsyncJob job)
        : Napi::AsyncWorker(env, "latentflow:native"), deferred_(Napi::Promise::Deferred::New(env)), job_(std::move(job)) {}

    Napi::Promise promise() { return deferred_.Promise(); }

    void Execute() override {
        try {
            job_.execute();
        } catch (const sdn::Error & e) {
            status_ = e.status();
            message_ = e.what();
        } catch (const std::bad_alloc &) {
            status_ = SDN_STATUS_OUT_OF_MEMORY;
            message_ = "out of memory";
        } catch (const std::exception & e) {
            status_ = SDN_STATUS_INTERNAL;
            message_ = e.what();
        }
    }

    void OnOK() override {
        Napi::Env env = Env();
        Napi::HandleScope scope(env);
        if (status_ != SDN_STATUS_OK) {
            deferred_.Reject(make_error(env, status_, message_).Value());
            return;
        }
        try {
            deferred_.Resolve(guard(env, [&] { return job_.complete ? job_.complete(env) : env.Undefined(); }));
        } catch (const Napi::Error & e) {
            deferred_.Reject(e.Value());
        }
    }

    void OnError(const Napi::Error & e) override { deferred_.Reject(e.Value()); }

private:
    Napi::Promise::Deferred deferred_;
    AsyncJob job_;
    sdn_status status_ = SDN_STATUS_OK;
    std::string message_;
};

} // namespace

Napi::Promise run_async(Napi::Env env, AsyncJob job) {
    auto * worker = new Worker(env, std::move(job));
    Napi::Promise promise = worker->promise();
    worker->Queue();
    return promise;
}

Napi::Reference<Napi::Value> keep(Napi::Value value) { return Napi::Persistent(value); }

static Napi::Value arg(const Napi::CallbackInfo & info, size_t i, const char * name) {
    if (i >= info.Length()) throw Napi::TypeError::New(info.Env(), std::string("missing argument \"") + name + "\"");
    return info[i];
}

Napi::Float32Array arg_f32(const Napi::CallbackInfo & info, size_t i, const char * name) {
    Napi::Value v = arg(info, i, name);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
        throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" must be a Float32Array");
    return v.As<Napi::Float32Array>();
}

Napi::Uint16Array arg_u16(const Napi::CallbackInfo & info, size_t i, const char * name) {
    Napi::Value v = arg(info, i, name);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint16_array)
        throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" must be a Uint16Array");
    return v.As<Napi::Uint16Array>();
}

double arg_number(const Napi::CallbackInfo & info, size_t i, const char * name) {
    Napi::Value v = arg(info, i, name);
    if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" must be a number");
    return v.As<Napi::Number>().DoubleValue();
}

int64_t arg_int(const Napi::CallbackInfo & info, size_t i, const char * name) {
    double d = arg_number(info, i, name);
    if (d != static_cast<double>(static_cast<int64_t>(d)))
        throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" must be an integer");
    return static_cast<int64_t>(d);
}

std::string arg_string(const Napi::CallbackInfo & info, size_t i, const char * name) {
    Napi::Value v = arg(info, i, name);
    if (!v.IsString()) throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" must be a string");
    return v.As<Napi::String>().Utf8Value();
}

std::vector<int64_t> arg_shape(const Napi::CallbackInfo & info, size_t i, const char * name) {
    Napi::Value v = arg(info, i, name);
    if (!v.IsArray()) throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" must be an array of integers");
    Napi::Array a = v.As<Napi::Array>();
    std::vector<int64_t> shape;
    for (uint32_t k = 0; k < a.Length(); ++k) {
        Napi::Value e = a.Get(k);
        if (!e.IsNumber()) throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" must be an array of integers");
        double d = e.As<Napi::Number>().DoubleValue();
        if (d < 0 || d != static_cast<double>(static_cast<int64_t>(d)))
            throw Napi::TypeError::New(info.Env(), std::string("argument \"") + name + "\" has a negative or fractional dimension");
        shape.push_back(static_cast<int64_t>(d));
    }
    return shape;
}

} // namespace sdn::binding
