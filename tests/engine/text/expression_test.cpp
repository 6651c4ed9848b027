// The expression syntax: each parsed graph is compared with the same graph
// built through the C++ API (structural hash), evaluated against closed
// forms, and every kind of bad text is refused with its line and column.
#include "../test_helpers.hpp"

using namespace kiln;

namespace {

Hash128 hash_of(const std::vector<Var>& outputs, const std::vector<Var>& inputs) {
    std::vector<VariablePtr> out(outputs.begin(), outputs.end()), in(inputs.begin(), inputs.end());
    return structural_hash(out, in);
}

// The parsed graph must be the one the C++ API builds from the same inputs.
void check_same_graph(const std::string& source, const std::function<std::vector<Var>(const std::vector<Var>&)>& build) {
    CAPTURE(source);
    const ParsedGraph parsed = parse_expression(source);
    CHECK(hash_of(parsed.outputs, parsed.inputs) == hash_of(build(parsed.inputs), parsed.inputs));
}

template <class E> std::string error_of(const std::string& source) {
    try {
        parse_expression(source);
    } catch (const E& error) {
        return error.what();
    }
    FAIL("no error for: " << source);
    return {};
}

} // namespace

TEST_CASE("declarations give named inputs of the declared dtype and broadcast pattern") {
    const ParsedGraph parsed = parse_expression("x: f64[:,:]; r: float32[1,:]; s: i32[]; b: bool[:]; out = x");
    REQUIRE(parsed.inputs.size() == 4);
    CHECK(parsed.inputs[0].name() == "x");
    CHECK(parsed.inputs[0].type() == TensorType(DType::float64, {false, false}));
    CHECK(parsed.inputs[1].type() == TensorType(DType::float32, {true, false}));
    CHECK(parsed.inputs[2].type() == TensorType(DType::int32, {}));
    CHECK(parsed.inputs[3].type() == TensorType(DType::bool_, {false}));
    CHECK(parsed.output_names == std::vector<std::string>{"out"});
    CHECK(parsed.outputs[0].is(parsed.inputs[0]));
}

TEST_CASE("operators follow Python's precedence and literals Theano's autocasting") {
    check_same_graph("x: f64[:]; y: f64[:]; out = -x ** 2 + y * 3 - 1 / x", [](const std::vector<Var>& in) {
        return std::vector<Var>{-(pow(in[0], 2)) + in[1] * 3 - 1 / in[0]};
    });
    check_same_graph("a: i64[:]; out = a & 1 | a ^ 2 // 3", [](const std::vector<Var>& in) {
        // | binds loosest, then ^, then &, then // (arithmetic, here on two literals: 0).
        return std::vector<Var>{(in[0] & 1) | (in[0] ^ std::int64_t{0})};
    });
    check_same_graph("x: f32[:,:]; out = (x < 0.5) == (x >= 2)", [](const std::vector<Var>& in) {
        return std::vector<Var>{eq(in[0] < 0.5, in[0] >= 2)};
    });
    check_same_graph("x: f64[:,:]; w: f64[:]; out = x @ w % 2 * ~(x > 0)", [](const std::vector<Var>& in) {
        return std::vector<Var>{dot(in[0], in[1]) % 2 * ~(in[0] > 0)};
    });
}

TEST_CASE("literals combine as Python numbers before they become tensors") {
    check_same_graph("x: f64[]; out = 2 ** -1 * x + 7 // -2 + 7 % -2 + (1 < 2)", [](const std::vector<Var>& in) {
        return std::vector<Var>{0.5 * in[0] + std::int64_t{-4} + std::int64_t{-1} + true};
    });
    check_same_graph("x: f64[]; out = x * (-7.5 // 2) + 2 ** 10", [](const std::vector<Var>& in) {
        return std::vector<Var>{in[0] * -4.0 + std::int64_t{1024}};
    });
    // Integer literals compare exactly, beyond float64's 53 bits.
    check_same_graph("x: f64[]; out = x + (2 ** 53 + 1 == 2 ** 53) + (2 ** 53 + 1 > 2 ** 53)",
                     [](const std::vector<Var>& in) { return std::vector<Var>{in[0] + false + true}; });
    CHECK(error_of<ValueError>("x: f64[]; out = x + 1 // 0").find("division by zero") != std::string::npos);
    CHECK(error_of<ValueError>("x: f64[]; out = x + 2 ** 63").find("int64") != std::string::npos);
}

TEST_CASE("calls bind positional and keyword arguments; methods and attributes") {
    check_same_graph("x: f64[:,:]; y: f64[:]; out = sum(exp(x) * y, axis=1)", [](const std::vector<Var>& in) {
        return std::vector<Var>{sum(exp(in[0]) * in[1], 1)};
    });
    check_same_graph("x: f64[:,:]; out = x.mean(axis=[0, 1], keepdims=True) + x.T.var(0, False, 1)",
                     [](const std::vector<Var>& in) {
                         return std::vector<Var>{mean(in[0], {0, 1}, true) + var(transpose(in[0]), 0, false, 1)};
                     });
    check_same_graph("x: f32[:]; out = x.reshape(2, -1).dimshuffle(1, 'x', 0).astype('f64')",
                     [](const std::vector<Var>& in) {
                         return std::vector<Var>{cast(dimshuffle(reshape(in[0], {2, -1}), {1, DimShuffle::new_axis, 0}),
                                                      DType::float64)};
                     });
    check_same_graph("x: f64[:,:]; out = concatenate([x, x * 2], axis=1), argmax(x, axis=0), x.shape[0]",
                     [](const std::vector<Var>& in) {
                         return std::vector<Var>{concatenate({in[0], in[0] * 2}, 1), argmax(in[0], 0),
                                                 shape(in[0])[0]};
                     });
    check_same_graph("a: f64[:]; b: f64[:]; out = switch(a > 0, a, b), join(0, a, b, a), disconnected_grad(a)",
                     [](const std::vector<Var>& in) {
                         return std::vector<Var>{switch_(gt(in[0], 0), in[0], in[1]), join(0, in[0], in[1], in[0]),
                                                 disconnected_grad(in[0])};
                     });
    check_same_graph("a: f64[:,:]; b: f64[:,:]; out = tensordot(a, b, axes=[[1], [0]]) + tensordot(a, b, 1)",
                     [](const std::vector<Var>& in) {
                         return std::vector<Var>{tensordot(in[0], in[1], {1}, {0}) + tensordot(in[0], in[1], 1)};
                     });
}

TEST_CASE("NumPy indexing: integers, slices, advanced and boolean indices, lists") {
    check_same_graph("x: f64[:,:]; y: i32[:]; out = log_softmax(x)[arange(x.shape[0]), y]",
                     [](const std::vector<Var>& in) {
                         return std::vector<Var>{log_softmax(in[0])[{arange(shape(in[0])[0]), in[1]}]};
                     });
    check_same_graph("x: f64[:,:]; out = x[1:-1, ::-1] + x[0] + x[:2, 1]", [](const std::vector<Var>& in) {
        return std::vector<Var>{in[0][{slice(1, -1), slice({}, {}, -1)}] + in[0][0] + in[0][{slice({}, 2), 1}]};
    });
    check_same_graph("x: f64[:]; out = x[x > 0]", [](const std::vector<Var>& in) {
        return std::vector<Var>{in[0][in[0] > 0]};
    });
    // A list of scalar tensors indexes as the vector they stack into; trailing ':' select nothing more.
    check_same_graph("x: f64[:,:]; i: i64[]; j: i64[]; out = x[[i, j], :]", [](const std::vector<Var>& in) {
        return std::vector<Var>{in[0][stack({in[1], in[2]})]};
    });
    check_same_graph("x: f64[:]; out = x.reshape((4,)), zeros((2,), 'float64')", [](const std::vector<Var>& in) {
        return std::vector<Var>{reshape(in[0], {4}), zeros({2}, DType::float64)};
    });
}

TEST_CASE("values: Python's and JSON's booleans, and 1-tuples") {
    CHECK(parse_literal("[True, false, true, False]").value().to_vector<bool>() ==
          std::vector<bool>{true, false, true, false});
    CHECK(parse_literal("(6,)").value().shape() == Shape{1});
    CHECK(parse_literal("((1, 2),)").value().shape() == (Shape{1, 2}));
}

TEST_CASE("grad, tuple assignment and several outputs") {
    const ParsedGraph parsed =
        parse_expression("w: f64[:]; b: f64[]; x: f64[:]\ncost = sum((x * w + b) ** 2)\ngw, gb = grad(cost, [w, b])");
    CHECK(parsed.output_names == std::vector<std::string>{"gw", "gb"});
    REQUIRE(parsed.outputs.size() == 2);
    // d/dw sum((x w + b)^2) = 2 (x w + b) x;  d/db = 2 sum(x w + b).
    const Function f = compile(parsed.inputs, parsed.outputs);
    const std::vector<double> w = {0.5, -1.0, 2.0}, x = {1.0, 2.0, 3.0};
    const double b = 0.25;
    const Outputs out = f(w, b, x);
    std::vector<double> gw(3);
    double gb = 0;
    for (int i = 0; i < 3; ++i) {
        const double r = x[i] * w[i] + b;
        gw[i] = 2 * r * x[i];
        gb += 2 * r;
    }
    test::check_close(out[0], gw);
    test::check_close(out[1], {gb});

    const ParsedGraph listed = parse_expression("a: f64[]; g = grad(a * a, [a]); g");
    CHECK(listed.outputs.size() == 1);
    CHECK(listed.output_names == std::vector<std::string>{""});
    const ParsedGraph indexed = parse_expression("a: f64[]; b: f64[]; g = grad(a * b, [a, b])[1]");
    const Array db = compile(indexed.inputs, indexed.outputs[0])(3.0, 5.0);
    test::check_close(db, {3.0});
}

TEST_CASE("lines, comments and bracketed continuations") {
    const ParsedGraph parsed = parse_expression(
        "# a comment line\nx: f64[:]  # the input\n\ny = exp(\n    x)\nz = y + \\\n  1; out = sum(z)\n");
    const Array value = compile(parsed.inputs, parsed.outputs[0])(std::vector<double>{0.0, 1.0});
    test::check_close(value, {std::exp(0.0) + 1 + std::exp(1.0) + 1});
}

TEST_CASE("syntax errors name the line and column and show the text") {
    const std::string missing = error_of<SyntaxError>("x: f64[:,:]\nout = sum(x, axis=1");
    CHECK(missing.find("line 2, column 20") != std::string::npos);
    CHECK(missing.find("out = sum(x, axis=1\n") != std::string::npos);
    try {
        parse_expression("x: f64[]; out = x +");
        FAIL("no error");
    } catch (const SyntaxError& error) {
        CHECK(error.line() == 1);
        CHECK(error.column() == 20);
        // The caret sits under column 20 of the quoted line.
        const std::string text = error.what();
        CHECK(text.substr(text.rfind('\n') + 1) == std::string(2 + 19, ' ') + "^");
    }
    CHECK(error_of<SyntaxError>("x: f64[:,2]").find("':' (any length) or 1") != std::string::npos);
    CHECK(error_of<SyntaxError>("x: f65[:]").find("unknown dtype 'f65'") != std::string::npos);
    CHECK(error_of<SyntaxError>("x: f64[]; x: f32[]; x").find("declared twice") != std::string::npos);
    CHECK(error_of<SyntaxError>("x: f64[]; exq(x)").find("did you mean 'exp'") != std::string::npos);
    CHECK(error_of<SyntaxError>("x: f64[]; out = y").find("name 'y' is not defined") != std::string::npos);
    CHECK(error_of<SyntaxError>("x: f64[]; x < 1 < 2").find("do not chain") != std::string::npos);
    CHECK(error_of<SyntaxError>("x: f64[]; x and x").find("use &") != std::string::npos);
    CHECK(error_of<SyntaxError>("x: f64[]; x.foo").find("no attribute 'foo'") != std::string::npos);
    CHECK(error_of<SyntaxError>("x: f64[]; x $ 1").find("unexpected character '$'") != std::string::npos);
    CHECK(error_of<SyntaxError>("x: f64[]; 'abc").find("unterminated string") != std::string::npos);
    CHECK(error_of<SyntaxError>("x: f64[]").find("nothing to compute") != std::string::npos);
    CHECK(error_of<SyntaxError>("x: f64[]; a, b = x").find("cannot unpack") != std::string::npos);
    CHECK(error_of<SyntaxError>("99999999999999999999").find("does not fit in int64") != std::string::npos);
    CHECK(error_of<SyntaxError>("x: f64[]; " + std::string(1000, '(') + "x").find("nested too deeply") !=
          std::string::npos);
    CHECK(error_of<SyntaxError>("x: f64[]; " + std::string(1000, '-') + "x").find("nested too deeply") !=
          std::string::npos);
}

TEST_CASE("errors the API raises keep their type and gain the place of the call") {
    const std::string axis = error_of<ValueError>("x: f64[:,:]; out = sum(x, axis=3)");
    CHECK(axis.find("axis 3 is out of bounds") != std::string::npos);
    CHECK(axis.find("(line 1, column 20)") != std::string::npos);
    CHECK(error_of<TypeError>("x: f64[:]; out = sum(x, axes=0)").find("unexpected keyword argument 'axes'") !=
          std::string::npos);
    CHECK(error_of<TypeError>("x: f64[:]; out = where(x, 1)").find("missing required argument 'b'") !=
          std::string::npos);
    CHECK(error_of<TypeError>("x: f64[:]; out = x + 'a'").find("must be a tensor, a number or a list of numbers, not a string") !=
          std::string::npos);
    CHECK(error_of<TypeError>("x: f64[:]; out = x[None]").find("np.newaxis") != std::string::npos);
    CHECK(error_of<TypeError>("x: f64[:]; y = 'abc'").find("the output 'y' is a string") != std::string::npos);
}

TEST_CASE("the function list names every builtin with its signature") {
    const std::string functions = expression_functions();
    CHECK(functions.find("sum(x, axis=None, keepdims=False)    (also x.sum(...))\n") != std::string::npos);
    CHECK(functions.find("grad(cost, wrt, consider_constant=None, disconnected_inputs='raise')\n") != std::string::npos);
    CHECK(functions.find("reshape(x, *shape)") != std::string::npos);
}
