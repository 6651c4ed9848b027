#include "kernel.hpp"

#include "errors.hpp"
#include "scalar_op_definitions.hpp"

#include <cstdio>

namespace kiln {

int Kernel::add_input(DType dtype, bool broadcast_inner) {
    inputs_.push_back({dtype, broadcast_inner});
    return static_cast<int>(inputs_.size()) - 1;
}

int Kernel::add_param(DType dtype) {
    params_.push_back(dtype);
    return static_cast<int>(params_.size()) - 1;
}

int Kernel::append(KernelValue value) {
    for (int operand : value.operands)
        KILN_CHECK(operand >= 0 && operand < static_cast<int>(values_.size()), "kernel operand out of range");
    values_.push_back(std::move(value));
    return static_cast<int>(values_.size()) - 1;
}

int Kernel::load(int input) {
    KILN_CHECK(input >= 0 && input < static_cast<int>(inputs_.size()), "kernel load of an unknown input");
    return append({.kind = KernelValue::Kind::load, .dtype = inputs_[input].dtype, .index = input});
}

int Kernel::param(int index) {
    KILN_CHECK(index >= 0 && index < static_cast<int>(params_.size()), "kernel read of an unknown parameter");
    return append({.kind = KernelValue::Kind::param, .dtype = params_[index], .index = index});
}

int Kernel::literal(DType dtype, double real, std::int64_t integer) {
    return append({.kind = KernelValue::Kind::literal, .dtype = dtype, .real = real, .integer = integer});
}

int Kernel::cast(int value, DType dtype) {
    KILN_CHECK(value >= 0 && value < static_cast<int>(values_.size()), "kernel cast of an unknown value");
    if (values_[value].dtype == dtype) return value;
    return append({.kind = KernelValue::Kind::cast, .dtype = dtype, .operands = {value}});
}

namespace {

// Scalar-op definitions written as kernel IR, computing in `dtype`.
struct KernelAlgebra {
    using Value = int;
    Kernel& kernel;
    DType dtype;
    int apply(ScalarOp op, std::initializer_list<int> operands) {
        std::vector<DType> dtypes;
        for (int operand : operands) dtypes.push_back(kernel.values()[static_cast<std::size_t>(operand)].dtype);
        return kernel.apply(op, operands, scalar_op_result(op, dtypes, dtype));
    }
    int constant(double value) { return kernel.literal(dtype, value, static_cast<std::int64_t>(value)); }
};

} // namespace

int Kernel::apply(ScalarOp op, const std::vector<int>& operands, DType result) {
    std::vector<DType> dtypes;
    for (int operand : operands) {
        KILN_CHECK(operand >= 0 && operand < static_cast<int>(values_.size()), "kernel op on an unknown value");
        dtypes.push_back(values_[operand].dtype);
    }
    const DType compute = scalar_op_compute_dtype(op, dtypes, result);
    std::vector<int> converted;
    for (std::size_t i = 0; i < operands.size(); ++i)
        converted.push_back(cast(operands[i], scalar_op_operand_dtype(op, i, compute)));
    // An op defined by other scalar ops becomes those ops: no backend lowers it.
    KernelAlgebra algebra{*this, compute};
    if (const std::optional<int> expanded = expand_scalar_op(op, algebra, std::span<const int>(converted)))
        return cast(*expanded, result);
    return append({.kind = KernelValue::Kind::op, .dtype = result, .op = op, .operands = std::move(converted)});
}

int Kernel::row_reduce(int value, ReduceKind kind) {
    KILN_CHECK(value >= 0 && value < static_cast<int>(values_.size()), "kernel row reduction of an unknown value");
    KILN_CHECK(!reduction(), "a reduction kernel has no row reductions");
    row_reductions_.push_back({value, kind});
    return append({.kind = KernelValue::Kind::row_result,
                   .dtype = values_[value].dtype,
                   .index = static_cast<int>(row_reductions_.size()) - 1});
}

int Kernel::row_index(int value) {
    KILN_CHECK(value >= 0 && value < static_cast<int>(values_.size()) && !is_float(values_[value].dtype) &&
                   values_[value].dtype != DType::bool_,
               "a kernel row index needs an integer value");
    return append({.kind = KernelValue::Kind::row_index, .dtype = DType::int64, .operands = {value}});
}

int Kernel::row_gather(int input, int row_index) {
    KILN_CHECK(input >= 0 && input < static_cast<int>(inputs_.size()), "kernel gather from an unknown input");
    KILN_CHECK(row_index >= 0 && row_index < static_cast<int>(values_.size()) &&
                   values_[row_index].kind == KernelValue::Kind::row_index,
               "a kernel gather reads at a row index");
    return append({.kind = KernelValue::Kind::row_gather, .dtype = inputs_[input].dtype, .index = input,
                   .operands = {row_index}});
}

int Kernel::position() { return append({.kind = KernelValue::Kind::position, .dtype = DType::int64}); }

void Kernel::add_output(int value) {
    KILN_CHECK(value >= 0 && value < static_cast<int>(values_.size()), "kernel output of an unknown value");
    KILN_CHECK(!reduction(), "a reduction kernel has one output");
    outputs_.push_back({values_[value].dtype, value, std::nullopt});
}

void Kernel::add_reduction(int value, ReduceKind kind) {
    KILN_CHECK(value >= 0 && value < static_cast<int>(values_.size()), "kernel reduction of an unknown value");
    KILN_CHECK(outputs_.empty() && row_reductions_.empty(), "a reduction kernel has one output and no row reductions");
    outputs_.push_back({values_[value].dtype, value, kind});
}

namespace {

std::string literal_text(const KernelValue& value) {
    if (!is_float(value.dtype)) return std::to_string(value.integer);
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.17g", value.real);
    return buffer;
}

} // namespace

std::string Kernel::text() const {
    std::string out = "kernel(";
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
        out += (i > 0 ? ", in" : "in") + std::to_string(i) + ": " + std::string(dtype_name(inputs_[i].dtype));
        if (inputs_[i].broadcast_inner) out += " broadcast";
    }
    for (std::size_t i = 0; i < params_.size(); ++i)
        out += (i + inputs_.size() > 0 ? ", p" : "p") + std::to_string(i) + ": " + std::string(dtype_name(params_[i]));
    out += ") -> (";
    for (std::size_t i = 0; i < outputs_.size(); ++i)
        out += (i > 0 ? ", " : "") + std::string(dtype_name(outputs_[i].dtype));
    out += ")\n";
    for (std::size_t v = 0; v < values_.size(); ++v) {
        const KernelValue& value = values_[v];
        out += "  %" + std::to_string(v) + " = ";
        switch (value.kind) {
        case KernelValue::Kind::load: out += "load in" + std::to_string(value.index); break;
        case KernelValue::Kind::param: out += "param p" + std::to_string(value.index); break;
        case KernelValue::Kind::literal: out += "literal " + literal_text(value); break;
        case KernelValue::Kind::cast: out += "cast %" + std::to_string(value.operands[0]); break;
        case KernelValue::Kind::row_index: out += "row_index %" + std::to_string(value.operands[0]); break;
        case KernelValue::Kind::row_gather:
            out += "row_gather in" + std::to_string(value.index) + "[%" + std::to_string(value.operands[0]) + "]";
            break;
        case KernelValue::Kind::position: out += "position"; break;
        case KernelValue::Kind::row_result: {
            const RowReduction& row = row_reductions_[static_cast<std::size_t>(value.index)];
            out += "row_" + std::string(reduce_kind_name(row.kind)) + " %" + std::to_string(row.value);
            break;
        }
        case KernelValue::Kind::op:
            out += std::string(scalar_op_info(value.op).name);
            for (std::size_t k = 0; k < value.operands.size(); ++k)
                out += (k > 0 ? ", %" : " %") + std::to_string(value.operands[k]);
            break;
        }
        out += " : " + std::string(dtype_name(value.dtype)) + "\n";
    }
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
        const auto& reduction = outputs_[i].reduction;
        out += "  " + (reduction ? "reduce_" + std::string(reduce_kind_name(*reduction)) : std::string("store")) +
               " out" + std::to_string(i) + ", %" + std::to_string(outputs_[i].value) + "\n";
    }
    return out;
}

Hash128 Kernel::key() const {
    const std::string canonical = text();
    return hash_bytes(canonical.data(), canonical.size());
}

} // namespace kiln
