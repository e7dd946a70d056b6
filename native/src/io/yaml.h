// yaml.h — a reader for the small subset of YAML that LDM/CompVis model configs use (v1-inference.yaml
// and the sidecar .yaml files A1111 and ComfyUI read next to a checkpoint).
//
// Supported: block mappings and block sequences by indentation (spaces only; a sequence may sit at
// its parent key's indentation), `- key: value` items, flow sequences and mappings on one line
// (`[1, 2, 4]`, `{a: 1}`), plain / 'single' / "double" quoted scalars, `#` comments, a leading `---`.
// Plain scalars resolve as YAML 1.2's core schema: null / ~, true / false, integers, floats
// (1.0e-04, .inf, .nan), otherwise strings.
// Not supported (rejected with a BAD_FORMAT error naming the line): tabs in indentation, anchors and
// aliases, tags, block scalars (| and >), multi-line flow collections, several documents.
// The result is a JsonValue tree, so config code reads YAML and JSON the same way.
#pragma once

#include <string>

#include "json.h"

namespace sdn {

// Parses `text`; `what` names the source in error messages ("\"v1-inference.yaml\"").
JsonValue yaml_parse(const std::string & text, const std::string & what);

} // namespace sdn
