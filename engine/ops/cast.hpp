// Cast: element-by-element conversion to another dtype.
#pragma once

#include "../api/var.hpp"

namespace kiln {

class Cast : public Op {
public:
    explicit Cast(DType dtype) : dtype_(dtype) {}
    DType dtype() const { return dtype_; }

    std::string kind() const override { return "Cast"; }
    std::string params() const override { return std::string(dtype_name(dtype_)); }
    std::string name() const override { return "Elemwise{Cast{" + params() + "}}"; }
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;

private:
    DType dtype_;
};

} // namespace kiln
