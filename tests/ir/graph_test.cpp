#include "ir/errors.hpp"
#include "ir/hash.hpp"
#include "ir/walk.hpp"
#include "test_ops.hpp"

#include <doctest/doctest.h>

using namespace kiln;
using kiln::test::apply;
using kiln::test::dmatrix_type;

TEST_CASE("TensorType prints Theano's forms") {
    CHECK(TensorType(DType::float64, {}).str() == "TensorType(float64, scalar)");
    CHECK(TensorType(DType::float64, {false}).str() == "TensorType(float64, vector)");
    CHECK(TensorType(DType::int32, {false, false}).str() == "TensorType(int32, matrix)");
    CHECK(TensorType(DType::float32, {true, false}).str() == "TensorType(float32, row)");
    CHECK(TensorType(DType::float32, {false, true}).str() == "TensorType(float32, col)");
    CHECK(TensorType(DType::float64, {false, false, false}).str() == "TensorType(float64, 3D)");
    CHECK(TensorType(DType::float64, {true}).str() == "TensorType(float64, (True,))");
    CHECK(TensorType(DType::float64, {false, true, false}).str() == "TensorType(float64, (False, True, False))");
    CHECK(TensorType(DType::float64, {true, true}).str() == "TensorType(float64, (True, True))");
    CHECK(TensorType(DType::int32, {false}).describe() == "int32 vector");
    CHECK(TensorType(DType::float64, {false, false}) == TensorType(DType::float64, {false, false}));
    CHECK_FALSE(TensorType(DType::float64, {false, true}) == TensorType(DType::float64, {false, false}));
}

TEST_CASE("an Apply's outputs keep it alive and point back to it") {
    VariablePtr x = Variable::make_input(dmatrix_type(), "x");
    VariablePtr z;
    {
        VariablePtr y = Variable::make_input(dmatrix_type(), "y");
        z = apply("add", {x, y});
    }
    // y is held only by the graph now.
    ApplyPtr node = z->owner();
    REQUIRE(node);
    CHECK(node->inputs().size() == 2);
    CHECK(node->inputs()[1]->name() == "y");
    CHECK(node->output(0) == z);
    CHECK(z->index() == 0);
    CHECK(x->owner() == nullptr);
    CHECK(z->str() == "add.0");
    CHECK(x->str() == "x");
    CHECK(Variable::make_input(dmatrix_type())->str() == "<TensorType(float64, matrix)>");
    std::weak_ptr<const Apply> weak = node;
    node.reset();
    z.reset();
    CHECK(weak.expired());
}

TEST_CASE("constants print their value and are immutable copies") {
    Array value = Array::scalar(std::int8_t{2});
    VariablePtr two = Variable::make_constant(value, TensorType(DType::int8, {}));
    CHECK(two->str() == "TensorConstant{2}");
    CHECK(Variable::make_constant(Array::scalar(2.0), TensorType(DType::float64, {}))->str() == "TensorConstant{2.0}");
    *value.mutable_data_as<std::int8_t>() = 5;
    CHECK(two->constant_value().value_at<int>(0) == 2);
    CHECK_THROWS_AS(Variable::make_constant(Array::scalar(2.0), TensorType(DType::int8, {})), InternalError);
    CHECK_THROWS_AS(two->shared_storage(), InternalError);
}

TEST_CASE("ops compare by kind and parameters, never by address") {
    test::TestOp a("add"), b("add"), c("mul"), d("add", "other");
    CHECK(a == b);
    CHECK(a.hash() == b.hash());
    CHECK_FALSE(a == c);
    CHECK_FALSE(a == d);
    CHECK_FALSE(a.hash() == c.hash());
}

TEST_CASE("toposort puts every node after the nodes it reads") {
    VariablePtr x = Variable::make_input(dmatrix_type(), "x");
    VariablePtr y = Variable::make_input(dmatrix_type(), "y");
    VariablePtr a = apply("a", {x, y});
    VariablePtr b = apply("b", {a, x});
    VariablePtr c = apply("c", {a, b});
    auto order = toposort({c});
    REQUIRE(order.size() == 3);
    CHECK(order[0] == a->owner());
    CHECK(order[1] == b->owner());
    CHECK(order[2] == c->owner());
    // Stopping at a makes it a leaf.
    auto partial = toposort({c}, {a});
    CHECK(partial.size() == 2);
    auto leaves = graph_inputs({c});
    REQUIRE(leaves.size() == 2);
    CHECK(leaves[0] == x);
    CHECK(leaves[1] == y);
    auto all = ancestors({c});
    CHECK(all.size() == 5);
    CHECK(all[0] == c);
}

TEST_CASE("deep graphs are walked without recursion") {
    VariablePtr x = Variable::make_input(dmatrix_type(), "x");
    VariablePtr v = x;
    for (int i = 0; i < 100000; ++i) v = apply("step", {v});
    CHECK(toposort({v}).size() == 100000);
    CHECK(graph_inputs({v}).size() == 1);
}

TEST_CASE("clone_replace rebuilds only what a replacement touches") {
    VariablePtr x = Variable::make_input(dmatrix_type(), "x");
    VariablePtr y = Variable::make_input(dmatrix_type(), "y");
    VariablePtr w = Variable::make_input(dmatrix_type(), "w");
    VariablePtr left = apply("left", {x});
    VariablePtr right = apply("right", {y});
    right->set_name("r");
    VariablePtr out = apply("join", {left, right});
    auto result = clone_replace({out}, {{y.get(), w}});
    REQUIRE(result.size() == 1);
    CHECK(result[0] != out);
    ApplyPtr join = result[0]->owner();
    CHECK(join->inputs()[0] == left); // untouched: shared, not copied
    CHECK(join->inputs()[1] != right);
    CHECK(join->inputs()[1]->name() == "r");
    CHECK(join->inputs()[1]->owner()->inputs()[0] == w);
    // The original graph is unchanged.
    CHECK(out->owner()->inputs()[1]->owner()->inputs()[0] == y);
    VariablePtr scalar = Variable::make_input(TensorType(DType::float64, {}), "s");
    CHECK_THROWS_AS(clone_replace({out}, {{y.get(), scalar}}), InternalError);
}

TEST_CASE("structural hash ignores names and addresses but not structure") {
    auto build = [](const char* xname, const char* op) {
        VariablePtr x = Variable::make_input(dmatrix_type(), xname);
        VariablePtr y = Variable::make_input(dmatrix_type(), "y");
        VariablePtr c = Variable::make_constant(Array::scalar(2.0), TensorType(DType::float64, {}));
        return apply(op, {apply("mul", {x, c}), y});
    };
    CHECK(structural_hash({build("x", "add")}) == structural_hash({build("other", "add")}));
    CHECK_FALSE(structural_hash({build("x", "add")}) == structural_hash({build("x", "sub")}));
    // Leaves are numbered by first use: f(x, y) and f(y, x) are the same
    // graph, unless the inputs' order is fixed (as a function's is).
    VariablePtr x = Variable::make_input(dmatrix_type(), "x");
    VariablePtr y = Variable::make_input(dmatrix_type(), "y");
    CHECK(structural_hash({apply("f", {x, y})}) == structural_hash({apply("f", {y, x})}));
    CHECK_FALSE(structural_hash({apply("f", {x, y})}, {x, y}) == structural_hash({apply("f", {y, x})}, {x, y}));
    CHECK(structural_hash({apply("f", {x, x})}) == structural_hash({apply("f", {y, y})}));
    CHECK_FALSE(structural_hash({apply("f", {x, x})}) == structural_hash({apply("f", {x, y})}));
    // Constants hash by value.
    auto with_constant = [&](double v) {
        return apply("mul", {x, Variable::make_constant(Array::scalar(v), TensorType(DType::float64, {}))});
    };
    CHECK(structural_hash({with_constant(2)}) == structural_hash({with_constant(2)}));
    CHECK_FALSE(structural_hash({with_constant(2)}) == structural_hash({with_constant(3)}));
}

TEST_CASE("the canonical text has no names or addresses, so the hash is stable across runs") {
    VariablePtr x = Variable::make_input(dmatrix_type(), "x");
    VariablePtr y = Variable::make_input(TensorType(DType::float64, {}), "y");
    VariablePtr out = apply("add", {x, y});
    CHECK(canonical_graph_text({out}) == "%0 = input TensorType(float64, matrix)\n"
                                         "%1 = input TensorType(float64, scalar)\n"
                                         "%2:TensorType(float64, matrix) = TestOp{add;}(%0, %1)\n"
                                         "return %2\n");
    const std::string text = canonical_graph_text({out});
    CHECK(structural_hash({out}) == hash_bytes(text.data(), text.size()));
    CHECK(structural_hash({out}).hex().size() == 32);
}
