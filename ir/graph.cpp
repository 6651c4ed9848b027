#include "graph.hpp"

#include "errors.hpp"

#include <ostream>

namespace kiln {

namespace {

std::string constant_text(const Array& value) {
    // Theano prints an array of one repeated value as "(1, 1) of 2", else
    // str(data), a long one cut to its first and last ten characters.
    if (value.ndim() > 0 && value.size() > 0) {
        const Array flat = value.reshaped({value.size()});
        const Array first = flat.view({}, {}, 0);
        bool uniform = true;
        for (std::int64_t i = 1; i < flat.size() && uniform; ++i)
            uniform = flat.view({}, {}, i * flat.strides()[0]).identical_to(first);
        if (uniform) return "TensorConstant{" + shape_text(value.shape()) + " of " + first.str() + "}";
    }
    std::string text = value.str();
    for (char& c : text)
        if (c == '\n') c = ' ';
    if (text.size() > 20) text = text.substr(0, 10) + ".." + text.substr(text.size() - 10);
    return "TensorConstant{" + text + "}";
}

} // namespace

ApplyPtr Variable::owner() const { return owner_ ? owner_->shared_from_this() : nullptr; }

const Array& Variable::constant_value() const {
    KILN_CHECK(kind_ == Kind::constant, "constant_value() of non-constant " + str());
    return constant_;
}

const std::shared_ptr<SharedStorage>& Variable::shared_storage() const {
    KILN_CHECK(kind_ == Kind::shared, "shared_storage() of non-shared " + str());
    return shared_;
}

std::string Variable::str() const {
    if (!name_.empty()) return name_;
    if (owner_) return owner_->op().name() + "." + std::to_string(index_);
    if (kind_ == Kind::constant) return constant_text(constant_);
    return "<" + type_.str() + ">";
}

VariablePtr Variable::make_input(TensorType type, std::string name) {
    return VariablePtr(new Variable(std::move(type), Kind::input, std::move(name)));
}

VariablePtr Variable::make_constant(Array value, TensorType type, std::string name) {
    KILN_CHECK(value.dtype() == type.dtype() && value.ndim() == type.ndim(),
               "constant of " + type.str() + " built from a " + std::string(dtype_name(value.dtype())) +
                   " array of shape " + shape_text(value.shape()));
    auto* variable = new Variable(std::move(type), Kind::constant, std::move(name));
    variable->constant_ = value.copy();
    return VariablePtr(variable);
}

VariablePtr Variable::make_shared(std::shared_ptr<SharedStorage> storage, TensorType type,
                                  std::string name) {
    KILN_CHECK(storage != nullptr, "shared variable without storage");
    auto* variable = new Variable(std::move(type), Kind::shared, std::move(name));
    variable->shared_ = std::move(storage);
    return VariablePtr(variable);
}

std::string Op::pp(const Apply&, const std::vector<std::string>& inputs) const {
    std::string text = name() + "(";
    for (std::size_t i = 0; i < inputs.size(); ++i) text += (i > 0 ? ", " : "") + inputs[i];
    return text + ")";
}

std::vector<VariablePtr> Op::grad(const Apply&, const std::vector<VariablePtr>&) const {
    throw TypeError("grad(): " + name() + " has no gradient");
}

std::vector<SymbolicShape> Op::infer_shape(const Apply&, const std::vector<SymbolicShape>&) const {
    return {};
}

ApplyPtr Apply::make(OpPtr op, std::vector<VariablePtr> inputs, std::vector<TensorType> output_types) {
    KILN_CHECK(op != nullptr, "Apply without an op");
    for (const VariablePtr& input : inputs) KILN_CHECK(input != nullptr, "null input to " + op->name());
    std::shared_ptr<Apply> node(new Apply(std::move(op), std::move(inputs)));
    for (std::size_t i = 0; i < output_types.size(); ++i) {
        std::unique_ptr<Variable> output(new Variable(std::move(output_types[i]), Variable::Kind::output, {}));
        output->owner_ = node.get();
        output->index_ = static_cast<int>(i);
        node->outputs_.push_back(std::move(output));
    }
    return node;
}

namespace {

// Inputs released by Apply destructors, waiting for the outermost one.
struct PendingInputs {
    std::vector<VariablePtr> inputs;
    bool draining = false;
    ~PendingInputs();
};
// Set when this thread's queue is gone: graphs a host keeps in static
// storage die after it, at exit, and then free their inputs as members do.
// (Trivially destructible: still readable then.)
thread_local bool pending_inputs_gone = false;
thread_local PendingInputs pending_inputs;
PendingInputs::~PendingInputs() { pending_inputs_gone = true; }

} // namespace

Apply::~Apply() {
    // Inputs whose last reference goes away here would destroy their own
    // Apply inside this destructor, and so on down the graph. Instead the
    // outermost destructor drains a queue of released inputs.
    if (pending_inputs_gone) return;
    PendingInputs& pending = pending_inputs;
    for (VariablePtr& input : inputs_) pending.inputs.push_back(std::move(input));
    if (pending.draining) return;
    pending.draining = true;
    while (!pending.inputs.empty()) {
        VariablePtr input = std::move(pending.inputs.back());
        pending.inputs.pop_back();
        input.reset();
    }
    pending.draining = false;
}

VariablePtr Apply::output(int index) const {
    KILN_CHECK(index >= 0 && index < num_outputs(),
               "output " + std::to_string(index) + " of " + op_->name());
    // Aliasing constructor: the variable lives as long as its Apply does.
    return VariablePtr(shared_from_this(), outputs_[index].get());
}

std::vector<VariablePtr> Apply::outputs() const {
    std::vector<VariablePtr> result;
    for (int i = 0; i < num_outputs(); ++i) result.push_back(output(i));
    return result;
}

ApplyPtr Apply::with_inputs(std::vector<VariablePtr> inputs) const {
    KILN_CHECK(inputs.size() == inputs_.size(), "with_inputs() arity change on " + op_->name());
    for (std::size_t i = 0; i < inputs.size(); ++i)
        KILN_CHECK(inputs[i]->type() == inputs_[i]->type(),
                   "with_inputs() on " + op_->name() + ": input " + std::to_string(i) + " changes type from " +
                       inputs_[i]->type().str() + " to " + inputs[i]->type().str());
    std::vector<TensorType> types;
    for (const auto& output : outputs_) types.push_back(output->type());
    ApplyPtr node = make(op_, std::move(inputs), std::move(types));
    for (int i = 0; i < num_outputs(); ++i) node->outputs_[i]->name_ = outputs_[i]->name_;
    return node;
}

std::ostream& operator<<(std::ostream& os, const Variable& variable) { return os << variable.str(); }

std::ostream& operator<<(std::ostream& os, const VariablePtr& variable) {
    return os << (variable ? variable->str() : std::string("None"));
}

std::ostream& operator<<(std::ostream& os, const Op& op) { return os << op.name(); }

} // namespace kiln
