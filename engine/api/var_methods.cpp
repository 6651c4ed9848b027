// Var's methods with Theano's names: each is the free function of the same
// name (engine/ops), so the two spellings build the same graph.
#include "var.hpp"

#include "config.hpp"
#include "operators.hpp"

#include "../ops/cast.hpp"
#include "../ops/dimshuffle.hpp"
#include "../ops/dot.hpp"
#include "../ops/layout.hpp"
#include "../ops/math.hpp"
#include "../ops/reduce.hpp"
#include "../ops/shape.hpp"

#include "../../ir/errors.hpp"

namespace kiln {

ShuffleEntry::ShuffleEntry(const char* name) : axis_(DimShuffle::new_axis) {
    if (std::string_view(name) != "x")
        throw ValueError(std::string("dimshuffle(): pattern entry \"") + name +
                         "\" is neither an axis nor \"x\" (a new broadcastable axis)");
}

Var Var::shape() const { return kiln::shape(*this); }
Var Var::T() const { return kiln::transpose(*this); }
Var Var::transpose() const { return kiln::transpose(*this); }
Var Var::transpose(const std::vector<int>& axes) const { return kiln::transpose(*this, axes); }
Var Var::dimshuffle(std::initializer_list<ShuffleEntry> pattern) const { return kiln::dimshuffle(*this, pattern); }
Var Var::reshape(const std::vector<Operand>& shape) const { return kiln::reshape(*this, shape); }
Var Var::flatten(int ndim) const { return kiln::flatten(*this, ndim); }
Var Var::squeeze() const { return kiln::squeeze(*this); }
Var Var::repeat(int repeats, int axis) const { return kiln::repeat(*this, repeats, axis); }
Var Var::astype(DType dtype) const { return kiln::cast(*this, dtype); }
Var Var::astype(std::string_view dtype) const { return kiln::cast(*this, dtype_named(dtype, "astype()")); }
Var Var::clip(const Operand& low, const Operand& high) const { return kiln::clip(*this, low, high); }
Var Var::dot(const Var& other) const { return kiln::dot(*this, other); }
Var Var::sum(const Axes& axis, bool keepdims) const { return kiln::sum(*this, axis, keepdims); }
Var Var::prod(const Axes& axis, bool keepdims) const { return kiln::prod(*this, axis, keepdims); }
Var Var::mean(const Axes& axis, bool keepdims) const { return kiln::mean(*this, axis, keepdims); }
Var Var::max(const Axes& axis, bool keepdims) const { return kiln::max(*this, axis, keepdims); }
Var Var::min(const Axes& axis, bool keepdims) const { return kiln::min(*this, axis, keepdims); }
Var Var::all(const Axes& axis, bool keepdims) const { return kiln::all(*this, axis, keepdims); }
Var Var::any(const Axes& axis, bool keepdims) const { return kiln::any(*this, axis, keepdims); }
Var Var::var(const Axes& axis, bool keepdims, int ddof) const { return kiln::var(*this, axis, keepdims, ddof); }
Var Var::std(const Axes& axis, bool keepdims, int ddof) const { return kiln::std(*this, axis, keepdims, ddof); }
Var Var::argmax(std::optional<int> axis, bool keepdims) const { return kiln::argmax(*this, axis, keepdims); }
Var Var::argmin(std::optional<int> axis, bool keepdims) const { return kiln::argmin(*this, axis, keepdims); }

} // namespace kiln
