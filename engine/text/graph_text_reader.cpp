// read_graph_text: a line-by-line reader of the graph text format. Every
// node is rebuilt through kiln's own builders and must come out exactly as
// written (op, inputs, output types), so a text that reads is a graph kiln
// could have built.
#include "expression_lexer.hpp"
#include "graph_text.hpp"
#include "graph_text_ops.hpp"
#include "graph_text_syntax.hpp"
#include "numbers.hpp"

#include "../grad/jacobian.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/walk.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

namespace kiln {
namespace graph_text {
namespace {

using expression::is_digit;
using expression::is_name_char;
using expression::is_name_start;
using expression::Position;

constexpr int max_rank = 32;
constexpr int max_block_depth = 16;


const char* const reserved_words[] = {"input", "shared", "constant", "output", "update", "wrt", "True", "False", "nan", "inf"};

struct Symbol {
    VariablePtr variable;
    int line = 0;
};

// One output a node line declares: "%3 \"name\": float64[:]".
struct Declared {
    std::string id, name;
    TensorType type;
    Position at;
};

// Integers in this format may carry a '+'.
template <class T> bool parse_integer(std::string_view text, T& value) {
    if (text.starts_with('+')) text.remove_prefix(1);
    return parse_number(text, value);
}

class GraphReader {
public:
    explicit GraphReader(std::string_view source) : source_(source) {}

    ParsedGraph read() {
        skip_blank_lines();
        const Position header_at = here();
        if (source_.substr(position_, header.size()) != header)
            fail(header_at, "expected the header '" + std::string(header) + "' first");
        position_ += header.size();
        end_line();
        while (true) {
            skip_blank_lines();
            if (position_ >= source_.size()) break;
            statement(0);
        }
        return std::move(result_);
    }

private:
    // ---- characters ----
    char peek() const { return position_ < source_.size() ? source_[position_] : '\n'; }
    bool at_end() const { return position_ >= source_.size(); }
    Position here() const { return {line_, static_cast<int>(position_ - line_start_) + 1}; }
    [[noreturn]] void fail(Position at, const std::string& message) const {
        expression::syntax_error(source_, at, message);
    }

    void skip_spaces() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\r')) ++position_;
        if (!at_end() && peek() == '#')
            while (!at_end() && peek() != '\n') ++position_;
    }
    void next_line() {
        ++position_;
        ++line_;
        line_start_ = position_;
    }
    void skip_blank_lines() {
        while (true) {
            skip_spaces();
            if (at_end() || peek() != '\n') return;
            next_line();
        }
    }
    void end_line() {
        skip_spaces();
        if (at_end()) return;
        if (peek() != '\n') fail(here(), "expected the end of the line, found " + found());
        next_line();
    }
    std::string found() const {
        if (at_end() || peek() == '\n') return "the end of the line";
        const char c = peek();
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) return "a control or non-ASCII byte";
        return "'" + std::string(1, c) + "'";
    }
    bool accept(char c) {
        skip_spaces();
        if (at_end() || peek() != c) return false;
        ++position_;
        return true;
    }
    void expect(char c, const std::string& context) {
        if (!accept(c)) fail(here(), "expected '" + std::string(1, c) + "' " + context + ", found " + found());
    }
    std::string word() {
        skip_spaces();
        const std::size_t begin = position_;
        if (is_name_start(peek()))
            while (!at_end() && is_name_char(peek())) ++position_;
        return std::string(source_.substr(begin, position_ - begin));
    }
    // A name or %N.
    std::string identifier(const std::string& context) {
        skip_spaces();
        const std::size_t begin = position_;
        if (peek() == '%') {
            ++position_;
            while (!at_end() && is_digit(peek())) ++position_;
            if (position_ - begin == 1) fail(here(), "expected digits after '%' " + context);
            return std::string(source_.substr(begin, position_ - begin));
        }
        std::string id = word();
        if (id.empty()) fail(here(), "expected an identifier (a name or %N) " + context + ", found " + found());
        return id;
    }
    std::string quoted_string() {
        const Position at = here();
        ++position_;  // '"'
        std::string text;
        while (true) {
            if (at_end() || peek() == '\n') fail(at, "the string has no closing '\"'");
            char c = source_[position_++];
            if (c == '"') return text;
            if (c == '\\') {
                if (at_end() || peek() == '\n') fail(at, "the string has no closing '\"'");
                c = source_[position_++];
                if (c == 'n') c = '\n';
                else if (c != '"' && c != '\\') fail(here(), "unknown escape '\\" + std::string(1, c) + "' in a string");
            }
            text += c;
        }
    }

    // ---- symbols ----
    const VariablePtr& lookup(const std::string& id, Position at) const {
        const auto symbol = symbols_.find(id);
        if (symbol == symbols_.end()) fail(at, "unknown identifier '" + id + "'");
        return symbol->second.variable;
    }
    void define(const std::string& id, Position at, VariablePtr variable) {
        const auto [symbol, added] = symbols_.emplace(id, Symbol{variable, at.line});
        if (!added) fail(at, "'" + id + "' is defined twice (first on line " + std::to_string(symbol->second.line) + ")");
        defined_.push_back(id);
    }
    // The identifier and the variable name it gives: a quoted name, else the identifier unless it is %N.
    std::pair<std::string, std::string> id_and_name(const std::string& context) {
        std::string id = identifier(context);
        skip_spaces();
        if (peek() == '"') return {id, quoted_string()};
        return {id, id.front() == '%' ? std::string() : id};
    }

    // ---- types and values ----
    TensorType type() {
        skip_spaces();
        const Position at = here();
        const std::string dtype_word = word();
        if (dtype_word.empty()) fail(at, "expected a dtype such as float64, found " + found());
        DType dtype{};
        try {
            dtype = dtype_from_name(dtype_word);
        } catch (const TypeError&) {
            fail(at, "unknown dtype '" + dtype_word + "': bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32 or float64");
        }
        expect('[', "after the dtype (float64[] is a scalar, float64[:, :] a matrix)");
        std::vector<bool> broadcastable;
        while (!accept(']')) {
            if (!broadcastable.empty()) expect(',', "between dimensions");
            if (static_cast<int>(broadcastable.size()) == max_rank) fail(here(), "more than 32 dimensions");
            if (accept(':')) broadcastable.push_back(false);
            else if (accept('1')) broadcastable.push_back(true);
            else fail(here(), "a dimension is ':' (any length) or 1 (broadcastable), not " + found());
        }
        return TensorType(dtype, std::move(broadcastable));
    }

    std::string_view number_text() {
        skip_spaces();
        const std::size_t begin = position_;
        if (peek() == '-' || peek() == '+') ++position_;
        while (!at_end()) {
            const char c = peek();
            const bool exponent_sign = (c == '-' || c == '+') && position_ > begin &&
                                       (source_[position_ - 1] == 'e' || source_[position_ - 1] == 'E');
            if (!is_name_char(c) && c != '.' && !exponent_sign) break;
            ++position_;
        }
        // nan(0x...): a NaN written by its bits.
        if (source_.substr(begin, position_ - begin) == "nan" && peek() == '(')
            while (!at_end() && peek() != '\n' && source_[position_++] != ')') {
            }
        return source_.substr(begin, position_ - begin);
    }

    struct Number {
        std::string_view text;
        Position at;
    };

    Number number() {
        skip_spaces();
        const Position at = here();
        const std::string_view text = number_text();
        if (text.empty()) fail(at, "expected a number, found " + found());
        return {text, at};
    }

    void store(Array& array, std::int64_t index, const Number& number) {
        const DType dtype = array.dtype();
        const std::string_view text = number.text;
        auto refuse = [&] { fail(number.at, "'" + std::string(text) + "' is not a " + std::string(dtype_name(dtype)) + " value"); };
        if (dtype == DType::bool_) {
            if (text != "True" && text != "False") refuse();
            array.mutable_data_as<bool>()[index] = text == "True";
        } else if (dtype == DType::float64) {
            if (!parse_number(text, array.mutable_data_as<double>()[index])) refuse();
        } else if (dtype == DType::float32) {
            if (!parse_number(text, array.mutable_data_as<float>()[index])) refuse();
        } else if (dtype == DType::uint64) {
            if (!parse_integer(text, array.mutable_data_as<std::uint64_t>()[index])) refuse();
        } else {
            std::int64_t value = 0;
            if (!parse_integer(text, value)) refuse();
            bool fits = false;
            visit_dtype(dtype, [&](auto tag) {
                using T = decltype(tag);
                const T stored = static_cast<T>(value);
                fits = static_cast<std::int64_t>(stored) == value;
                array.mutable_data_as<T>()[index] = stored;
            });
            if (!fits) fail(number.at, std::string(text) + " does not fit in " + std::string(dtype_name(dtype)));
        }
    }

    // A number for a 0-d value, else "(2, 3) [1, 2, 3, 4, 5, 6]".
    Array value(const TensorType& type, const std::string& id) {
        Shape shape;
        skip_spaces();
        const Position shape_at = here();
        if (type.ndim() > 0) {
            expect('(', "before the shape of '" + id + "'s value");
            while (!accept(')')) {
                if (!shape.empty()) {
                    expect(',', "between the lengths of the shape");
                    if (accept(')')) break;
                }
                const Position at = here();
                std::int64_t length = -1;
                if (!parse_integer(number_text(), length) || length < 0) fail(at, "a length is a non-negative integer");
                shape.push_back(length);
                if (static_cast<int>(shape.size()) > type.ndim()) break;
            }
            if (static_cast<int>(shape.size()) != type.ndim())
                fail(shape_at, "the shape of '" + id + "'s value has " + std::to_string(shape.size()) +
                                   " lengths; its type " + type_text(type) + " has " + std::to_string(type.ndim()));
            for (int d = 0; d < type.ndim(); ++d)
                if (type.broadcastable()[d] && shape[d] != 1)
                    fail(shape_at, "dimension " + std::to_string(d) + " of '" + id + "' is broadcastable, so its length is 1, not " +
                                       std::to_string(shape[d]));
        }
        // The numbers are read before the array is made, so a huge shape costs nothing.
        skip_spaces();
        const Position values_at = here();
        std::vector<Number> numbers;
        if (type.ndim() == 0) {
            numbers.push_back(number());
        } else {
            expect('[', "before the values of '" + id + "'");
            while (!accept(']')) {
                if (!numbers.empty()) expect(',', "between values");
                numbers.push_back(number());
            }
        }
        const auto count = static_cast<std::int64_t>(numbers.size());
        std::int64_t size = 1;
        bool beyond = false;
        for (std::int64_t length : shape) {
            if (length != 0 && size > std::numeric_limits<std::int64_t>::max() / length) beyond = true;
            else size *= length;
        }
        if (std::find(shape.begin(), shape.end(), 0) != shape.end()) size = 0, beyond = false;
        if (beyond || size != count)
            fail(values_at, "'" + id + "' has " + std::to_string(count) + " values; its shape " + shape_text(shape) +
                                " holds " + (beyond ? "more than 2**63" : std::to_string(size)));
        Array array = Array::zeros(type.dtype(), shape);
        for (std::int64_t i = 0; i < count; ++i) store(array, i, numbers[static_cast<std::size_t>(i)]);
        return array;
    }

    // ---- statements ----
    void statement(int depth) {
        const Position at = here();
        skip_spaces();
        const std::size_t begin = position_;
        const std::string first = word();
        skip_spaces();
        const bool keyword = std::find(std::begin(reserved_words), std::end(reserved_words), first) != std::end(reserved_words);
        if (keyword && first == "input" && depth == 0) return input_declaration();
        if (keyword && (first == "shared" || first == "constant")) return value_declaration(first == "shared");
        if (keyword && first == "output" && depth == 0) return output_line();
        if (keyword && first == "update" && depth == 0) return update_line();
        if (keyword) fail(at, "'" + first + "' does not start a statement " + (depth > 0 ? "inside a Jacobian's block" : "here"));
        position_ = begin;
        node_line(depth);
    }

    void input_declaration() {
        const Position at = here();
        const auto [id, name] = id_and_name("after 'input'");
        expect(':', "after the input's identifier");
        const VariablePtr input = Variable::make_input(type(), name);
        define(id, at, input);
        result_.inputs.emplace_back(input);
        end_line();
    }

    void value_declaration(bool is_shared) {
        const Position at = here();
        const auto [id, name] = id_and_name(is_shared ? "after 'shared'" : "after 'constant'");
        expect(':', "after the identifier");
        const TensorType declared = type();
        expect('=', "before the value");
        Array array = value(declared, id);
        define(id, at,
               is_shared ? Variable::make_shared(std::make_shared<SharedStorage>(std::move(array)), declared, name)
                         : Variable::make_constant(std::move(array), declared, name));
        end_line();
    }

    void output_line() {
        const Position at = here();
        const VariablePtr& output = lookup(identifier("after 'output'"), at);
        result_.outputs.emplace_back(output);
        result_.output_names.push_back(output->name());
        end_line();
    }

    void update_line() {
        const Position at = here();
        const VariablePtr& target = lookup(identifier("after 'update'"), at);
        if (!target->is_shared()) fail(at, "an update's target must be a shared variable, not " + target->str());
        expect('=', "after the updated variable");
        const Position value_at = here();
        const VariablePtr& value = lookup(identifier("after '='"), value_at);
        if (!(value->type() == target->type()))
            fail(value_at, "the update of " + target->str() + " (" + type_text(target->type()) + ") has type " + type_text(value->type()));
        result_.updates.emplace_back(Var(target), Var(value));
        end_line();
    }

    void node_line(int depth) {
        std::vector<Declared> outputs;
        do {
            const Position at = here();
            auto [id, name] = id_and_name("for a node's output");
            expect(':', "after the output's identifier");
            outputs.push_back(Declared{std::move(id), std::move(name), type(), at});
        } while (accept(','));
        expect('=', "before the op");
        skip_spaces();
        const Position op_at = here();
        const std::string kind = word();
        if (kind.empty()) fail(op_at, "expected an op such as Elemwise{add}, found " + found());
        std::string params;
        if (accept('{')) {
            const std::size_t close = source_.find_first_of("}\n", position_);
            if (close == std::string_view::npos || source_[close] != '}') fail(op_at, "the op's '{' has no '}' on its line");
            params = std::string(source_.substr(position_, close - position_));
            position_ = close + 1;
        }
        expect('(', "before the op's inputs");
        std::vector<VariablePtr> inputs;
        while (!accept(')')) {
            if (!inputs.empty()) expect(',', "between inputs");
            const Position at = here();
            inputs.push_back(lookup(identifier("as an input"), at));
        }
        const std::string op_text = kind + (params.empty() ? "" : "{" + params + "}");
        ApplyPtr node = kind == "Jacobian" ? jacobian_node(params, inputs, outputs, op_at, depth)
                                           : built_node(kind, params, inputs, op_at);
        check_node(*node, op_text, inputs, outputs, op_at);
        for (std::size_t i = 0; i < outputs.size(); ++i) {
            node->output(static_cast<int>(i))->set_name(outputs[i].name);
            define(outputs[i].id, outputs[i].at, node->output(static_cast<int>(i)));
        }
        if (kind != "Jacobian") end_line();
    }

    ApplyPtr built_node(const std::string& kind, const std::string& params, const std::vector<VariablePtr>& inputs,
                        Position at) const {
        try {
            return build_node(kind, params, inputs);
        } catch (const SyntaxError&) {
            throw;
        } catch (const Error& error) {
            fail(at, kind + (params.empty() ? "" : "{" + params + "}") + ": " + error.what());
        }
    }

    void check_node(const Apply& node, const std::string& op_text, const std::vector<VariablePtr>& inputs,
                    const std::vector<Declared>& outputs, Position at) const {
        const std::string built = node.op().kind() + (node.op().params().empty() ? "" : "{" + node.op().params() + "}");
        if (built != op_text) fail(at, "kiln builds " + built + " from these inputs, not " + op_text);
        if (node.inputs() != inputs)
            fail(at, op_text + " does not take these inputs as they are: kiln would convert or broadcast them first");
        if (node.num_outputs() != static_cast<int>(outputs.size()))
            fail(at, op_text + " has " + std::to_string(node.num_outputs()) + " outputs here; the line declares " +
                         std::to_string(outputs.size()));
        for (std::size_t i = 0; i < outputs.size(); ++i)
            if (!(node.output(static_cast<int>(i))->type() == outputs[i].type))
                fail(outputs[i].at, "output " + std::to_string(i) + " of " + op_text + " is " +
                                        type_text(node.output(static_cast<int>(i))->type()) + ", not " +
                                        type_text(outputs[i].type));
    }

    // "{", then the seed input, the gradient's nodes, "wrt ID", "output ID" and "}".
    ApplyPtr jacobian_node(const std::string& params, const std::vector<VariablePtr>& inputs,
                           const std::vector<Declared>& outputs, Position at, int depth) {
        if (depth + 1 > max_block_depth) fail(at, "Jacobian blocks nested too deeply");
        if (inputs.empty() || inputs[0]->type().ndim() != 1)
            fail(at, "a Jacobian's first input is the vector it differentiates");
        if (outputs.size() != 1) fail(at, "a Jacobian has one output");
        expect('{', "after a Jacobian's inputs, opening its gradient graph");
        // Identifiers defined in the block end with it: nothing outside may read the seed.
        const std::size_t defined_before = defined_.size();
        end_line();
        skip_blank_lines();
        const Position seed_at = here();
        if (word() != "input") fail(seed_at, "a Jacobian's block starts with its seed: input ID: TYPE");
        const auto [seed_id, seed_name] = id_and_name("after 'input'");
        expect(':', "after the seed's identifier");
        const TensorType seed_type = type();
        if (!(seed_type == inputs[0]->type())) fail(seed_at, "the seed's type must be the first input's, " + type_text(inputs[0]->type()));
        const VariablePtr seed = Variable::make_input(seed_type, seed_name);
        define(seed_id, seed_at, seed);
        end_line();
        VariablePtr wrt, seed_grad;
        while (true) {
            skip_blank_lines();
            const Position line_at = here();
            if (at_end()) fail(line_at, "the Jacobian's block opened on line " + std::to_string(at.line) + " has no '}'");
            if (accept('}')) break;
            const std::size_t begin = position_;
            const std::string first = word();
            if (first == "wrt" || first == "output") {
                const Position id_at = here();
                VariablePtr& slot = first == "wrt" ? wrt : seed_grad;
                if (slot) fail(line_at, "the block has two '" + first + "' lines");
                slot = lookup(identifier("after '" + first + "'"), id_at);
                end_line();
                continue;
            }
            position_ = begin;
            statement(depth + 1);
        }
        if (!wrt || !seed_grad) fail(here(), "a Jacobian's block needs a 'wrt' line and an 'output' line");
        for (std::size_t i = defined_before; i < defined_.size(); ++i) symbols_.erase(defined_[i]);
        defined_.resize(defined_before);
        if (seed_grad->type().ndim() != wrt->type().ndim())
            fail(at, "the gradient has " + std::to_string(seed_grad->type().ndim()) + " dimensions; wrt has " +
                         std::to_string(wrt->type().ndim()));
        const std::vector<VariablePtr> free_inputs(inputs.begin() + 1, inputs.end());
        for (const VariablePtr& leaf : graph_inputs({seed_grad}))
            if (!leaf->is_constant() && !leaf->is_shared() && leaf != seed &&
                std::find(free_inputs.begin(), free_inputs.end(), leaf) == free_inputs.end())
                fail(at, "the gradient reads " + leaf->str() + ", which is not among the Jacobian's inputs");
        auto op = std::make_shared<JacobianOp>(seed, seed_grad, free_inputs, wrt);
        if (op->params() != params) fail(at, "the block's graph hashes to {" + op->params() + "}, not {" + params + "}");
        std::vector<bool> broadcastable{false};
        broadcastable.insert(broadcastable.end(), wrt->type().broadcastable().begin(), wrt->type().broadcastable().end());
        end_line();
        return Apply::make(std::move(op), inputs, {TensorType(seed_grad->type().dtype(), broadcastable)});
    }

    std::string_view source_;
    std::size_t position_ = 0, line_start_ = 0;
    int line_ = 1;
    std::unordered_map<std::string, Symbol> symbols_;
    /// Every identifier defined, in order (a block's are dropped at its end).
    std::vector<std::string> defined_;
    ParsedGraph result_;
};

} // namespace

bool is_plain_identifier(std::string_view name) {
    if (name.empty() || !is_name_start(name.front())) return false;
    if (!std::all_of(name.begin(), name.end(), is_name_char)) return false;
    return std::find(std::begin(reserved_words), std::end(reserved_words), name) == std::end(reserved_words);
}

std::string type_text(const TensorType& type) {
    std::string text = std::string(dtype_name(type.dtype())) + "[";
    for (int d = 0; d < type.ndim(); ++d) text += std::string(d > 0 ? ", " : "") + (type.broadcastable()[d] ? "1" : ":");
    return text + "]";
}

} // namespace graph_text

ParsedGraph read_graph_text(std::string_view text) { return graph_text::GraphReader(text).read(); }

bool is_graph_text(std::string_view text) {
    std::size_t position = 0;
    while (position < text.size()) {
        const std::size_t end = std::min(text.find('\n', position), text.size());
        std::string_view line = text.substr(position, end - position);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t' || line.front() == '\r')) line.remove_prefix(1);
        if (!line.empty() && line.front() != '#') return line.substr(0, graph_text::header.size()) == graph_text::header;
        position = end + 1;
    }
    return false;
}

} // namespace kiln
