#include "lora_adapter.h"

#include "../../core/arena.h"
#include "../../core/profile.h"
#include "../../ops/conv2d.h"

namespace sdn {

namespace {
thread_local const LayerLoras * t_loras = nullptr;

// In place: t *= s.
void scale_inplace(Tensor & t, float s) {
    if (arena_measuring() || s == 1.0f) return;
    float * p = t.f32();
    for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] *= s;
}
} // namespace

const LayerLora * lora_for(const std::string & layer) {
    if (!t_loras) return nullptr;
    auto it = t_loras->find(layer);
    return it == t_loras->end() ? nullptr : &it->second;
}

LoraScope::LoraScope(const LayerLoras * loras) : previous(t_loras) { t_loras = loras; }
LoraScope::~LoraScope() { t_loras = previous; }

void lora_linear_add(const LayerLora & lora, const float * x, int64_t M, int64_t in, int64_t out, float * y, Precision precision) {
    for (const LoraTerm & term : lora.terms) {
        const int64_t r = term.down->dim(0);
        Tensor t = Tensor::empty({M, r});                                                  // [M, r]
        if (arena_measuring()) {
            arena_workspace(std::max(gemm_workspace_bytes(M, r, in, precision), gemm_workspace_bytes(M, out, r, precision)));
            continue;
        }
        ProfileScope prof(ProfOp::Linear, 2.0 * M * r * (in + out));
        gemm(M, r, in, x, in, MatB{term.down->data, DType::F32, true, in}, t.f32(), r, nullptr, false, precision); // t = x down^T
        scale_inplace(t, term.scale);                                                     // t *= s
        gemm(M, out, r, t.f32(), r, MatB{term.up->data, DType::F32, true, r}, y, out, nullptr, true, precision); // y += t up^T
    }
}

Tensor lora_conv_add(const LayerLora & lora, const Conv2dShape & s, const Tensor & x, const Tensor & y) {
    Tensor acc = y;
    for (const LoraTerm & term : lora.terms) {
        const int64_t r = term.down->dim(0);
        const int64_t k = s.KH; // the down kernel has the layer's size (checked when the LoRA was matched)
        Conv2dShape ds = s;     // down: the layer's geometry (kernel, stride, padding, up-sampling), r output channels
        ds.Cout = r;
        Tensor t = Tensor::empty({s.B, r, ds.out_h(), ds.out_w()});                       // [B, r, Ho, Wo]
        const Conv2dShape us{s.B, r, ds.out_h(), ds.out_w(), s.Cout, 1, 1, 1, 0, 1, s.precision};
        Tensor next = Tensor::empty(acc.shape);                                            // [B, cout, Ho, Wo]
        if (arena_measuring()) {
            arena_workspace(std::max(conv2d_workspace_bytes(ds), conv2d_workspace_bytes(us)));
            acc = next;
            continue;
        }
        const Tensor down = term.down->rank() == 4 ? *term.down : term.down->reshape({r, s.Cin, 1, 1});
        const Tensor up = term.up->rank() == 4 ? *term.up : term.up->reshape({s.Cout, r, 1, 1});
        ProfileScope prof(ProfOp::ConvOther, 2.0 * t.numel() * s.Cin * k * k + 2.0 * acc.numel() * r);
        conv2d(ds, x.f32(), down, nullptr, nullptr, t.f32());                              // t = down * x
        scale_inplace(t, term.scale);                                                      // t *= s
        conv2d(us, t.f32(), up, nullptr, acc.f32(), next.f32());                           // next = up * t + acc
        acc = next;
    }
    return acc;
}

} // namespace sdn
