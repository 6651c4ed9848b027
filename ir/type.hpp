// TensorType: the static type of a symbolic tensor, a dtype plus one flag per
// dimension saying "this dimension is known to be 1 and may broadcast".
#pragma once

#include "dtype.hpp"

#include <string>
#include <vector>

namespace kiln {

class TensorType {
public:
    TensorType(DType dtype, std::vector<bool> broadcastable)
        : dtype_(dtype), broadcastable_(std::move(broadcastable)) {}

    DType dtype() const { return dtype_; }
    const std::vector<bool>& broadcastable() const { return broadcastable_; }
    int ndim() const { return static_cast<int>(broadcastable_.size()); }

    TensorType with_dtype(DType dtype) const { return TensorType(dtype, broadcastable_); }

    bool operator==(const TensorType& other) const = default;

    /// Theano's form: "TensorType(float64, matrix)", "TensorType(int32, 3D)",
    /// "TensorType(float64, (False, True, False))".
    std::string str() const;
    /// The short form used in error messages: "float64 matrix", "int32 3-d tensor".
    std::string describe() const;

private:
    DType dtype_;
    std::vector<bool> broadcastable_;
};

std::ostream& operator<<(std::ostream& os, const TensorType& type);

} // namespace kiln
