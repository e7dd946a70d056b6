// sdn_t2i_adapter_test: the engine's T2I-Adapter (models/t2i_adapter/, io/t2i_adapter_file.h) on the three
// fixture files of test/fixtures/t2i-adapter/ against their PyTorch features (scripts/reference/make_t2i_adapter.py),
// at 1e-4 x max|ref|; then the tiny-sd UNet with the full adapter's features x 0.8 (ControlResiduals::input) against
// eps_full, and with zero features against eps_plain; the SDXL adapter of test/fixtures/t2i-adapter-sdxl/ in both
// layouts against its features (scripts/reference/make_t2i_adapter_sdxl.py). Run from the repository root; prints one line per check,
// exits 1 on a failure.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include "io/json.h"
#include "io/safetensors.h"
#include "io/t2i_adapter_file.h"
#include "models/config.h"
#include "models/controlnet/control_residuals.h"
#include "models/unet/unet.h"
using namespace sdn;
int main() {
    auto ref = SafetensorsFile::open("test/fixtures/t2i-adapter/reference.safetensors");
    int fails = 0;
    const auto cmp = [&](const std::string & what, const Tensor & got, Tensor want) {
        want = to_f32(want);
        double mx = 0, err = 0;
        bool shape_ok = got.shape == want.shape;
        for (int64_t i = 0; shape_ok && i < want.numel(); ++i) { mx = std::max(mx, (double)std::fabs(want.f32()[i])); err = std::max(err, (double)std::fabs(got.f32()[i] - want.f32()[i])); }
        const bool ok = shape_ok && err <= 1e-4 * mx;
        fails += !ok;
        std::printf("%s %s: shape %s, max err %.3g, max|ref| %.3g, rel %.3g\n", ok ? "ok  " : "FAIL", what.c_str(), shape_ok ? "ok" : shape_str(got.shape).c_str(), err, mx, err / mx);
    };
    for (const char * f : {"t2i_full", "t2i_diffusers", "t2i_light"}) {
        T2IAdapterFile file = t2i_adapter_file_load(std::string("test/fixtures/t2i-adapter/") + f + ".safetensors", WeightStorage::F32);
        T2IAdapter net(file.config, file.weights);
        const std::string key = file.config.light ? "light." : "full.";
        std::printf("%s: layout %s light %d hint_channels %ld levels %zu R %ld ksize %ld\n", f, file.layout.c_str(), file.config.light, (long)file.config.hint_channels, file.config.channels.size(), (long)file.config.blocks_per_level, (long)file.config.ksize);
        auto feats = net.forward(to_f32(ref->tensor("hint")));
        for (size_t i = 0; i < feats.size(); ++i) cmp(std::string(f) + " " + key + std::to_string(i), feats[i], ref->tensor(key + std::to_string(i)));
        if (!file.config.light) {
            auto odd = net.forward(to_f32(ref->tensor("hint_odd")));
            for (size_t i = 0; i < odd.size(); ++i) cmp(std::string(f) + " full_odd." + std::to_string(i), odd[i], ref->tensor("full_odd." + std::to_string(i)));
        }
    }
    // SDXL's adapter (scripts/reference/make_t2i_adapter_sdxl.py): both layouts against xl.i.
    auto ref_xl = SafetensorsFile::open("test/fixtures/t2i-adapter-sdxl/reference.safetensors");
    auto inputs_xl = SafetensorsFile::open("test/fixtures/controlnet-sdxl/reference.safetensors");
    for (const char * f : {"t2i_xl_full", "t2i_xl_diffusers"}) {
        T2IAdapterFile file = t2i_adapter_file_load(std::string("test/fixtures/t2i-adapter-sdxl/") + f + ".safetensors", WeightStorage::F32);
        T2IAdapter net(file.config, file.weights);
        std::printf("%s: layout %s xl %d hint_channels %ld levels %zu\n", f, file.layout.c_str(), file.config.xl, (long)file.config.hint_channels, file.config.channels.size());
        auto feats = net.forward(to_f32(inputs_xl->tensor("hint")));
        for (size_t i = 0; i < feats.size(); ++i) cmp(std::string(f) + " xl." + std::to_string(i), feats[i], ref_xl->tensor("xl." + std::to_string(i)));
    }
    {
        std::ifstream in("test/fixtures/tiny-sd/unet/config.json");
        std::stringstream text;
        text << in.rdbuf();
        auto weights = std::make_shared<WeightStore>(WeightStorage::F32);
        weights->add_file(SafetensorsFile::open("test/fixtures/tiny-sd/unet/diffusion_pytorch_model.safetensors"));
        UNet unet(unet_config_from_json(json_parse(text.str(), "tiny-sd UNet config"), "tiny-sd UNet config"), weights);
        T2IAdapterFile file = t2i_adapter_file_load("test/fixtures/t2i-adapter/t2i_full.safetensors", WeightStorage::F32);
        auto feats = T2IAdapter(file.config, file.weights).forward(to_f32(ref->tensor("hint")));
        const Tensor x = to_f32(ref->tensor("x16")), t = to_f32(ref->tensor("t")), context = to_f32(ref->tensor("context"));
        ControlResiduals plain, full;
        for (const Tensor & f : feats) {
            Tensor zero = Tensor::zeros(f.shape), scaled = Tensor::zeros(f.shape);
            for (int64_t i = 0; i < f.numel(); ++i) scaled.f32()[i] = 0.8f * f.f32()[i];
            plain.input.push_back(zero);
            full.input.push_back(scaled);
        }
        cmp("unet eps_plain (zero features)", unet.forward(x, t.f32(), context, AttentionMode::Naive, nullptr, {}, &plain), ref->tensor("eps_plain"));
        cmp("unet eps_full (features x 0.8)", unet.forward(x, t.f32(), context, AttentionMode::Naive, nullptr, {}, &full), ref->tensor("eps_full"));
        // Through control_residuals, as a sampling call runs it: one adapter at 0.8, the same adapter stacked at
        // 0.5 + 0.3 (a batch-1 hint spread over the call's batch 2 would differ: the fixture's hint has batch 2).
        T2IAdapter adapter(file.config, file.weights);
        const Tensor hint = to_f32(ref->tensor("hint"));
        ControlApply one;
        one.adapter = &adapter;
        one.hint = hint;
        one.strength = 0.8f;
        ControlApply half = one, rest = one;
        half.strength = 0.5f;
        rest.strength = 0.3f;
        ControlResiduals single = control_residuals({one}, x, t.f32(), context, AttentionMode::Naive, nullptr);
        cmp("control_residuals adapter 0.8", unet.forward(x, t.f32(), context, AttentionMode::Naive, nullptr, {}, &single), ref->tensor("eps_full"));
        ControlResiduals stacked = control_residuals({half, rest}, x, t.f32(), context, AttentionMode::Naive, nullptr);
        cmp("control_residuals adapters 0.5 + 0.3", unet.forward(x, t.f32(), context, AttentionMode::Naive, nullptr, {}, &stacked), ref->tensor("eps_full"));
        cmp("unet eps_plain (no control)", unet.forward(x, t.f32(), context, AttentionMode::Naive, nullptr), ref->tensor("eps_plain"));
    }
    std::printf("%d failures\n", fails);
    return fails != 0;
}
