#include "expression_lexer.hpp"

#include "../../ir/errors.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>

namespace kiln::expression {

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

namespace {

// Longest first, so "**" wins over "*".
constexpr std::array<std::string_view, 6> two_char_symbols = {"**", "//", "<=", ">=", "==", "!="};
constexpr std::string_view one_char_symbols = "+-*/%@<>&|^~()[],:;=.";

class Lexer {
public:
    explicit Lexer(std::string_view source) : source_(source) {}

    std::vector<Token> run() {
        while (true) {
            skip_blanks_and_comments();
            if (offset_ >= source_.size()) break;
            const char c = source_[offset_];
            if (c == '\n') {
                if (bracket_depth_ == 0) push_separator();
                advance();
            } else if (is_name_start(c)) {
                read_name();
            } else if (is_digit(c) || (c == '.' && offset_ + 1 < source_.size() && is_digit(source_[offset_ + 1]))) {
                read_number();
            } else if (c == '\'' || c == '"') {
                read_string(c);
            } else {
                read_symbol();
            }
        }
        Token end;
        end.kind = TokenKind::end_of_input;
        end.at = here();
        tokens_.push_back(end);
        return std::move(tokens_);
    }

private:
    Position here() const { return {line_, column_}; }

    void advance() {
        if (source_[offset_] == '\n') {
            ++line_;
            column_ = 1;
        } else {
            ++column_;
        }
        ++offset_;
    }

    void skip_blanks_and_comments() {
        while (offset_ < source_.size()) {
            const char c = source_[offset_];
            if (c == ' ' || c == '\t' || c == '\r') {
                advance();
            } else if (c == '\\' && offset_ + 1 < source_.size() && source_[offset_ + 1] == '\n') {
                advance();  // an explicit line join, as in Python
                advance();
            } else if (c == '#') {
                while (offset_ < source_.size() && source_[offset_] != '\n') advance();
            } else {
                return;
            }
        }
    }

    void push_separator() {
        Token token;
        token.kind = TokenKind::end_of_statement;
        token.text = source_[offset_] == ';' ? ";" : "newline";
        token.at = here();
        tokens_.push_back(token);
    }

    void read_name() {
        Token token;
        token.kind = TokenKind::name;
        token.at = here();
        const std::size_t start = offset_;
        while (offset_ < source_.size() && is_name_char(source_[offset_])) advance();
        token.text = std::string(source_.substr(start, offset_ - start));
        tokens_.push_back(token);
    }

    void read_number() {
        Token token;
        token.at = here();
        const std::size_t start = offset_;
        bool is_real = false;
        while (offset_ < source_.size() && is_digit(source_[offset_])) advance();
        if (offset_ < source_.size() && source_[offset_] == '.') {
            is_real = true;
            advance();
            while (offset_ < source_.size() && is_digit(source_[offset_])) advance();
        }
        if (offset_ < source_.size() && (source_[offset_] == 'e' || source_[offset_] == 'E')) {
            is_real = true;
            advance();
            if (offset_ < source_.size() && (source_[offset_] == '+' || source_[offset_] == '-')) advance();
            if (offset_ >= source_.size() || !is_digit(source_[offset_]))
                syntax_error(source_, here(), "expected the digits of an exponent");
            while (offset_ < source_.size() && is_digit(source_[offset_])) advance();
        }
        if (offset_ < source_.size() && is_name_char(source_[offset_]))
            syntax_error(source_, here(), "invalid character '" + std::string(1, source_[offset_]) + "' in a number");
        token.text = std::string(source_.substr(start, offset_ - start));
        const char* first = source_.data() + start;
        const char* last = source_.data() + offset_;
        if (is_real) {
            token.kind = TokenKind::real;
            const auto [end, error] = std::from_chars(first, last, token.real);
            // Out of range: Python gives inf for 1e999 and 0.0 for 1e-999.
            if (error == std::errc::result_out_of_range)
                token.real = std::strtod(std::string(first, last).c_str(), nullptr);
            else if (error != std::errc{} || end != last)
                syntax_error(source_, token.at, "invalid number '" + token.text + "'");
        } else {
            token.kind = TokenKind::integer;
            const auto [end, error] = std::from_chars(first, last, token.integer);
            if (error == std::errc::result_out_of_range)
                syntax_error(source_, token.at, "integer " + token.text + " does not fit in int64");
            if (error != std::errc{} || end != last) syntax_error(source_, token.at, "invalid number '" + token.text + "'");
        }
        tokens_.push_back(token);
    }

    void read_string(char quote) {
        Token token;
        token.kind = TokenKind::string;
        token.at = here();
        advance();
        while (true) {
            if (offset_ >= source_.size() || source_[offset_] == '\n')
                syntax_error(source_, token.at, "unterminated string");
            if (source_[offset_] == quote) break;
            token.text += source_[offset_];
            advance();
        }
        advance();
        tokens_.push_back(token);
    }

    void read_symbol() {
        const std::string_view rest = source_.substr(offset_);
        for (std::string_view symbol : two_char_symbols) {
            if (rest.starts_with(symbol)) {
                push_symbol(symbol);
                return;
            }
        }
        const char c = source_[offset_];
        if (one_char_symbols.find(c) == std::string_view::npos) {
            const unsigned char byte = static_cast<unsigned char>(c);
            char text[32];
            if (byte < 0x20 || byte >= 0x7f) std::snprintf(text, sizeof text, "byte 0x%02X", byte);
            else std::snprintf(text, sizeof text, "character '%c'", c);
            syntax_error(source_, here(), std::string("unexpected ") + text);
        }
        if (c == ';') {
            push_separator();
            advance();
            return;
        }
        if (c == '(' || c == '[') ++bracket_depth_;
        if ((c == ')' || c == ']') && bracket_depth_ > 0) --bracket_depth_;
        push_symbol(rest.substr(0, 1));
    }

    void push_symbol(std::string_view symbol) {
        Token token;
        token.kind = TokenKind::symbol;
        token.text = std::string(symbol);
        token.at = here();
        tokens_.push_back(token);
        for (std::size_t i = 0; i < symbol.size(); ++i) advance();
    }

    std::string_view source_;
    std::size_t offset_ = 0;
    int line_ = 1;
    int column_ = 1;
    int bracket_depth_ = 0;
    std::vector<Token> tokens_;
};

} // namespace

std::vector<Token> tokenize(std::string_view source) { return Lexer(source).run(); }

void syntax_error(std::string_view source, Position at, const std::string& message) {
    std::size_t begin = 0;
    for (int line = 1; line < at.line && begin < source.size(); ++line) {
        const std::size_t newline = source.find('\n', begin);
        begin = newline == std::string_view::npos ? source.size() : newline + 1;
    }
    std::size_t end = source.find('\n', begin);
    if (end == std::string_view::npos) end = source.size();
    std::string line(source.substr(begin, end - begin));
    // Control bytes and non-ASCII would garble the caret line; show them as '?'.
    for (char& c : line) {
        const unsigned char byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\t') || byte >= 0x7f) c = '?';
    }
    // A long line is shown as a window around the column, the caret kept under it.
    constexpr std::size_t half_window = 60;
    std::size_t caret = static_cast<std::size_t>(at.column);
    if (line.size() > 2 * half_window) {
        const std::size_t from = caret > half_window ? caret - half_window : 0;
        const bool cut_front = from > 0, cut_back = from + 2 * half_window < line.size();
        line = (cut_front ? "..." : "") + line.substr(from, 2 * half_window) + (cut_back ? "..." : "");
        caret = caret - from + (cut_front ? 3 : 0);
    }
    throw SyntaxError(at.line, at.column, message, line, static_cast<int>(caret));
}

std::string describe(const Token& token) {
    switch (token.kind) {
    case TokenKind::name: return "name '" + token.text + "'";
    case TokenKind::integer:
    case TokenKind::real: return "the number " + token.text;
    case TokenKind::string: return "the string '" + token.text + "'";
    case TokenKind::symbol: return "'" + token.text + "'";
    case TokenKind::end_of_statement: return token.text == ";" ? "';'" : "the end of the line";
    case TokenKind::end_of_input: return "the end of the input";
    }
    return "?";
}

} // namespace kiln::expression
