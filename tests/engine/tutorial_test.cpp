// Every cell of the tutorial's first sections, with its exact values and
// printed forms.
#include <kiln/kiln.hpp>

#include <doctest/doctest.h>

#include <sstream>

using namespace kiln;

namespace {

template <class T> std::string text(const T& value) {
    std::ostringstream os;
    os << value;
    return os.str();
}

} // namespace

TEST_CASE("Adding Two Scalars") {
    Var x = dscalar("x");
    Var y = dscalar("y");
    CHECK(text(x.type()) == "TensorType(float64, scalar)");
    CHECK(text(dscalar) == "TensorType(float64, scalar)");
    CHECK(x.type() == dscalar);
    CHECK(x.owner() == nullptr);
    Var z = x + y;
    CHECK(pp(z) == "(x + y)");
    Function f = compile({x, y}, z);
    const Array result = f(2, 3);
    CHECK(result.repr() == "array(5.)");
    CHECK(result.value_at<double>(0) == 5.0);
    CHECK(text(f(2, 3)) == "array(5.)");
}

TEST_CASE("Adding Two Matrices") {
    Var x = dmatrix("x");
    Var y = dmatrix("y");
    Var z = x + y;
    Function f = compile({x, y}, z);
    const std::string expected = "array([[11., 22.],\n       [33., 44.]])";
    CHECK(text(f({{1, 2}, {3, 4}}, {{10, 20}, {30, 40}})) == expected);
    Array a = Array::from_values<std::int64_t>({1, 2, 3, 4}, {2, 2});
    Array b = Array::from_values<std::int64_t>({10, 20, 30, 40}, {2, 2});
    CHECK(text(f(a, b)) == expected);
    // Against a hand-written loop on other values.
    Array p = Array::from_values<double>({0.5, -1, 2.25, 8}, {2, 2});
    Array q = Array::from_values<double>({1, 1, -2, 0.125}, {2, 2});
    const Array sum = f(p, q);
    for (int i = 0; i < 4; ++i) CHECK(sum.value_at<double>(i) == p.value_at<double>(i) + q.value_at<double>(i));
}

TEST_CASE("Shared Variables: accumulator, set_value and decrementor") {
    SharedVar state = shared(0);
    Var inc = iscalar("inc");
    CHECK(state.type() == lscalar);
    Function accumulator = compile({inc}, state, {.updates = {{state, state + inc}}});

    CHECK(state.get_value().str() == "0");
    CHECK(text(accumulator(1)) == "array(0)");
    CHECK(state.get_value().str() == "1");
    CHECK(text(accumulator(300)) == "array(1)");
    CHECK(state.get_value().str() == "301");

    state.set_value(-1);
    CHECK(text(accumulator(3)) == "array(-1)");
    CHECK(state.get_value().str() == "2");

    Function decrementor = compile({inc}, state, {.updates = {{state, state - inc}}});
    CHECK(text(decrementor(2)) == "array(2)");
    CHECK(state.get_value().str() == "0");
}

TEST_CASE("Graph Structures: z = x + y") {
    Var x = dmatrix("x");
    Var y = dmatrix("y");
    Var z = x + y;
    ApplyPtr apply = z.owner();
    REQUIRE(apply);
    CHECK(apply->op().name() == "Elemwise{add,no_inplace}");
    REQUIRE(apply->inputs().size() == 2);
    CHECK(apply->inputs()[0] == x.node());
    CHECK(apply->inputs()[1] == y.node());
    CHECK(apply->output(0) == z.node());
    CHECK(x.owner() == nullptr);
    CHECK(y.owner() == nullptr);
    CHECK(z.type() == dmatrix);
}

TEST_CASE("Traversing the graph: y = x * 2") {
    Var x = dmatrix("x");
    Var y = x * 2;
    REQUIRE(y.owner());
    CHECK(y.owner()->op().name() == "Elemwise{mul,no_inplace}");
    CHECK(y.owner()->inputs().size() == 2);
    CHECK(text(y.owner()->inputs()[0]) == "x");
    const VariablePtr broadcast = y.owner()->inputs()[1];
    CHECK(text(broadcast) == "InplaceDimShuffle{x,x}.0");
    REQUIRE(broadcast->owner());
    CHECK(broadcast->owner()->op().kind() == "DimShuffle");
    REQUIRE(broadcast->owner()->inputs().size() == 1);
    CHECK(text(broadcast->owner()->inputs()[0]) == "TensorConstant{2}");
    CHECK(pp(y) == "(x * TensorConstant{2})");
    CHECK(debugprint(y) == "Elemwise{mul,no_inplace} [id A] ''   \n"
                           " |x [id B]\n"
                           " |InplaceDimShuffle{x,x} [id C] ''   \n"
                           "   |TensorConstant{2} [id D]\n");
}
