// The on-disk store compile() uses for both kinds of entry (kernels' code,
// compiled functions): opened once per setting of the configuration and
// shared by every backend and the function cache.
#pragma once

#include "../../jit/disk_cache.hpp"

#include <memory>

namespace kiln {

/// The store config "disk_cache", "disk_cache_dir" and "disk_cache_limit"
/// ask for now; null when it is off or its folder is refused (after one
/// warning). Opening checks (and may create) the folder, once per setting.
std::shared_ptr<jit::DiskCache> configured_disk_cache();

} // namespace kiln
