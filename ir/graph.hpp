// The symbolic graph: Variables, Apply nodes and Ops (Theano's bipartite DAG).
//
// Ownership runs from outputs to inputs only: a Variable produced by an Apply
// lives inside that Apply and shares its lifetime (the handle is an aliasing
// shared_ptr to the Apply), and an Apply owns its inputs. Holding any output
// keeps the whole subgraph below it alive, with no reference cycles.
// Nodes never change once built; rewrites build new ones.
#pragma once

#include "array.hpp"
#include "shared_storage.hpp"
#include "type.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kiln {

class Apply;
class Op;
class Variable;

using VariablePtr = std::shared_ptr<const Variable>;
using ApplyPtr = std::shared_ptr<const Apply>;
using OpPtr = std::shared_ptr<const Op>;
/// A shape as symbolic int64 scalars, one per dimension.
using SymbolicShape = std::vector<VariablePtr>;

class Variable {
public:
    enum class Kind { input, constant, shared, output };

    const TensorType& type() const { return type_; }
    Kind kind() const { return kind_; }
    /// The Apply node that computes this variable; null for graph inputs,
    /// constants and shared variables.
    ApplyPtr owner() const;
    /// Position among the owner's outputs (0 for leaves).
    int index() const { return index_; }
    /// A label for printing; never part of the graph's structure.
    const std::string& name() const { return name_; }
    void set_name(std::string name) const { name_ = std::move(name); }

    bool is_constant() const { return kind_ == Kind::constant; }
    bool is_shared() const { return kind_ == Kind::shared; }
    /// The value of a constant (throws InternalError for other kinds).
    const Array& constant_value() const;
    /// The storage of a shared variable (throws InternalError for other kinds).
    const std::shared_ptr<SharedStorage>& shared_storage() const;

    /// Theano's str(variable): the name, else "Op.0" for an Apply output,
    /// "TensorConstant{2}" for a constant, "<TensorType(float64, matrix)>" otherwise.
    std::string str() const;

    /// A new graph input.
    static VariablePtr make_input(TensorType type, std::string name = {});
    /// A constant holding value (its type must match the value's dtype and rank).
    static VariablePtr make_constant(Array value, TensorType type, std::string name = {});
    /// A shared variable whose storage already holds a value of the type.
    static VariablePtr make_shared(std::shared_ptr<SharedStorage> storage, TensorType type,
                                   std::string name = {});

private:
    friend class Apply;
    Variable(TensorType type, Kind kind, std::string name)
        : type_(std::move(type)), kind_(kind), name_(std::move(name)) {}

    TensorType type_;
    Kind kind_;
    const Apply* owner_ = nullptr;
    int index_ = 0;
    mutable std::string name_;
    Array constant_;
    std::shared_ptr<SharedStorage> shared_;
};

/// An operation kind with its parameters. Two ops are equal when their kind
/// and canonical parameter text are equal, never by address, so equal
/// computations merge and hash alike.
class Op {
public:
    virtual ~Op() = default;

    /// The op's class, as Theano names it: "Elemwise", "DimShuffle".
    virtual std::string kind() const = 0;
    /// Canonical text of the parameters; with kind() it defines equality and hash.
    virtual std::string params() const = 0;
    /// Theano's str(op): "Elemwise{mul,no_inplace}", "InplaceDimShuffle{x,x}".
    virtual std::string name() const = 0;
    /// How pp() shows an application, given the inputs already printed.
    /// The default is Theano's function form "name(a, b)".
    virtual std::string pp(const Apply& node, const std::vector<std::string>& inputs) const;
    /// The reference computation: plain C++, the oracle every faster path is
    /// checked against. Returns one array per output, of the output's type.
    virtual std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const = 0;
    /// The input whose buffer perform may write its result into, or -1. A
    /// caller that no longer needs that input's value passes the only
    /// reference to its buffer; perform writes in place only when
    /// Array::writable_in_place() says so, and copies otherwise.
    virtual int overwritable_input() const { return -1; }
    /// Gradients of a scalar cost with respect to each input, given the
    /// gradients with respect to each output (null for an output the cost
    /// does not depend on). A null result means no gradient flows to that
    /// input. The default refuses: the op is not differentiable.
    virtual std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const;
    /// Symbolic shapes of the outputs (one int64 scalar per dimension) from
    /// those of the inputs, computing no values. Empty when the op cannot
    /// say; callers then read the shape off the computed output.
    virtual std::vector<SymbolicShape> infer_shape(const Apply& node,
                                                   const std::vector<SymbolicShape>& input_shapes) const;

    bool operator==(const Op& other) const {
        return kind() == other.kind() && params() == other.params();
    }
    /// Agrees with ==: equal ops hash alike.
    std::size_t hash() const { return std::hash<std::string>{}(kind() + "{" + params() + "}"); }
};

class Apply : public std::enable_shared_from_this<Apply> {
public:
    /// Builds a node; the caller (an op's make_node) has already inferred the
    /// output types from the inputs.
    static ApplyPtr make(OpPtr op, std::vector<VariablePtr> inputs, std::vector<TensorType> output_types);

    const Op& op() const { return *op_; }
    const OpPtr& op_ptr() const { return op_; }
    const std::vector<VariablePtr>& inputs() const { return inputs_; }
    int num_outputs() const { return static_cast<int>(outputs_.size()); }
    VariablePtr output(int index) const;
    std::vector<VariablePtr> outputs() const;

    /// A node with the same op on new inputs (whose types equal the old ones).
    ApplyPtr with_inputs(std::vector<VariablePtr> inputs) const;

    Apply(const Apply&) = delete;
    Apply& operator=(const Apply&) = delete;
    /// Releases inputs iteratively, so dropping a very deep graph cannot
    /// overflow the stack.
    ~Apply();

private:
    Apply(OpPtr op, std::vector<VariablePtr> inputs) : op_(std::move(op)), inputs_(std::move(inputs)) {}

    OpPtr op_;
    std::vector<VariablePtr> inputs_;
    std::vector<std::unique_ptr<Variable>> outputs_;
};

std::ostream& operator<<(std::ostream& os, const Variable& variable);
std::ostream& operator<<(std::ostream& os, const VariablePtr& variable);
std::ostream& operator<<(std::ostream& os, const Op& op);

} // namespace kiln
