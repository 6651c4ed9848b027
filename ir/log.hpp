// kiln's loggers (internal header: keeps spdlog out of the public API).
// One named logger per layer, quiet by default. KILN_LOG sets levels:
// "debug" for all, or "jit=trace,cache=debug" per logger.
#pragma once

#include <memory>
#include <spdlog/spdlog.h>
#include <string_view>

namespace kiln::logging {

/// The logger of one layer: "ir", "engine", "opt", "jit", "cache", "cuda".
std::shared_ptr<spdlog::logger> get(std::string_view layer);

} // namespace kiln::logging
