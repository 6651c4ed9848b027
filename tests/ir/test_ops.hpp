// Small ops for testing the graph layer on its own.
#pragma once

#include "ir/graph.hpp"

namespace kiln::test {

/// An op "name" of any arity whose output has its first input's type;
/// perform returns the first input.
class TestOp : public Op {
public:
    explicit TestOp(std::string name, std::string params = {}) : name_(std::move(name)), params_(std::move(params)) {}
    std::string kind() const override { return "TestOp"; }
    std::string params() const override { return name_ + ";" + params_; }
    std::string name() const override { return name_; }
    std::vector<Array> perform(const Apply&, const std::vector<Array>& inputs) const override { return {inputs[0]}; }

private:
    std::string name_, params_;
};

inline VariablePtr apply(const std::string& op, std::vector<VariablePtr> inputs) {
    TensorType type = inputs[0]->type();
    return Apply::make(std::make_shared<TestOp>(op), std::move(inputs), {type})->output(0);
}

inline TensorType dmatrix_type() { return TensorType(DType::float64, {false, false}); }

} // namespace kiln::test
