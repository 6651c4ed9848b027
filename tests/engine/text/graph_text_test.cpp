// The graph text format: graphs over the whole op catalogue, as written by
// users and as compile() optimized them, read back with the same
// structural hash and the same values; bad text is refused with its line
// and column, and mangled text never gets past the reader as anything but
// a kiln error.
#include "../test_helpers.hpp"

#include <bit>
#include <cstring>
#include <random>

using namespace kiln;

namespace {

Hash128 hash_of(const std::vector<Var>& outputs, const std::vector<Var>& inputs) {
    std::vector<VariablePtr> out(outputs.begin(), outputs.end()), in(inputs.begin(), inputs.end());
    return structural_hash(out, in);
}

// The graph read back hashes alike, and writing it again gives the same text.
ParsedGraph check_round_trip(const std::vector<Var>& outputs, const std::vector<Var>& inputs,
                             const std::vector<std::pair<Var, Var>>& updates = {}) {
    const std::string text = write_graph_text(outputs, inputs, updates);
    CAPTURE(text);
    const ParsedGraph read = read_graph_text(text);
    CHECK(hash_of(read.outputs, read.inputs) == hash_of(outputs, inputs));
    CHECK(write_graph_text(read.outputs, read.inputs, read.updates) == text);
    return read;
}

const char* const catalogue[] = {
    "x: f64[:,:]; y: f64[:]; out = sum(exp(x) * y, axis=1)",
    "x: f32[:,:]; out = softmax(x), log_softmax(x), x.argmax(axis=1), x.argmin(), x.max(axis=0), x.min(), x.prod(axis=1)",
    "b: bool[:]; i: i8[:]; u: u64[]; out = b.all(), b.any(), i.sum(), i // 3, i % 2, u + 1, ~i, i & 3, i | 1, i ^ 5",
    "x: f64[:,:]; v: f64[:]; out = dot(x, v), dot(x, x), x @ x.T, outer(v, v), tensordot(x, x, axes=[[1],[0]])",
    "x: f64[:,:]; out = x.reshape(2, -1), x.flatten(), concatenate([x, x], axis=1), stack([x, x]), x.dimshuffle(1, 'x', 0)",
    "x: f64[:,:]; n: i64[]; out = zeros((n, 3)), alloc(1.5, n, 2), x.shape, x.shape[0], arange(n), arange(1, n, 2)",
    "x: f64[:,:]; i: i64[:]; j: i32[:]; out = x[0], x[1:-1, ::2], x[i], x[i, j], x[x > 0], x[::-1, 2]",
    "x: f64[:,:]; y: f64[:]; i: i64[:]; out = set_subtensor(x[0], y), inc_subtensor(x[1:, 0], 2.0), inc_subtensor(x[i], y)",
    "x: f64[:,:]; out = where(x > 0, x, 0.5 * x), clip(x, -1, 1), x.astype('f32'), maximum(x, 2), x ** 3, x.var(axis=0)",
    "x: f64[:,:]; y: i64[:]; out = crossentropy_softmax(x, y), categorical_crossentropy(softmax(x), y)",
    "x: f64[1,:]; out = unbroadcast(x, 0), x.squeeze(), stop_gradient(x) * 2, expand_dims(x, 2), tile(x, [2, 1]), repeat(x, 3, axis=1)",
    "x: f64[:]; out = jacobian(x ** 3, x), hessian(sum(sin(x) * x), x)",
    "w: f64[:]; b: f64[]; x: f64[:,:]; gw, gb = grad(sum(sigmoid(dot(x, w) + b)), [w, b]); gw, gb",
};

std::string error_of(const std::string& text) {
    try {
        read_graph_text(text);
    } catch (const SyntaxError& error) {
        const std::string what = error.what();
        return std::to_string(error.line()) + ":" + std::to_string(error.column()) + " " + what.substr(what.find(": ") + 2);
    }
    FAIL("no error for:\n" << text);
    return {};
}

} // namespace

TEST_CASE("graphs over the op catalogue read back with the same structural hash") {
    for (const char* source : catalogue) {
        CAPTURE(source);
        const ParsedGraph graph = parse_expression(source);
        const ParsedGraph read = check_round_trip(graph.outputs, graph.inputs);
        REQUIRE(read.inputs.size() == graph.inputs.size());
        for (std::size_t i = 0; i < read.inputs.size(); ++i) CHECK(read.inputs[i].name() == graph.inputs[i].name());
    }
}

TEST_CASE("optimized graphs, with shared variables and updates, read back and compute the same") {
    for (const char* source : catalogue) {
        CAPTURE(source);
        const ParsedGraph graph = parse_expression(source);
        const Function f = compile(graph.inputs, graph.outputs);
        check_round_trip(f.outputs(), f.inputs(), f.updates());
    }
    // The tutorial's logistic regression step: Gemm, the stabilized
    // crossentropy and two updates after rewriting.
    const Var x = dmatrix("x"), y = dvector("y");
    const SharedVar w = shared(Array::from_values(std::vector<double>{0.25, -0.5, 1.0 / 3}), "w");
    const SharedVar b = shared(0.125, "b");
    const Var p = 1 / (1 + exp(-dot(x, w) - b));
    const Var cost = mean(-y * log(p) - (1 - y) * log(1 - p)) + 0.01 * sum(w * w);
    const std::vector<Var> g = grad(cost, {w, b});
    const Function train = compile({x, y}, {p > 0.5, cost}, {.updates = {{w, w - 0.1 * g[0]}, {b, b - 0.1 * g[1]}}});
    const ParsedGraph read = check_round_trip(train.outputs(), train.inputs(), train.updates());
    const std::string user_text = train.graph_text(Stage::graph);  // the values before any call
    REQUIRE(read.updates.size() == 2);
    CHECK(read.updates[0].first.name() == "w");

    const Function again = compile(read.inputs, read.outputs, {.updates = read.updates});
    const Array data = Array::from_values(std::vector<double>{1, 2, 3, -1, 0.5, 2}, {2, 3});
    const Array labels = Array::from_values(std::vector<double>{1, 0});
    const Outputs expected = train(data, labels), got = again(data, labels);
    CHECK(got[1].value_at<double>(0) == expected[1].value_at<double>(0));
    CHECK(read.updates[0].first.node()->shared_storage()->read().to_vector<double>() == w.get_value().to_vector<double>());

    // The request before rewriting reads back too, updates and all.
    const ParsedGraph user = read_graph_text(user_text);
    REQUIRE(user.updates.size() == 2);
    CHECK(user.updates[1].first.node()->shared_storage()->read().value_at<double>(0) == 0.125);
    const Function replay = compile(user.inputs, user.outputs, {.updates = user.updates});
    CHECK(replay(data, labels)[1].value_at<double>(0) == expected[1].value_at<double>(0));
    CHECK(user.updates[0].first.node()->shared_storage()->read().to_vector<double>() == w.get_value().to_vector<double>());
}

TEST_CASE("constants and shared values are written exactly") {
    const std::vector<Array> values = {
        Array::from_values(std::vector<double>{1.0 / 3, -0.0, 1e-310, 1.7976931348623157e308,
                                               std::numeric_limits<double>::quiet_NaN(),
                                               -std::numeric_limits<double>::infinity()}),
        Array::from_values(std::vector<float>{0.1f, 16777217.0f, -1.5e-45f, 3.4028235e38f,
                                              -std::numeric_limits<float>::quiet_NaN(),
                                              std::bit_cast<float>(std::uint32_t{0x7fc00123})}),
        Array::from_values(std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min(), -1, 0,
                                                     std::numeric_limits<std::int64_t>::max()}),
        Array::from_values(std::vector<std::uint64_t>{0, std::numeric_limits<std::uint64_t>::max()}),
        Array::from_values(std::vector<std::int8_t>{-128, 127}, {2, 1}),
        Array::from_values(std::vector<bool>{true, false, true}),
        Array::zeros(DType::float32, {0, 3}),
        Array::scalar<std::uint16_t>(65535),
    };
    for (const Array& value : values) {
        CAPTURE(value);
        const Var c = constant(value), s = shared(value, "s");
        const ParsedGraph read = check_round_trip({c, s}, {});
        for (const Var& v : read.outputs) {
            const Array& got = v.node()->is_constant() ? v.node()->constant_value() : v.node()->shared_storage()->read();
            REQUIRE(got.dtype() == value.dtype());
            REQUIRE(got.shape() == value.shape());
            const Array contiguous = value.copy();
            CHECK(std::memcmp(got.data(), contiguous.data(), static_cast<std::size_t>(value.size() * dtype_size(value.dtype()))) == 0);
        }
    }
}

TEST_CASE("names that are not identifiers are quoted; unnamed variables get %N") {
    const Var x = dvector("x.T"), y = dvector("x"), z = dvector();
    const Var out = (x + y + z).named("out\"put");
    const std::string text = write_graph_text({out}, {x, y, z});
    CHECK(text.find("input %0 \"x.T\": float64[:]") != std::string::npos);
    CHECK(text.find("input x: float64[:]") != std::string::npos);
    CHECK(text.find("input %1: float64[:]") != std::string::npos);
    const ParsedGraph read = check_round_trip({out}, {x, y, z});
    // A graph with nothing to compute is a graph too.
    CHECK(read_graph_text(write_graph_text({}, {x})).outputs.empty());
    CHECK(read.inputs[0].name() == "x.T");
    CHECK(read.inputs[2].name().empty());
    CHECK(read.output_names[0] == "out\"put");
}

TEST_CASE("bad text is refused with its line and column") {
    const std::string head = "kiln-graph 1\ninput x: float64[:]\n";
    const std::pair<std::string, std::string> cases[] = {
        {"input x: float64[:]\noutput x\n", "1:1 expected the header 'kiln-graph 1' first"},
        {head + "output y\n", "3:8 unknown identifier 'y'"},
        {head + "input x: float64[]\noutput x\n", "3:7 'x' is defined twice (first on line 2)"},
        {head + "%1: float32[:] = Elemwise{exp}(x)\noutput %1\n", "3:1 output 0 of Elemwise{exp} is float64[:], not float32[:]"},
        {head + "%1: float64[:] = Elemwise{frobnicate}(x)\noutput %1\n", "3:18 Elemwise{frobnicate}: cannot read the parameters {frobnicate}"},
        {head + "%1: float64[:] = Elemwise{add}(x)\noutput %1\n", "3:18 Elemwise{add}: takes 2 inputs, got 1"},
        {head + "input s: float64[]\n%1: float64[:] = Elemwise{add}(x, s)\noutput %1\n",
         "4:18 Elemwise{add} does not take these inputs as they are: kiln would convert or broadcast them first"},
        {head + "%1: float64[:] = Frob(x)\n", "3:18 Frob: unknown op 'Frob'"},
        {head + "%1: float64[] = Reduce{sum, axes=[0], ndim=1, acc_dtype=float32}(x)\noutput %1\n",
         "3:17 kiln builds Reduce{sum, axes=[0], ndim=1, acc_dtype=float64} from these inputs"},
        {head + "constant c: float64[:] = (3,) [1, 2]\noutput c\n", "3:31 'c' has 2 values; its shape (3,) holds 3"},
        {head + "constant c: float64[1] = (2,) [1, 2]\noutput c\n", "3:26 dimension 0 of 'c' is broadcastable"},
        {head + "constant c: int8[] = 300\noutput c\n", "3:22 300 does not fit in int8"},
        {head + "constant c: float32[] = 1e39\noutput c\n", "3:25 '1e39' is not a float32 value"},
        {head + "constant c: bool[] = 1\noutput c\n", "3:22 '1' is not a bool value"},
        {head + "input %2 \"abc: float64[]\noutput x\n", "3:10 the string has no closing '\"'"},
        {head + "input y: float65[]\noutput x\n", "3:10 unknown dtype"},
        {head + "input y: float64[2]\noutput x\n", "3:18 a dimension is ':' (any length) or 1 (broadcastable), not '2'"},
        {head + "%1: float64[:] = Elemwise{exp}(x\noutput %1\n", "3:33 expected ',' between inputs, found the end of the line"},
        {head + "update x = x\n", "3:8 an update's target must be a shared variable"},
        {head + "%1: float64[:, :] = Jacobian{00}(x, x) {\n  input s: float64[:]\n  wrt x\n  output s\n",
         "7:1 the Jacobian's block opened on line 3 has no '}'"},
        {head + "%1: float64[:, :] = Jacobian{00}(x, x) {\n  input s: float64[:]\n  wrt x\n  output s\n}\noutput %1\n",
         "3:21 the block's graph hashes to"},
    };
    for (const auto& [text, expected] : cases) {
        CAPTURE(text);
        const std::string message = error_of(text);
        CHECK(message.substr(0, expected.size()) == expected);
    }
}

TEST_CASE("identifiers defined in a Jacobian's block end with it") {
    const ParsedGraph graph = parse_expression("x: f64[:]; out = jacobian(x ** 3, x)");
    std::string text = write_graph_text(graph.outputs, graph.inputs);
    const std::size_t block_end = text.find("}\n");
    REQUIRE(block_end != std::string::npos);
    // The seed-free part of the gradient is written before the block, so the
    // block holds only what reads the seed.
    CHECK(text.find("Elemwise{pow}(x, %1)") < text.find("Jacobian{"));
    // The first node in the block: "  %7: float64[:] = Elemwise{mul}(%2, jacobian_seed)".
    const std::size_t line = text.find("\n  %", text.find("Jacobian{")) + 3;
    const std::string inner_id = text.substr(line, text.find(':', line) - line);
    CAPTURE(inner_id);
    text.insert(block_end + 2, "%99: float64[:] = Elemwise{neg}(" + inner_id + ")\n");
    const std::string message = error_of(text);
    CHECK(message.find("unknown identifier '" + inner_id + "'") != std::string::npos);
}

TEST_CASE("mangled text is refused as a kiln error, never anything else") {
    // Deterministic byte edits of real texts: every result reads or raises
    // SyntaxError; no other exception, crash or hang.
    std::vector<std::string> texts;
    for (const char* source : catalogue) {
        const ParsedGraph graph = parse_expression(source);
        texts.push_back(write_graph_text(graph.outputs, graph.inputs));
    }
    const std::string alphabet = "%:,=(){}[]\"#\n 0123456789-+.exnaiuTF_";
    std::mt19937 random(12345);
    int refused = 0, read = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string text = texts[random() % texts.size()];
        const int edits = 1 + static_cast<int>(random() % 4);
        for (int e = 0; e < edits && !text.empty(); ++e) {
            const std::size_t at = random() % text.size();
            switch (random() % 3) {
            case 0: text[at] = alphabet[random() % alphabet.size()]; break;
            case 1: text.erase(at, 1 + random() % 8); break;
            default: text.insert(at, 1, alphabet[random() % alphabet.size()]); break;
            }
        }
        try {
            read_graph_text(text);
            ++read;
        } catch (const SyntaxError&) {
            ++refused;
        }
    }
    CHECK(refused > 2000);
    CHECK(read + refused == 3000);
}
