// Typed symbol constructors with Theano's names: dscalar, imatrix, fvector,
// ... (prefix b/w/i/l/f/d for int8/int16/int32/int64/float32/float64), the
// floatX ones (scalar, vector, matrix, ...) and the plurals (dscalars("x", "y")).
//
// As in Theano, `dscalar` is a type: it prints as TensorType(float64, scalar),
// compares equal to x.type(), and calling it makes a new variable.
#pragma once

#include "var.hpp"

#include <array>
#include <string>

namespace kiln {

/// A new input variable of the given type (Theano's TensorType.__call__).
Var make_variable(const TensorType& type, std::string name = {});
/// A new input variable from a dtype and broadcastable pattern.
Var tensor(DType dtype, std::vector<bool> broadcastable, std::string name = {});

class TypedConstructor {
public:
    TypedConstructor(DType dtype, std::vector<bool> broadcastable) : type_(dtype, std::move(broadcastable)) {}
    Var operator()(std::string name = {}) const { return make_variable(type_, std::move(name)); }
    operator const TensorType&() const { return type_; }
    const TensorType& type() const { return type_; }

private:
    TensorType type_;
};

/// The un-prefixed constructors: the dtype is config().floatX() at the call.
class FloatXConstructor {
public:
    explicit FloatXConstructor(std::vector<bool> broadcastable) : broadcastable_(std::move(broadcastable)) {}
    Var operator()(std::string name = {}) const { return make_variable(type(), std::move(name)); }
    /// Theano's T.matrix("x", dtype="int32"): this shape with another dtype.
    Var operator()(std::string name, DType dtype) const;
    /// The dtype by name: "int32", "float32", "floatX", ...
    Var operator()(std::string name, std::string_view dtype) const;
    /// T.matrix(dtype=...): unnamed.
    Var operator()(DType dtype) const { return (*this)(std::string(), dtype); }
    operator TensorType() const { return type(); }
    TensorType type() const;

private:
    std::vector<bool> broadcastable_;
};

/// dscalars("x", "y") gives two dscalars; use with structured bindings.
template <class Constructor> class PluralConstructor {
public:
    explicit PluralConstructor(const Constructor& single) : single_(single) {}
    template <class... Names> std::array<Var, sizeof...(Names)> operator()(Names&&... names) const {
        return {single_(std::string(std::forward<Names>(names)))...};
    }

private:
    const Constructor& single_;
};

std::ostream& operator<<(std::ostream& os, const TypedConstructor& constructor);
std::ostream& operator<<(std::ostream& os, const FloatXConstructor& constructor);

#define KILN_DECLARE_CONSTRUCTORS(prefix, dtype)                                              \
    inline const TypedConstructor prefix##scalar{dtype, {}};                                  \
    inline const TypedConstructor prefix##vector{dtype, {false}};                             \
    inline const TypedConstructor prefix##row{dtype, {true, false}};                          \
    inline const TypedConstructor prefix##col{dtype, {false, true}};                          \
    inline const TypedConstructor prefix##matrix{dtype, {false, false}};                      \
    inline const TypedConstructor prefix##tensor3{dtype, {false, false, false}};              \
    inline const TypedConstructor prefix##tensor4{dtype, {false, false, false, false}};       \
    inline const PluralConstructor<TypedConstructor> prefix##scalars{prefix##scalar};         \
    inline const PluralConstructor<TypedConstructor> prefix##vectors{prefix##vector};         \
    inline const PluralConstructor<TypedConstructor> prefix##rows{prefix##row};               \
    inline const PluralConstructor<TypedConstructor> prefix##cols{prefix##col};               \
    inline const PluralConstructor<TypedConstructor> prefix##matrices{prefix##matrix};        \
    inline const PluralConstructor<TypedConstructor> prefix##tensor3s{prefix##tensor3};       \
    inline const PluralConstructor<TypedConstructor> prefix##tensor4s{prefix##tensor4};

KILN_DECLARE_CONSTRUCTORS(b, DType::int8)
KILN_DECLARE_CONSTRUCTORS(w, DType::int16)
KILN_DECLARE_CONSTRUCTORS(i, DType::int32)
KILN_DECLARE_CONSTRUCTORS(l, DType::int64)
KILN_DECLARE_CONSTRUCTORS(f, DType::float32)
KILN_DECLARE_CONSTRUCTORS(d, DType::float64)
#undef KILN_DECLARE_CONSTRUCTORS

inline const FloatXConstructor scalar{{}};
inline const FloatXConstructor vector{{false}};
inline const FloatXConstructor row{{true, false}};
inline const FloatXConstructor col{{false, true}};
inline const FloatXConstructor matrix{{false, false}};
inline const FloatXConstructor tensor3{{false, false, false}};
inline const FloatXConstructor tensor4{{false, false, false, false}};
inline const PluralConstructor<FloatXConstructor> scalars{scalar};
inline const PluralConstructor<FloatXConstructor> vectors{vector};
inline const PluralConstructor<FloatXConstructor> rows{row};
inline const PluralConstructor<FloatXConstructor> cols{col};
inline const PluralConstructor<FloatXConstructor> matrices{matrix};
inline const PluralConstructor<FloatXConstructor> tensor3s{tensor3};
inline const PluralConstructor<FloatXConstructor> tensor4s{tensor4};

} // namespace kiln
