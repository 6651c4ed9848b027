#include "errors.hpp"

namespace kiln {

void fail_internal_check(const char* file, int line, const char* condition,
                         const std::string& detail) {
    std::string message = std::string("internal error at ") + file + ":" + std::to_string(line) +
                          ": check '" + condition + "' failed";
    if (!detail.empty()) message += ": " + detail;
    throw InternalError(message);
}

} // namespace kiln
