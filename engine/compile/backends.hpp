// Which backend compiles and runs a function: the one place that maps
// config "device" to a jit::Backend. Everything else in the engine holds a
// jit::Backend& and never names a concrete backend.
#pragma once

#include "../api/config.hpp"

#include "../../jit/backend.hpp"

namespace kiln {

/// The backend of `device`; created on first use.
jit::Backend& backend_for(Device device);

/// The backend config "device" names now.
inline jit::Backend& configured_backend() { return backend_for(config().device()); }

} // namespace kiln
