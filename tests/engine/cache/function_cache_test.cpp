// compile() of a request whose structure was compiled before reuses the
// compiled graph, bound to the new request's inputs and shared variables.
#include <kiln/kiln.hpp>

#include "../../../jit/cpu/cpu_backend.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace kiln;

namespace {

// One SGD step of a linear model, built from scratch as a user's function would.
Function sgd_step(const SharedVar& w, const SharedVar& b, double rate) {
    const Var x = dmatrix("x"), y = dvector("y");
    const Var error = dot(x, w) + b - y;
    const Var cost = mean(error * error);
    const auto gradients = grad(cost, {w, b});
    return compile({x, y}, cost, {.updates = {{w, w - rate * gradients[0]}, {b, b - rate * gradients[1]}}});
}

bool reads(const Var& output, const VariablePtr& leaf) {
    const auto all = ancestors({output.node()});
    return std::find(all.begin(), all.end(), leaf) != all.end();
}

} // namespace

TEST_CASE("a function rebuilt with the same structure is found, not compiled again") {
    SharedVar w = shared(Array::from_values<double>({0.5, -0.5}), "w");
    SharedVar b = shared(0.25, "b");
    const Function first = sgd_step(w, b, 0.1);
    const auto cache_before = function_cache_counters();
    const auto kernels_before = jit::CpuBackend::instance().counters();
    const Function again = sgd_step(w, b, 0.1);
    const auto cache_after = function_cache_counters();
    const auto kernels_after = jit::CpuBackend::instance().counters();
    CHECK(cache_after.hits == cache_before.hits + 1);
    CHECK(cache_after.misses == cache_before.misses);
    // Not even the kernel cache was asked.
    CHECK(kernels_after.compiled == kernels_before.compiled);
    CHECK(kernels_after.memory_hits == kernels_before.memory_hits);
    CHECK(again.rewrites_applied() == first.rewrites_applied());
    CHECK(again.steps_text() == first.steps_text());

    // The found function's graph is over its own inputs, and it computes
    // what a fresh compile computes.
    CHECK(reads(again.outputs()[0], again.inputs()[0].node()));
    CHECK_FALSE(reads(again.outputs()[0], first.inputs()[0].node()));
    CHECK(pp(again.outputs()[0]) == pp(first.outputs()[0]));
    const Array x = Array::from_values<double>({1, 2, 3, 4, 5, 6}, {3, 2});
    const Array y = Array::from_values<double>({1, 0, -1});
    SharedVar w_fresh = shared(w.get_value(), "w"), b_fresh = shared(b.get_value(), "b");
    clear_function_cache();
    const Function fresh = sgd_step(w_fresh, b_fresh, 0.1);
    CHECK(function_cache_counters().misses == cache_after.misses + 1);
    const double fresh_cost = fresh(x, y)[0].value_at<double>(0);
    CHECK(again(x, y)[0].value_at<double>(0) == fresh_cost);
    CHECK(w.get_value().identical_to(w_fresh.get_value()));
    CHECK(b.get_value().identical_to(b_fresh.get_value()));
}

TEST_CASE("a found function reads and updates the new request's shared variables") {
    SharedVar w1 = shared(Array::from_values<double>({1, 1}), "w");
    SharedVar b1 = shared(0.0, "b");
    SharedVar w2 = shared(Array::from_values<double>({-2, 3}), "w");
    SharedVar b2 = shared(1.0, "b");
    const Function step1 = sgd_step(w1, b1, 0.5);
    const auto before = function_cache_counters();
    const Function step2 = sgd_step(w2, b2, 0.5);
    CHECK(function_cache_counters().hits == before.hits + 1);
    CHECK(reads(step2.outputs()[0], w2.node()));
    CHECK_FALSE(reads(step2.outputs()[0], w1.node()));
    CHECK(step2.updates()[0].first.node() == w2.node());

    const Array x = Array::from_values<double>({1, 0, 0, 1}, {2, 2});
    const Array y = Array::from_values<double>({0, 0});
    // cost = mean((x·w + b - y)^2) with x the identity: ((-2 + 1)^2 + (3 + 1)^2) / 2
    CHECK(step2(x, y)[0].value_at<double>(0) == doctest::Approx(8.5).epsilon(1e-15));
    CHECK(w1.get_value().to_vector<double>() == std::vector<double>{1, 1});
    CHECK(b1.get_value().value_at<double>(0) == 0.0);
    // d cost / d w = x^T (2 error / 2) = error = (-1, 4); d cost / d b = mean(2 error) = 3
    CHECK(w2.get_value().to_vector<double>() == std::vector<double>{-2 + 0.5, 3 - 2});
    CHECK(b2.get_value().value_at<double>(0) == 1.0 - 1.5);
}

TEST_CASE("anything that changes what compile() builds misses the cache") {
    const Var x = dvector("x");
    const Function base = compile({x}, exp(x) * 2.0);
    auto misses_after = [&](auto&& build) {
        const auto before = function_cache_counters();
        build();
        return function_cache_counters().misses - before.misses;
    };
    CHECK(misses_after([&] { compile({x}, exp(x) * 2.0); }) == 0);
    CHECK(misses_after([&] { compile({x}, exp(x) * 3.0); }) == 1);                       // a constant's value
    CHECK(misses_after([&] { compile({x}, log(x) * 2.0); }) == 1);                       // another op
    const Var renamed = dvector("renamed");
    CHECK(misses_after([&] { compile({renamed}, exp(renamed) * 2.0); }) == 1);          // names print
    CHECK(misses_after([&] { compile({x}, exp(x) * 2.0, {.mode = OptimizerMode::none}); }) == 1);
    CHECK(misses_after([&] { compile({x}, exp(x) * 2.0, {.linker = Linker::interpreter}); }) == 1);
    CHECK(misses_after([&] { compile({x}, std::vector<Var>{exp(x) * 2.0}); }) == 0);    // a list of one output
}

TEST_CASE("a request found in the cache is still checked") {
    const Var x = dvector("x"), unused = dvector("unused");
    compile({x, unused}, x * 2.0, {.on_unused_input = OnUnusedInput::ignore});
    CHECK_THROWS_AS(compile({x, unused}, x * 2.0), UnusedInputError);
    const Function f = compile({x, unused}, x * 2.0, {.on_unused_input = OnUnusedInput::ignore});
    CHECK_THROWS_AS(f(std::vector<double>{1, 2}), TypeError); // the missing argument
    CHECK(f(std::vector<double>{1, 2}, std::vector<double>{})[0].to_vector<double>() == std::vector<double>{2, 4});
}

TEST_CASE("a found function's outputs may be its inputs and shared variables themselves") {
    SharedVar s1 = shared(Array::from_values<double>({1, 2}), "s");
    SharedVar s2 = shared(Array::from_values<double>({5, 6}), "s");
    const auto before = function_cache_counters();
    for (const SharedVar* s : {&s1, &s2}) {
        const Var x = dvector("x");
        const Function f = compile({x}, std::vector<Var>{x, Var(*s), x + *s});
        CHECK(f.outputs()[0].node() == x.node());
        CHECK(f.outputs()[1].node() == s->node());
        const Outputs out = f(std::vector<double>{10, 20});
        const std::vector<double> shared_value = s->get_value().to_vector<double>();
        CHECK(out[0].to_vector<double>() == std::vector<double>{10, 20});
        CHECK(out[1].to_vector<double>() == shared_value);
        CHECK(out[2].to_vector<double>() == std::vector<double>{10 + shared_value[0], 20 + shared_value[1]});
    }
    CHECK(function_cache_counters().hits == before.hits + 1);
}

TEST_CASE("the cache keeps the 64 most recently used graphs, and no graph with more constant data than it holds") {
    clear_function_cache();
    const Var x = dvector("x");
    auto misses_of = [&](double c) {
        const auto before = function_cache_counters();
        compile({x}, x * c + 1.0);
        return function_cache_counters().misses - before.misses;
    };
    for (int k = 0; k < 64; ++k) CHECK(misses_of(k + 2.0) == 1);
    CHECK(misses_of(2.0) == 0); // now the most recently used
    CHECK(misses_of(100.0) == 1); // evicts 3.0, the least recently used
    CHECK(misses_of(2.0) == 0);
    CHECK(misses_of(3.0) == 1);

    // 72 MB of constant data: compiled, but not kept.
    Array data = Array::uninitialized(DType::float64, {9 << 20});
    double* values = data.mutable_data_as<double>();
    for (std::int64_t i = 0; i < data.size(); ++i) values[i] = static_cast<double>(i);
    const Var big = constant(data);
    const Var v = dvector("v");
    for (int round = 0; round < 2; ++round) {
        const auto before = function_cache_counters();
        compile({v}, v + big);
        CHECK(function_cache_counters().misses == before.misses + 1);
    }
    CHECK(misses_of(2.0) == 0); // and it evicted nothing to make room
}

TEST_CASE("a found function's steps name its own nodes, so its drawing shows the fused loops") {
    auto build = [] {
        const Var x = dmatrix("x"), y = dvector("y");
        return std::pair{compile({x, y}, sum(exp(x) * y, 1)), x};
    };
    const auto [first, first_x] = build();
    const auto hits_before = function_cache_counters().hits;
    const auto [found, found_x] = build();
    CHECK(function_cache_counters().hits == hits_before + 1);
    for (const Function* f : {&first, &found}) {
        const std::string drawing = to_dot(*f);
        CHECK(drawing.find("subgraph cluster_") != std::string::npos);
        // Every node of a loop step is one of the function's own.
        std::vector<VariablePtr> roots;
        for (const Var& output : f->outputs()) roots.push_back(output.node());
        const std::vector<ApplyPtr> own = toposort(roots);
        for (const FunctionStep& step : f->steps())
            for (const ApplyPtr& node : step.nodes) CHECK(std::find(own.begin(), own.end(), node) != own.end());
    }
}
