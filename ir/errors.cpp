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

SyntaxError::SyntaxError(const SyntaxError& error, const std::string& context)
    : Error(error.what() + context), line_(error.line_), column_(error.column_) {}

namespace {

// Throws `error`'s class, most derived first, with `text`.
template <class Family, class... Rest> [[noreturn]] void throw_as(const Error& error, const std::string& text) {
    if (dynamic_cast<const Family*>(&error)) throw Family(text);
    if constexpr (sizeof...(Rest) > 0) throw_as<Rest...>(error, text);
    throw Error(text);
}

} // namespace

void rethrow_with_context(const Error& error, const std::string& context) {
    if (const auto* syntax = dynamic_cast<const SyntaxError*>(&error)) throw SyntaxError(*syntax, context);
    throw_as<DisconnectedInputError, TypeError, ValueError, IndexError, UnusedInputError, MissingInputError,
             GradientError, MemoryError, InternalError>(error, error.what() + context);
}

void fail_internal_check(const char* file, int line, const char* condition,
                         const std::string& detail) {
    std::string message = std::string("internal error at ") + file + ":" + std::to_string(line) +
                          ": check '" + condition + "' failed";
    if (!detail.empty()) message += ": " + detail;
    throw InternalError(message);
}

} // namespace kiln
