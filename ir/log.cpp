#include "log.hpp"

#include <cstdlib>
#include <map>
#include <mutex>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <string>

namespace kiln::logging {

namespace {

// Level for a layer from KILN_LOG; warnings and errors show by default.
spdlog::level::level_enum level_for(std::string_view layer) {
    spdlog::level::level_enum level = spdlog::level::warn;
    const char* setting = std::getenv("KILN_LOG");
    if (!setting) return level;
    std::string_view rest = setting;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        const auto equals = item.find('=');
        if (equals == std::string_view::npos) level = spdlog::level::from_str(std::string(item));
        else if (item.substr(0, equals) == layer)
            return spdlog::level::from_str(std::string(item.substr(equals + 1)));
    }
    return level;
}

} // namespace

std::shared_ptr<spdlog::logger> get(std::string_view layer) {
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
    std::lock_guard lock(mutex);
    if (auto found = loggers.find(layer); found != loggers.end()) return found->second;
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto logger = std::make_shared<spdlog::logger>("kiln." + std::string(layer), sink);
    logger->set_level(level_for(layer));
    logger->set_pattern("[%n] %l: %v");
    loggers.emplace(std::string(layer), logger);
    return logger;
}

} // namespace kiln::logging
