// The indexing ops behind Var::operator[]: basic indexing (integers and
// slices; a view), advanced indexing (integer tensors; a gather), and their
// functional set/increment counterparts.
#pragma once

#include "index_arrays.hpp"

#include "../api/var.hpp"

#include <string_view>
#include <vector>

namespace kiln {

/// How one axis is indexed in basic indexing; the integer and the slice
/// bounds that are present come from the op's inputs, in order.
struct IndexEntry {
    bool is_slice = false;
    bool has_start = false, has_stop = false, has_step = false;
    bool operator==(const IndexEntry&) const = default;
};

class Subtensor : public Op {
public:
    explicit Subtensor(std::vector<IndexEntry> entries) : entries_(std::move(entries)) {}
    const std::vector<IndexEntry>& entries() const { return entries_; }

    std::string kind() const override { return "Subtensor"; }
    std::string params() const override;
    std::string name() const override;
    std::string pp(const Apply& node, const std::vector<std::string>& inputs) const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;

private:
    std::vector<IndexEntry> entries_;
};

/// inputs: x, y, then the index values; a copy of x with x[index] set to,
/// or increased by, y.
class IncSubtensor : public Op {
public:
    IncSubtensor(std::vector<IndexEntry> entries, bool set) : entries_(std::move(entries)), set_(set) {}

    std::string kind() const override { return "IncSubtensor"; }
    std::string params() const override;
    std::string name() const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    /// The result is x with the selection changed: it can take x's buffer.
    int overwritable_input() const override { return 0; }
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;

private:
    std::vector<IndexEntry> entries_;
    bool set_;
};

/// inputs: x, then k integer index tensors for x's first k axes, broadcast
/// together; output: their broadcast shape followed by x's other axes.
class AdvancedSubtensor : public Op {
public:
    std::string kind() const override { return "AdvancedSubtensor"; }
    std::string params() const override { return {}; }
    std::string name() const override { return "AdvancedSubtensor"; }
    std::string pp(const Apply& node, const std::vector<std::string>& inputs) const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;
};

/// inputs: x, y, then the index tensors; repeated indices accumulate (inc).
class AdvancedIncSubtensor : public Op {
public:
    explicit AdvancedIncSubtensor(bool set) : set_(set) {}
    std::string kind() const override { return "AdvancedIncSubtensor"; }
    std::string params() const override { return set_ ? "set" : "inc"; }
    std::string name() const override { return set_ ? "AdvancedSetSubtensor" : "AdvancedIncSubtensor"; }
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    /// The result is x with the selection changed: it can take x's buffer.
    int overwritable_input() const override { return 0; }
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;

private:
    bool set_;
};

/// Indexing nodes on their inputs as each op takes them (x, then y for the
/// inc/set ops, then the index values), checked so that any inputs give a
/// node that computes or raises cleanly: how the graph text reader builds
/// them, since the API's subtensor() takes NumPy-style indices instead.
Var subtensor_node(const std::vector<IndexEntry>& entries, const std::vector<Var>& inputs);
Var inc_subtensor_node(const std::vector<IndexEntry>& entries, bool set, const std::vector<Var>& inputs);
Var advanced_subtensor_node(const std::vector<Var>& inputs);
Var advanced_inc_subtensor_node(bool set, const std::vector<Var>& inputs);
/// The entries of Subtensor::params() text: "int64, int64::, :int64:".
std::vector<IndexEntry> entries_from_text(std::string_view text);

} // namespace kiln
