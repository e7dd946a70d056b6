// Fuzz target: the YAML subset reader (native/src/io/yaml.cc) that reads LDM config sidecars.
// It must return a value or throw sdn::Error naming the line; deep nesting must not exhaust the
// stack. The result is written back as JSON (what the scheduler config does with yaml values).
#include <string>

#include "core/error.h"

#include "io/json.h"
#include "io/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    const std::string text(reinterpret_cast<const char *>(data), size);
    try {
        const sdn::JsonValue value = sdn::yaml_parse(text, "\"fuzz.yaml\"");
        volatile size_t sink = sdn::json_write(value).size();
        (void)sink;
    } catch (const sdn::Error &) {
    }
    return 0;
}
