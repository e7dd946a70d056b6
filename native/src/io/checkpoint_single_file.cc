#include "checkpoint.h"

namespace sdn {

// TODO(io): key mapping and configuration inference for original-layout checkpoints (issue 3).
Checkpoint checkpoint_load_single_file(const std::string & path, WeightStorage storage) {
    (void)storage;
    throw Error(SDN_STATUS_BAD_FORMAT, "single-file checkpoint \"" + path + "\": loading original-layout checkpoints is not implemented yet");
}

} // namespace sdn
