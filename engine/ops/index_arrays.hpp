// The ops that make index arrays (internal to the engine): ARange and
// NonZero, whose builders users call as arange() and nonzero() (index.hpp).
#pragma once

#include "../api/var.hpp"

#include <vector>

namespace kiln {

/// The positions of a tensor's nonzero elements, one int64 vector per axis
/// (NumPy's nonzero); boolean-mask indexing gathers with them.
class NonZero : public Op {
public:
    std::string kind() const override { return "NonZero"; }
    std::string params() const override { return {}; }
    std::string name() const override { return "Nonzero"; }
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;
};

/// int64 values from start to stop by step.
/// start, start + step, ... up to stop (excluded), NumPy's arange: int64
/// for integer bounds, else the bounds' float dtype, with NumPy's length
/// ceil((stop - start) / step). Inputs: start, stop, step, in that dtype.
class ARange : public Op {
public:
    explicit ARange(DType dtype = DType::int64) : dtype_(dtype) {}
    DType dtype() const { return dtype_; }
    std::string kind() const override { return "ARange"; }
    /// Empty for int64 (as graphs written before float bounds have it).
    std::string params() const override { return dtype_ == DType::int64 ? std::string() : std::string(dtype_name(dtype_)); }
    std::string name() const override { return "ARange{dtype='" + std::string(dtype_name(dtype_)) + "'}"; }
    std::string pp(const Apply& node, const std::vector<std::string>& inputs) const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;

private:
    DType dtype_;
};

/// The positions of x's nonzero elements, one int64 vector per axis; with
/// `indexed`, x is the boolean mask indexing it (their shapes are checked
/// when computed).
std::vector<Var> nonzero_of(const Var& x, const Var& indexed);
/// NonZero of x, and of x as the mask indexing `indexed` (optional second input).
std::vector<Var> nonzero_node(const std::vector<Var>& inputs);

/// Throws TypeError naming `who` unless there are at least `least` inputs
/// (the indexing nodes the graph text reader builds).
void check_input_count(const char* who, const std::vector<Var>& inputs, std::size_t least);
/// Throws TypeError unless v is an integer scalar; `what` names it ("an
/// index", "a slice bound", "an arange bound").
void check_integer_scalar(const Var& v, const char* what);

} // namespace kiln
