#include "errors.hpp"

namespace kiln {

namespace {

std::string syntax_error_text(int line, int column, const std::string& message, const std::string& source_line,
                              int caret_column) {
    std::string text = "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
    if (source_line.empty()) return text;
    // Tabs stay tabs under the caret so it lines up in a terminal.
    std::string caret;
    for (int i = 0; i + 1 < caret_column && i < static_cast<int>(source_line.size()); ++i)
        caret += source_line[static_cast<std::size_t>(i)] == '\t' ? '\t' : ' ';
    return text + "\n  " + source_line + "\n  " + caret + "^";
}

} // namespace

SyntaxError::SyntaxError(int line, int column, const std::string& message, const std::string& source_line,
                         int caret_column)
    : Error(syntax_error_text(line, column, message, source_line, caret_column > 0 ? caret_column : column)),
      line_(line), column_(column) {}

void fail_internal_check(const char* file, int line, const char* condition,
                         const std::string& detail) {
    std::string message = std::string("internal error at ") + file + ":" + std::to_string(line) +
                          ": check '" + condition + "' failed";
    if (!detail.empty()) message += ": " + detail;
    throw InternalError(message);
}

} // namespace kiln
