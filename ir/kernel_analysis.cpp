#include "kernel_analysis.hpp"

namespace kiln {

bool can_stream_stores(const Kernel& kernel) {
    const auto& outputs = kernel.outputs();
    if (kernel.reduction() || kernel.row_kernel() || outputs.empty()) return false;
    for (const KernelOutput& output : outputs)
        if (dtype_size(output.dtype) != dtype_size(outputs[0].dtype)) return false;
    return true;
}

bool calls_math_functions(const Kernel& kernel) {
    for (const KernelValue& value : kernel.values()) {
        if (value.kind != KernelValue::Kind::op) continue;
        if (scalar_op_info(value.op).math_function ||
            (value.op == ScalarOp::pow && is_float(kernel.values()[value.operands[0]].dtype)))
            return true;
    }
    return false;
}

bool can_report_errors(const Kernel& kernel) {
    for (const KernelValue& value : kernel.values()) {
        if (value.kind == KernelValue::Kind::row_index) return true;
        const bool division = value.kind == KernelValue::Kind::op &&
                              (value.op == ScalarOp::int_div || value.op == ScalarOp::mod);
        if (division && !is_float(kernel.values()[value.operands[1]].dtype)) return true;
    }
    return false;
}

} // namespace kiln
