#include "expression.hpp"

#include "expression_builtins.hpp"
#include "expression_lexer.hpp"

#include "../api/constructors.hpp"
#include "../ops/dimshuffle.hpp"
#include "../ops/dot.hpp"
#include "../ops/index.hpp"
#include "../ops/layout.hpp"
#include "../ops/math.hpp"
#include "../ops/shape.hpp"

#include "../../ir/errors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <optional>
#include <set>

namespace kiln {

namespace expression {
namespace {

// Deeper nesting than this is refused rather than risking the stack.
constexpr int max_nesting = 200;

// " (line L, column C)", appended to errors that are not syntax errors.
std::string place(Position at) {
    return " (line " + std::to_string(at.line) + ", column " + std::to_string(at.column) + ")";
}

template <class F> Value located(Position at, F&& build) {
    try {
        Value value = build();
        value.at = at;
        return value;
    } catch (const SyntaxError&) {
        throw; // it names its own place
    } catch (const Error& error) {
        rethrow_with_context(error, place(at));
    }
}

Value tensor_value(Var var, Position at) { return Value{std::move(var), at}; }

bool is_keyword(const Token& token) {
    static const char* const keywords[] = {"and", "or", "not", "if", "else", "lambda", "is", "in", "for"};
    if (token.kind != TokenKind::name) return false;
    for (const char* keyword : keywords)
        if (token.text == keyword) return true;
    return false;
}

class Parser {
public:
    explicit Parser(std::string_view source) : source_(source), tokens_(tokenize(source)) {}

    // The text as one expression with no names in scope.
    Value literal() {
        while (peek().kind == TokenKind::end_of_statement) take();
        Value value = expression();
        while (peek().kind == TokenKind::end_of_statement) take();
        if (peek().kind != TokenKind::end_of_input)
            fail(peek().at, "expected the end of the value, found " + describe(peek()));
        return value;
    }

    ParsedGraph run() {
        ParsedGraph result;
        std::optional<Value> last;
        std::vector<std::string> last_names;
        while (true) {
            while (peek().kind == TokenKind::end_of_statement) take();
            if (peek().kind == TokenKind::end_of_input) break;
            last.reset();
            last_names.clear();
            if (peek().kind == TokenKind::name && peek(1).is(":")) {
                result.inputs.push_back(declaration());
            } else if (const int targets = assignment_targets(); targets > 0) {
                last_names = assignment(targets, last);
            } else {
                last = expression_list();
            }
            const Token& end = peek();
            if (is_keyword(end)) name_value(end);
            if (end.kind != TokenKind::end_of_statement && end.kind != TokenKind::end_of_input)
                fail(end.at, "expected ';' or a new line after the statement, found " + describe(end));
        }
        if (!last)
            fail(peek().at, "nothing to compute: end with an assignment such as `out = ...` or an expression");
        collect_outputs(*last, last_names, result);
        return result;
    }

private:
    // ---- tokens ----
    const Token& peek(std::size_t ahead = 0) const {
        return tokens_[std::min(position_ + ahead, tokens_.size() - 1)];
    }
    Token take() {
        Token token = peek();
        if (position_ + 1 < tokens_.size()) ++position_;
        return token;
    }
    bool accept(std::string_view symbol) {
        if (!peek().is(symbol)) return false;
        take();
        return true;
    }
    Token expect(std::string_view symbol, const std::string& context) {
        if (!peek().is(symbol))
            fail(peek().at, "expected '" + std::string(symbol) + "' " + context + ", found " + describe(peek()));
        return take();
    }
    [[noreturn]] void fail(Position at, const std::string& message) const { syntax_error(source_, at, message); }

    struct Nesting {
        Parser& parser;
        explicit Nesting(Parser& p, Position at) : parser(p) {
            if (++parser.depth_ > max_nesting) parser.fail(at, "expression nested too deeply");
        }
        ~Nesting() { --parser.depth_; }
    };

    // ---- statements ----
    Var declaration() {
        const Token name = take();
        take();  // ':'
        if (declared_.count(name.text)) fail(name.at, "'" + name.text + "' is declared twice");
        const Token dtype_token = take();
        if (dtype_token.kind != TokenKind::name)
            fail(dtype_token.at, "expected a dtype such as f64, f32, i64 or float32 after '" + name.text + ":', found " +
                                     describe(dtype_token));
        DType dtype{};
        try {
            dtype = dtype_from_spelling(dtype_token.text);
        } catch (const TypeError& error) {
            fail(dtype_token.at, error.what());
        }
        expect("[", "before the dimensions of '" + name.text + "' (f64[] is a scalar, f64[:,:] a matrix)");
        std::vector<bool> broadcastable;
        while (!peek().is("]")) {
            const Token dim = take();
            if (dim.is(":")) broadcastable.push_back(false);
            else if (dim.kind == TokenKind::integer && dim.integer == 1) broadcastable.push_back(true);
            else
                fail(dim.at, "a dimension of '" + name.text + "' is ':' (any length) or 1 (broadcastable), not " +
                                 describe(dim));
            if (!peek().is("]")) expect(",", "between the dimensions of '" + name.text + "'");
        }
        take();  // ']'
        Var input = tensor(dtype, broadcastable, name.text);
        names_[name.text] = tensor_value(input, name.at);
        declared_.insert(name.text);
        return input;
    }

    // The number of names before '=' when the statement is an assignment, else 0.
    int assignment_targets() const {
        std::size_t ahead = 0;
        int count = 0;
        while (peek(ahead).kind == TokenKind::name) {
            ++count;
            if (peek(ahead + 1).is("=")) return count;
            if (!peek(ahead + 1).is(",")) return 0;
            ahead += 2;
        }
        return 0;
    }

    std::vector<std::string> assignment(int targets, std::optional<Value>& value) {
        std::vector<Token> names;
        for (int i = 0; i < targets; ++i) {
            names.push_back(take());
            if (is_keyword(names.back())) fail(names.back().at, "'" + names.back().text + "' cannot be assigned to");
            take();  // ',' or '='
        }
        const Position at = peek().at;
        value = expression_list();
        if (targets == 1) {
            names_[names[0].text] = *value;
            return {names[0].text};
        }
        const auto* list = std::get_if<Value::List>(&value->data);
        if (!list || list->size() != names.size())
            fail(at, "cannot unpack " + (list ? "a list of " + std::to_string(list->size()) : kind_of(*value)) +
                         " into " + std::to_string(names.size()) + " names");
        std::vector<std::string> assigned;
        for (std::size_t i = 0; i < names.size(); ++i) {
            names_[names[i].text] = (*list)[i];
            assigned.push_back(names[i].text);
        }
        return assigned;
    }

    void collect_outputs(const Value& value, const std::vector<std::string>& names, ParsedGraph& result) const {
        const auto output = [&](const Value& entry, std::string name) {
            if (!entry.is_tensor() && !entry.is_number() && !entry.is_list())
                throw TypeError("the output " + (name.empty() ? std::string() : "'" + name + "' ") + "is " +
                                kind_of(entry) + ", not a tensor" + place(entry.at));
            const Var tensor = to_tensor(entry, "the output");
            // An unnamed output takes the name it was assigned to, as graph text and debugprint show it.
            if (tensor.name().empty() && !name.empty()) tensor.named(name);
            result.outputs.push_back(tensor);
            result.output_names.push_back(std::move(name));
        };
        const auto* list = std::get_if<Value::List>(&value.data);
        const bool all_tensors = list && std::all_of(list->begin(), list->end(), [](const Value& v) { return v.is_tensor(); });
        if (names.size() > 1) {
            const auto& entries = std::get<Value::List>(value.data);
            for (std::size_t i = 0; i < entries.size(); ++i) output(entries[i], names[i]);
        } else if (all_tensors) {
            for (std::size_t i = 0; i < list->size(); ++i)
                output((*list)[i], names.empty() ? std::string() : names[0] + "[" + std::to_string(i) + "]");
        } else {
            output(value, names.empty() ? std::string() : names[0]);
        }
    }

    // ---- expressions, lowest precedence first (Python's order) ----
    Value expression_list() {
        const Position at = peek().at;
        Value first = expression();
        if (!peek().is(",")) return first;
        Value::List list{std::move(first)};
        while (accept(",")) {
            // A trailing comma ends the list: `a, b,` and Python's 1-tuple `(6,)`.
            if (peek().kind == TokenKind::end_of_statement || peek().kind == TokenKind::end_of_input || peek().is(")"))
                break;
            list.push_back(expression());
        }
        return Value{std::move(list), at};
    }

    Value expression() {
        Nesting nesting(*this, peek().at);
        return binary_level(0);
    }

    // The binary operators by precedence, loosest first (Python's order).
    // The first level, comparisons, does not chain.
    static const std::vector<std::vector<std::string_view>>& binary_levels() {
        static const std::vector<std::vector<std::string_view>> levels = {
            {"<", "<=", ">", ">=", "==", "!="},
            {"|"},
            {"^"},
            {"&"},
            {"+", "-"},
            {"*", "/", "//", "%", "@"},
        };
        return levels;
    }

    static bool at_level(const Token& token, std::size_t level) {
        const std::vector<std::string_view>& symbols = binary_levels()[level];
        return std::any_of(symbols.begin(), symbols.end(), [&](std::string_view symbol) { return token.is(symbol); });
    }

    Value binary_level(std::size_t level) {
        if (level == binary_levels().size()) return unary();
        Value left = binary_level(level + 1);
        while (at_level(peek(), level)) {
            const Token op = take();
            Value right = binary_level(level + 1);
            if (level == 0 && at_level(peek(), 0))
                fail(peek().at, "comparisons do not chain on tensors: write (a " + op.text + " b) & (b " + peek().text + " c)");
            left = binary(op, left, right);
        }
        return left;
    }

    Value unary() {
        if (peek().is("-") || peek().is("+") || peek().is("~")) {
            const Token op = take();
            Nesting nesting(*this, op.at);
            Value value = unary();
            // A signed number stays a number, so -1 is a literal as in Python.
            if (op.text == "-" || op.text == "+") {
                const int sign = op.text == "-" ? -1 : 1;
                if (auto* integer = std::get_if<std::int64_t>(&value.data)) {
                    if (*integer == std::numeric_limits<std::int64_t>::min() && sign < 0)
                        fail(op.at, "integer -(" + std::to_string(*integer) + ") does not fit in int64");
                    return Value{sign * *integer, op.at};
                }
                if (auto* real = std::get_if<double>(&value.data)) return Value{sign * *real, op.at};
            }
            return located(op.at, [&] {
                const Var x = operand(value, op);
                if (op.text == "-") return tensor_value(-x, op.at);
                if (op.text == "+") return tensor_value(x, op.at);
                return tensor_value(~x, op.at);
            });
        }
        return power();
    }

    Value power() {
        Value base = primary();
        if (!peek().is("**")) return base;
        const Token op = take();
        Nesting nesting(*this, op.at);
        Value exponent = unary();
        return binary(op, base, exponent);
    }

    // A binary operator: folded when both sides are Python numbers, else
    // built as a tensor operation.
    Value binary(const Token& op, const Value& left, const Value& right) const {
        return located(op.at, [&] {
            if (op.text != "@")
                if (auto folded = fold_numbers(op.text, left, right)) return *folded;
            return tensor_value(tensor_operation(op.text, operand(left, op), operand(right, op)), op.at);
        });
    }

    static Var tensor_operation(const std::string& op, const Var& a, const Var& b) {
        if (op == "<") return a < b;
        if (op == "<=") return a <= b;
        if (op == ">") return a > b;
        if (op == ">=") return a >= b;
        if (op == "==") return eq(a, b);
        if (op == "!=") return neq(a, b);
        if (op == "|") return a | b;
        if (op == "^") return a ^ b;
        if (op == "&") return a & b;
        if (op == "+") return a + b;
        if (op == "-") return a - b;
        if (op == "*") return a * b;
        if (op == "/") return a / b;
        if (op == "//") return int_div(a, b);
        if (op == "%") return a % b;
        if (op == "@") return dot(a, b);
        KILN_CHECK(op == "**", "an operator without a tensor operation: " + op);
        return pow(a, b);
    }

    Var operand(const Value& value, const Token& op) const {
        return to_tensor(value, "the operand of '" + op.text + "'");
    }

    // ---- atoms and trailers ----
    Value primary() {
        const Token& first = peek();
        Value value;
        if (first.kind == TokenKind::name && peek(1).is("(") && !names_.count(first.text)) {
            const Token name = take();
            const Builtin* builtin = find_builtin(name.text);
            if (!builtin) fail(name.at, "unknown function '" + name.text + "'" + suggestion(name.text));
            value = call(*builtin, std::nullopt, name.at);
        } else {
            value = atom();
        }
        while (true) {
            if (peek().is("[")) {
                value = subscript(value);
            } else if (peek().is(".")) {
                take();
                const Token attribute = take();
                if (attribute.kind != TokenKind::name)
                    fail(attribute.at, "expected an attribute name after '.', found " + describe(attribute));
                value = member(value, attribute);
            } else if (peek().is("(")) {
                fail(peek().at, "only functions can be called, and this is " + kind_of(value));
            } else {
                return value;
            }
        }
    }

    Value atom() {
        const Token token = take();
        switch (token.kind) {
        case TokenKind::integer: return Value{token.integer, token.at};
        case TokenKind::real: return Value{token.real, token.at};
        case TokenKind::string: return Value{token.text, token.at};
        case TokenKind::name: return name_value(token);
        case TokenKind::symbol:
            if (token.is("(")) {
                if (accept(")")) return Value{Value::List{}, token.at};
                Value inner = expression_list();
                expect(")", "to close the '(' at line " + std::to_string(token.at.line) + ", column " +
                                std::to_string(token.at.column));
                return inner;
            }
            if (token.is("[")) {
                Value::List list;
                while (!peek().is("]")) {
                    list.push_back(expression());
                    if (!peek().is("]")) expect(",", "between list entries");
                }
                take();
                return Value{std::move(list), token.at};
            }
            break;
        default: break;
        }
        fail(token.at, "expected an expression, found " + describe(token));
    }

    Value name_value(const Token& token) {
        if (is_keyword(token)) {
            std::string hint;
            if (token.text == "and") hint = ": use & (elementwise)";
            else if (token.text == "or") hint = ": use | (elementwise)";
            else if (token.text == "not") hint = ": use ~ (elementwise)";
            else if (token.text == "if" || token.text == "else") hint = ": use where(cond, a, b)";
            fail(token.at, "'" + token.text + "' is not part of the expression syntax" + hint);
        }
        if (const auto it = names_.find(token.text); it != names_.end()) {
            Value value = it->second;
            value.at = token.at;
            return value;
        }
        // Python's True/False, and JSON's true/false (values pasted from JSON).
        if (token.text == "True" || token.text == "False" || token.text == "true" || token.text == "false")
            return Value{token.text == "True" || token.text == "true", token.at};
        if (token.text == "None") return Value{std::monostate{}, token.at};
        if (token.text == "pi") return Value{std::numbers::pi, token.at};
        if (token.text == "e") return Value{std::numbers::e, token.at};
        if (token.text == "inf") return Value{std::numeric_limits<double>::infinity(), token.at};
        if (token.text == "nan") return Value{std::numeric_limits<double>::quiet_NaN(), token.at};
        if (find_builtin(token.text)) fail(token.at, "'" + token.text + "' is a function: call it, as " + token.text + "(...)");
        fail(token.at, "name '" + token.text + "' is not defined" + suggestion(token.text));
    }

    // ", did you mean 'x'?" for a name one edit away from a known one.
    std::string suggestion(const std::string& text) const {
        const auto close = [&](const std::string& candidate) {
            if (candidate == text) return false;
            const std::size_t a = text.size(), b = candidate.size();
            if (a > b + 1 || b > a + 1) return false;
            std::size_t i = 0;
            while (i < a && i < b && text[i] == candidate[i]) ++i;
            std::size_t j = 0;
            while (j < a - i && j < b - i && text[a - 1 - j] == candidate[b - 1 - j]) ++j;
            return i + j + 1 >= std::max(a, b);
        };
        for (const auto& [name, value] : names_)
            if (close(name)) return "; did you mean '" + name + "'?";
        for (const Builtin& builtin : builtins())
            if (close(builtin.name)) return "; did you mean '" + builtin.name + "'?";
        return {};
    }

    Value call(const Builtin& builtin, std::optional<Value> self, Position at) {
        const Token open = expect("(", "after the function name");
        Value::List positional;
        if (self) positional.push_back(std::move(*self));
        std::vector<std::pair<std::string, Value>> keywords;
        while (!peek().is(")")) {
            if (peek().kind == TokenKind::name && peek(1).is("=")) {
                const Token keyword = take();
                take();
                for (const auto& [name, value] : keywords)
                    if (name == keyword.text) fail(keyword.at, "keyword argument '" + keyword.text + "' repeated");
                keywords.emplace_back(keyword.text, expression());
            } else {
                if (!keywords.empty()) fail(peek().at, "a positional argument follows a keyword argument");
                positional.push_back(expression());
            }
            if (!peek().is(")")) expect(",", "between the arguments of " + builtin.name + "()");
        }
        take();
        return located(at, [&] {
            const CallArguments arguments(builtin, std::move(positional), std::move(keywords));
            return builtin.call(arguments);
        });
    }

    Value member(const Value& value, const Token& attribute) {
        if (peek().is("(")) {
            const Builtin* builtin = find_builtin(attribute.text);
            if (!builtin || !builtin->is_method)
                fail(attribute.at, "tensors have no method '" + attribute.text + "'");
            if (!value.is_tensor()) fail(attribute.at, kind_of(value) + " has no method '" + attribute.text + "'");
            return call(*builtin, value, attribute.at);
        }
        const auto* var = std::get_if<Var>(&value.data);
        if (!var) fail(attribute.at, kind_of(value) + " has no attribute '" + attribute.text + "'");
        if (attribute.text == "T") return located(attribute.at, [&] { return tensor_value(transpose(*var), attribute.at); });
        if (attribute.text == "shape") return located(attribute.at, [&] { return tensor_value(shape(*var), attribute.at); });
        if (attribute.text == "ndim") return Value{static_cast<std::int64_t>(var->ndim()), attribute.at};
        if (attribute.text == "dtype") return Value{std::string(dtype_name(var->dtype())), attribute.at};
        fail(attribute.at, "tensors have no attribute '" + attribute.text + "' (there are T, shape, ndim and dtype)");
    }

    // x[...] on a tensor (NumPy indexing) or on a list (one entry).
    Value subscript(const Value& base) {
        const Token open = take();  // '['
        struct Entry {
            bool is_slice = false;
            std::optional<Value> start, stop, step;  // the slice bounds, or start alone for an index
        };
        std::vector<Entry> entries;
        while (!peek().is("]")) {
            Entry entry;
            if (!peek().is(":")) entry.start = expression();
            if (accept(":")) {
                entry.is_slice = true;
                if (!peek().is(":") && !peek().is(",") && !peek().is("]")) entry.stop = expression();
                if (accept(":") && !peek().is(",") && !peek().is("]")) entry.step = expression();
            }
            entries.push_back(std::move(entry));
            if (!peek().is("]")) expect(",", "between index entries");
        }
        take();
        if (entries.empty()) fail(open.at, "an empty index []");

        if (const auto* list = std::get_if<Value::List>(&base.data)) {
            if (entries.size() != 1 || entries[0].is_slice || !entries[0].start ||
                !std::holds_alternative<std::int64_t>(entries[0].start->data))
                fail(open.at, "a list is indexed by one integer");
            std::int64_t index = std::get<std::int64_t>(entries[0].start->data);
            const auto size = static_cast<std::int64_t>(list->size());
            if (index < -size || index >= size)
                throw IndexError("list index " + std::to_string(index) + " out of range for a list of " +
                                 std::to_string(size) + place(open.at));
            if (index < 0) index += size;
            return (*list)[static_cast<std::size_t>(index)];
        }
        return located(open.at, [&] {
            const Var x = to_tensor(base, "the indexed value");
            std::vector<Index> index;
            for (const Entry& entry : entries) {
                if (entry.is_slice) {
                    index.emplace_back(slice(bound(entry.start), bound(entry.stop), bound(entry.step)));
                    continue;
                }
                const Value& value = *entry.start;
                if (value.is_none())
                    throw TypeError("None (np.newaxis) in an index is not supported: use x.dimshuffle or expand_dims");
                if (const auto* integer = std::get_if<std::int64_t>(&value.data)) index.emplace_back(*integer);
                else if (const auto* list = std::get_if<Value::List>(&value.data); list && holds_a_tensor(*list))
                    index.emplace_back(stacked_scalars(*list));
                else index.emplace_back(to_tensor(value, "an index entry"));
            }
            return tensor_value(subtensor(x, index), open.at);
        });
    }

    static bool holds_a_tensor(const Value::List& list) {
        return std::any_of(list.begin(), list.end(), [](const Value& v) { return std::holds_alternative<Var>(v.data); });
    }

    // x[[i, j], :]: a list of scalars, some of them tensors, indexes as the
    // vector they stack into (NumPy's list index).
    static Var stacked_scalars(const Value::List& list) {
        std::vector<Var> items;
        for (const Value& item : list) {
            Var scalar = to_tensor(item, "an index list entry");
            if (scalar.ndim() != 0)
                throw IndexError("an index list entry must be a scalar, got " + scalar.str() + " of " + scalar.type().str() +
                                 "; index with the tensor itself or stack([...]) scalars");
            items.push_back(std::move(scalar));
        }
        return stack(items);
    }

    static Bound bound(const std::optional<Value>& value) {
        if (!value || value->is_none()) return std::nullopt;
        if (const auto* integer = std::get_if<std::int64_t>(&value->data)) return Operand(*integer);
        return Operand(to_tensor(*value, "a slice bound"));
    }

    std::string_view source_;
    std::vector<Token> tokens_;
    std::size_t position_ = 0;
    int depth_ = 0;
    std::map<std::string, Value, std::less<>> names_;
    std::set<std::string, std::less<>> declared_;
};

} // namespace
} // namespace expression

ParsedGraph parse_expression(std::string_view source) { return expression::Parser(source).run(); }

Arg parse_literal(std::string_view text) {
    const expression::Value value = expression::Parser(text).literal();
    if (value.is_tensor()) throw TypeError("a value is numbers or nested lists of numbers, not an expression of tensors");
    return expression::to_arg(value, "a value");
}

std::string expression_functions() {
    std::string text;
    for (const expression::Builtin& builtin : expression::builtins()) {
        text += builtin.signature;
        if (builtin.is_method) text += "    (also x." + builtin.name + "(...))";
        text += "\n";
    }
    return text;
}

} // namespace kiln
