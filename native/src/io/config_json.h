// config_json.h — SD 1.x configurations as diffusers / transformers config.json objects.
// The inverse of models/config.h's *_config_from_json (every field, so a configuration read back
// describes the same network): how configurations leave the engine (sdn_model_info,
// sdn_checkpoint_infer), with config.json's key names.
#pragma once

#include "../models/config.h"
#include "json.h"

namespace sdn {

JsonValue clip_config_to_json(const CLIPConfig & c);
JsonValue unet_config_to_json(const UNetConfig & c);
JsonValue vae_config_to_json(const VAEConfig & c);
JsonValue taesd_config_to_json(const TAESDConfig & c);
JsonValue controlnet_config_to_json(const ControlNetConfig & c);

// A float as the shortest decimal that reads back to the same float (0.18215f -> 0.18215).
JsonValue json_float(float x);

} // namespace sdn
