// rrdbnet_keys.h — reading an upscale model file: which RRDBNet layout its tensor names follow, their
// renaming to the new (basicsr / Real-ESRGAN) names RRDBNet binds, the configuration its shapes give,
// and a clear refusal of the other architectures ComfyUI's loader (spandrel) knows, named after what
// their keys look like.
//
// Layouts (an optional "params_ema." / "params." / "module." prefix on every key is dropped first):
//   new     conv_first, body.N.rdbK.convJ, conv_body, conv_upK, conv_hr, conv_last   (Real-ESRGAN, basicsr)
//   old     model.0 = conv_first, model.1.sub.N.RDBK.convJ.0 = body.N.rdbK.convJ, model.1.sub.<nb> =
//           conv_body, then per up-sampling k = 1..n model.<3k> = conv_upK, model.<3n+2> = conv_hr,
//           model.<3n+4> = conv_last (the Sequential of the original ESRGAN code, flattened: each
//           up-sampling is [Upsample, Conv2d, LeakyReLU], then Conv2d, LeakyReLU, Conv2d)
//   bsrgan  conv_first, RRDB_trunk.N.RDBK.convJ, trunk_conv, upconvK, HRconv, conv_last
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../../io/weights.h"
#include "rrdbnet.h"

namespace sdn {

struct RRDBNetFile {
    std::shared_ptr<WeightStore> weights; // under the new names
    RRDBNetConfig config;                 // from the shapes
    std::string layout;                   // "new" | "old" | "bsrgan"
};

// Reads `path` (a .safetensors file); throws BAD_FORMAT naming the file and what its keys look like when
// it is not an RRDBNet, BAD_SHAPE / MISSING_TENSOR naming the tensor when it is a damaged one.
RRDBNetFile rrdbnet_read(const std::string & path, WeightStorage storage);

// What a state dict that is not an RRDBNet looks like ("SwinIR", "HAT", "SPAN", ...), or "" when unknown.
std::string upscale_architecture_guess(const std::vector<std::string> & keys);

} // namespace sdn
