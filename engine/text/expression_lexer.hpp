// Tokens of kiln's expression syntax: Python's lexical rules for names,
// numbers, strings and operators, with ';' and newlines ending statements.
// Newlines inside brackets join lines, as in Python.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::expression {

/// 1-based place in the source text.
struct Position {
    int line = 1;
    int column = 1;
};

enum class TokenKind { name, integer, real, string, symbol, end_of_statement, end_of_input };

struct Token {
    TokenKind kind = TokenKind::end_of_input;
    /// The name, the string's contents, the symbol ("**", "(") or the number as written.
    std::string text;
    Position at;
    std::int64_t integer = 0;
    double real = 0.0;

    bool is(std::string_view symbol) const { return kind == TokenKind::symbol && text == symbol; }
};

/// Python's name characters ([A-Za-z_] first, then digits too), and digits;
/// the graph text format's identifiers use the same.
bool is_name_start(char c);
bool is_name_char(char c);
bool is_digit(char c);

/// The tokens of source, ending with one end_of_input token. Throws
/// kiln::SyntaxError at the first character that starts no token.
std::vector<Token> tokenize(std::string_view source);

/// Throws kiln::SyntaxError at `at`, quoting that line of source.
[[noreturn]] void syntax_error(std::string_view source, Position at, const std::string& message);

/// "')'" for symbols, "name 'x'", "the number 3", "the end of the input"...
std::string describe(const Token& token);

} // namespace kiln::expression
