#include "ir/print.hpp"
#include "test_ops.hpp"

#include <doctest/doctest.h>

using namespace kiln;
using kiln::test::apply;
using kiln::test::dmatrix_type;

namespace {

// An op printed infix, as Theano's OperatorPrinter does.
class Plus : public test::TestOp {
public:
    Plus() : TestOp("Elemwise{add,no_inplace}") {}
    std::string pp(const Apply&, const std::vector<std::string>& in) const override {
        return "(" + in[0] + " + " + in[1] + ")";
    }
};

VariablePtr plus(VariablePtr a, VariablePtr b) {
    TensorType type = a->type();
    return Apply::make(std::make_shared<Plus>(), {std::move(a), std::move(b)}, {type})->output(0);
}

VariablePtr input(const char* name) { return Variable::make_input(dmatrix_type(), name); }

} // namespace

TEST_CASE("pp uses names, op printers and the function form") {
    VariablePtr x = input("x"), y = input("y");
    CHECK(pp(plus(x, y)) == "(x + y)");
    CHECK(pp(apply("exp", {plus(x, y)})) == "exp((x + y))");
    CHECK(pp(apply("f", {x, Variable::make_input(dmatrix_type())})) == "f(x, <TensorType(float64, matrix)>)");
    VariablePtr named = plus(x, y);
    named->set_name("z");
    CHECK(pp(apply("g", {named})) == "g(z)");
}

TEST_CASE("debugprint matches Theano's test_debugprint layout") {
    VariablePtr A = input("A"), B = input("B"), C = input("D"), E = input("E");
    VariablePtr left = plus(A, B);
    left->set_name("C");
    VariablePtr right = plus(C, E);
    VariablePtr top = plus(left, right);
    CHECK(debugprint(top) == "Elemwise{add,no_inplace} [id A] ''   \n"
                             " |Elemwise{add,no_inplace} [id B] 'C'   \n"
                             " | |A [id C]\n"
                             " | |B [id D]\n"
                             " |Elemwise{add,no_inplace} [id E] ''   \n"
                             "   |D [id F]\n"
                             "   |E [id G]\n");
}

TEST_CASE("debugprint prints a repeated node once, then only its line") {
    VariablePtr x = input("x");
    VariablePtr shared_node = apply("exp", {x});
    VariablePtr top = plus(shared_node, shared_node);
    CHECK(debugprint(top) == "Elemwise{add,no_inplace} [id A] ''   \n"
                             " |exp [id B] ''   \n"
                             " | |x [id C]\n"
                             " |exp [id B] ''   \n");
    DebugprintOptions options;
    options.print_type = true;
    options.order[top->owner().get()] = 1;
    options.order[shared_node->owner().get()] = 0;
    CHECK(debugprint(top, options) == "Elemwise{add,no_inplace} [id A] <TensorType(float64, matrix)> ''   1\n"
                                      " |exp [id B] <TensorType(float64, matrix)> ''   0\n"
                                      " | |x [id C] <TensorType(float64, matrix)>\n"
                                      " |exp [id B] <TensorType(float64, matrix)> ''   0\n");
}

TEST_CASE("ids continue past Z as BA, BB, ...") {
    VariablePtr v = input("x");
    for (int i = 0; i < 27; ++i) v = apply("s", {v});
    const std::string text = debugprint(v);
    CHECK(text.find("[id Z]") != std::string::npos);
    CHECK(text.find("x [id BB]") != std::string::npos);
}

TEST_CASE("to_dot draws clustered nodes and their outputs inside a labelled subgraph") {
    VariablePtr x = input("x"), y = input("y");
    VariablePtr sum_xy = plus(x, y);
    VariablePtr z = plus(sum_xy, x);
    DotOptions options;
    options.clusters.push_back({"loop #0", {z->owner().get()}});
    const std::string dot = to_dot({z}, options);
    const std::size_t open = dot.find("subgraph cluster_0 {"), close = dot.find("\n  }\n");
    REQUIRE(open != std::string::npos);
    REQUIRE(close != std::string::npos);
    const std::string cluster = dot.substr(open, close - open);
    CHECK(cluster.find("label=\"loop #0\"") != std::string::npos);
    // z's apply (the second in topological order) and z itself are inside; x + y is not.
    CHECK(cluster.find("a1 [shape=ellipse") != std::string::npos);
    CHECK(cluster.find("v0 [shape=box") != std::string::npos);
    CHECK(cluster.find("a0 [shape=ellipse") == std::string::npos);
    CHECK(dot.find("a0 [shape=ellipse") > close);
    CHECK(dot.find("a1 -> v0;") > close);
}

TEST_CASE("to_dot writes one node per variable and apply, with edges") {
    VariablePtr x = input("x"), y = input("y");
    VariablePtr z = plus(x, y);
    const std::string dot = to_dot({z});
    CHECK(dot.rfind("digraph kiln {", 0) == 0);
    CHECK(dot.find("label=\"x\\nTensorType(float64, matrix)\"") != std::string::npos);
    CHECK(dot.find("label=\"Elemwise{add,no_inplace}\"") != std::string::npos);
    CHECK(dot.find("v1 -> a0 [label=\"0\"]") != std::string::npos);
    CHECK(dot.find("v2 -> a0 [label=\"1\"]") != std::string::npos);
    CHECK(dot.find("a0 -> v0") != std::string::npos);
    CHECK(dot.back() == '\n');
}
