// config_json.h — SD 1.x configurations as diffusers / transformers config.json objects.
// The inverse of models/config.h's *_config_from_json: used to overlay a sidecar on a configuration
// inferred from tensor shapes, and to hand configurations to JavaScript with config.json's key names.
#pragma once

#include "../models/config.h"
#include "json.h"

namespace sdn {

JsonValue clip_config_to_json(const CLIPConfig & c);
JsonValue unet_config_to_json(const UNetConfig & c);
JsonValue vae_config_to_json(const VAEConfig & c);

// A float as the shortest decimal that reads back to the same float (0.18215f -> 0.18215).
JsonValue json_float(float x);

} // namespace sdn
