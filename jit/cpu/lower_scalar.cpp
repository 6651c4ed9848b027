// Kernel IR to LLVM IR: scalar expressions. Conversions between dtypes,
// each scalar op on floats (LLVM intrinsics, or libm calls marked pure so the
// vectorizer may map them to vector variants) and on integers (wrapping like
// the interpreter), and a reduction's combining and identity.
#include "loop_lowering.hpp"

#include "../../ir/errors.hpp"

namespace kiln::jit {

using S = ScalarOp;

Value* LoopLowering::combine(ReduceKind kind, DType dtype, Value* a, Value* b, bool reassociate) {
    auto& builder = builder_;
    using K = ReduceKind;
    if (dtype == DType::bool_) {
        const bool conjunction = kind == K::all || kind == K::prod || kind == K::min;
        return conjunction ? builder.CreateAnd(a, b) : builder.CreateOr(a, b);
    }
    if (is_float(dtype)) {
        Value* result = nullptr;
        switch (kind) {
        case K::sum: result = builder.CreateFAdd(a, b); break;
        case K::prod: result = builder.CreateFMul(a, b); break;
        // NaN-propagating, as NumPy's max and min.
        case K::max: return builder.CreateBinaryIntrinsic(llvm::Intrinsic::maximum, a, b);
        case K::min: return builder.CreateBinaryIntrinsic(llvm::Intrinsic::minimum, a, b);
        case K::all:
        case K::any: break;
        }
        KILN_CHECK(result != nullptr, "no float lowering for reduction " + std::string(reduce_kind_name(kind)));
        if (reassociate) llvm::cast<llvm::Instruction>(result)->setHasAllowReassoc(true);
        return result;
    }
    const bool is_signed = is_signed_int(dtype);
    switch (kind) {
    case K::sum: return builder.CreateAdd(a, b);
    case K::prod: return builder.CreateMul(a, b);
    case K::max: return builder.CreateBinaryIntrinsic(is_signed ? llvm::Intrinsic::smax : llvm::Intrinsic::umax, a, b);
    case K::min: return builder.CreateBinaryIntrinsic(is_signed ? llvm::Intrinsic::smin : llvm::Intrinsic::umin, a, b);
    case K::all:
    case K::any: break;
    }
    KILN_CHECK(false, "no integer lowering for reduction " + std::string(reduce_kind_name(kind)));
}

Value* LoopLowering::identity(ReduceKind kind, DType dtype) {
    return visit_dtype(dtype, [&](auto tag) -> Value* {
        using T = decltype(tag);
        const T value = reduce_identity<T>(kind);
        if constexpr (std::is_same_v<T, bool>) return builder_.getInt1(value);
        else if constexpr (std::is_floating_point_v<T>) return float_constant(dtype, static_cast<double>(value));
        else return llvm::ConstantInt::get(register_type(dtype), static_cast<std::uint64_t>(value), std::is_signed_v<T>);
    });
}

Value* LoopLowering::convert(Value* x, DType from, DType to) {
    if (from == to) return x;
    llvm::Type* target = register_type(to);
    if (to == DType::bool_) {
        if (is_float(from)) return builder_.CreateFCmpUNE(x, llvm::ConstantFP::get(x->getType(), 0.0));
        return builder_.CreateICmpNE(x, llvm::ConstantInt::get(x->getType(), 0));
    }
    if (from == DType::bool_) return is_float(to) ? builder_.CreateUIToFP(x, target) : builder_.CreateZExt(x, target);
    if (is_float(from) && is_float(to)) return builder_.CreateFPCast(x, target);
    if (is_float(from)) {
        // Saturating, so out-of-range values give a defined result.
        const auto id = is_signed_int(to) ? llvm::Intrinsic::fptosi_sat : llvm::Intrinsic::fptoui_sat;
        return builder_.CreateIntrinsic(id, {target, x->getType()}, {x});
    }
    if (is_float(to)) return is_signed_int(from) ? builder_.CreateSIToFP(x, target) : builder_.CreateUIToFP(x, target);
    return builder_.CreateIntCast(x, target, is_signed_int(from));
}

Value* LoopLowering::libm(const char* name, DType dtype, const std::vector<Value*>& arguments) {
    const std::string symbol = std::string(name) + (dtype == DType::float32 ? "f" : "");
    llvm::Type* type = register_type(dtype);
    std::vector<llvm::Type*> parameter_types(arguments.size(), type);
    llvm::FunctionCallee callee =
        module_.getOrInsertFunction(symbol, llvm::FunctionType::get(type, parameter_types, false));
    auto* function = llvm::cast<llvm::Function>(callee.getCallee());
    // Pure: this is what lets the vectorizer call a vector variant.
    function->setDoesNotAccessMemory();
    function->setDoesNotThrow();
    function->addFnAttr(llvm::Attribute::WillReturn);
    ++math_calls_;
    llvm::CallInst* call = builder_.CreateCall(callee, arguments);
    call->setDoesNotAccessMemory();
    return call;
}

Value* LoopLowering::apply_float(ScalarOp op, DType dtype, const std::vector<Value*>& x) {
    auto& b = builder_;
    auto zero = [&] { return float_constant(dtype, 0.0); };
    auto one = [&] { return float_constant(dtype, 1.0); };
    switch (op) {
    case S::add: return b.CreateFAdd(x[0], x[1]);
    case S::sub: return b.CreateFSub(x[0], x[1]);
    case S::mul: return b.CreateFMul(x[0], x[1]);
    case S::true_div: return b.CreateFDiv(x[0], x[1]);
    case S::int_div: {
        // Python's floor division, as the interpreter computes it.
        Value* mod = b.CreateFRem(x[0], x[1]);
        Value* div = b.CreateFDiv(b.CreateFSub(x[0], mod), x[1]);
        Value* signs_differ = b.CreateICmpNE(b.CreateFCmpOLT(x[1], zero()), b.CreateFCmpOLT(mod, zero()));
        Value* adjust = b.CreateAnd(b.CreateFCmpUNE(mod, zero()), signs_differ);
        div = b.CreateSelect(adjust, b.CreateFSub(div, one()), div);
        Value* floored = unary(llvm::Intrinsic::floor, div);
        Value* round_up = b.CreateFCmpOGT(b.CreateFSub(div, floored), float_constant(dtype, 0.5));
        floored = b.CreateSelect(round_up, b.CreateFAdd(floored, one()), floored);
        Value* quotient = b.CreateFDiv(x[0], x[1]);
        Value* signed_zero = b.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, zero(), quotient);
        Value* result = b.CreateSelect(b.CreateFCmpOEQ(div, zero()), signed_zero, floored);
        return b.CreateSelect(b.CreateFCmpOEQ(x[1], zero()), quotient, result);
    }
    case S::mod: {
        Value* mod = b.CreateFRem(x[0], x[1]);
        Value* signs_differ = b.CreateICmpNE(b.CreateFCmpOLT(x[1], zero()), b.CreateFCmpOLT(mod, zero()));
        Value* adjusted = b.CreateSelect(signs_differ, b.CreateFAdd(mod, x[1]), mod);
        Value* signed_zero = b.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, zero(), x[1]);
        Value* result = b.CreateSelect(b.CreateFCmpUNE(mod, zero()), adjusted, signed_zero);
        return b.CreateSelect(b.CreateFCmpOEQ(x[1], zero()), mod, result);
    }
    case S::pow:
        ++math_calls_;
        return b.CreateBinaryIntrinsic(llvm::Intrinsic::pow, x[0], x[1]);
    case S::neg: return b.CreateFNeg(x[0]);
    case S::abs: return unary(llvm::Intrinsic::fabs, x[0]);
    case S::sign: {
        Value* s = b.CreateSelect(b.CreateFCmpOGT(x[0], zero()), one(),
                                  b.CreateSelect(b.CreateFCmpOLT(x[0], zero()), float_constant(dtype, -1.0), zero()));
        return b.CreateSelect(b.CreateFCmpUNO(x[0], x[0]), x[0], s);
    }
    case S::sqr: return b.CreateFMul(x[0], x[0]);
    case S::inv: return b.CreateFDiv(one(), x[0]);
    case S::maximum:
    case S::minimum: {
        // NaN wins; otherwise the interpreter's a < b ? b : a (and its mirror).
        Value* chosen = op == S::maximum ? b.CreateSelect(b.CreateFCmpOLT(x[0], x[1]), x[1], x[0])
                                         : b.CreateSelect(b.CreateFCmpOLT(x[1], x[0]), x[1], x[0]);
        return b.CreateSelect(b.CreateFCmpUNO(x[0], x[1]), b.CreateFAdd(x[0], x[1]), chosen);
    }
    case S::exp: return unary(llvm::Intrinsic::exp, x[0]);
    case S::exp2: return unary(llvm::Intrinsic::exp2, x[0]);
    case S::expm1: return libm("expm1", dtype, x);
    case S::log: return unary(llvm::Intrinsic::log, x[0]);
    case S::log2: return unary(llvm::Intrinsic::log2, x[0]);
    case S::log10: return unary(llvm::Intrinsic::log10, x[0]);
    case S::log1p: return libm("log1p", dtype, x);
    case S::sqrt: return unary(llvm::Intrinsic::sqrt, x[0]);
    case S::sin: return unary(llvm::Intrinsic::sin, x[0]);
    case S::cos: return unary(llvm::Intrinsic::cos, x[0]);
    case S::tan: return libm("tan", dtype, x);
    case S::arcsin: return libm("asin", dtype, x);
    case S::arccos: return libm("acos", dtype, x);
    case S::arctan: return libm("atan", dtype, x);
    case S::arctan2: return libm("atan2", dtype, x);
    case S::sinh: return libm("sinh", dtype, x);
    case S::cosh: return libm("cosh", dtype, x);
    case S::tanh: return libm("tanh", dtype, x);
    case S::sigmoid: {
        // exp of -|x| never overflows: 1/(1+e) for x >= 0, e/(1+e) below.
        Value* e = unary(llvm::Intrinsic::exp, b.CreateFNeg(unary(llvm::Intrinsic::fabs, x[0])));
        Value* denominator = b.CreateFAdd(one(), e);
        return b.CreateSelect(b.CreateFCmpOGE(x[0], zero()), b.CreateFDiv(one(), denominator),
                              b.CreateFDiv(e, denominator));
    }
    case S::softplus: {
        // log(1 + exp(x)) by ranges, as the interpreter computes it.
        Value* e = unary(llvm::Intrinsic::exp, x[0]);
        Value* middle = libm("log1p", dtype, {e});
        Value* upper = b.CreateFAdd(x[0], unary(llvm::Intrinsic::exp, b.CreateFNeg(x[0])));
        Value* result = b.CreateSelect(b.CreateFCmpOLT(x[0], float_constant(dtype, 33.3)), upper, x[0]);
        result = b.CreateSelect(b.CreateFCmpOLT(x[0], float_constant(dtype, 18.0)), middle, result);
        return b.CreateSelect(b.CreateFCmpOLT(x[0], float_constant(dtype, -37.0)), e, result);
    }
    case S::erf: return libm("erf", dtype, x);
    case S::erfc: return libm("erfc", dtype, x);
    case S::floor: return unary(llvm::Intrinsic::floor, x[0]);
    case S::ceil: return unary(llvm::Intrinsic::ceil, x[0]);
    case S::round_half_to_even: return unary(llvm::Intrinsic::roundeven, x[0]);
    case S::trunc: return unary(llvm::Intrinsic::trunc, x[0]);
    case S::lt: return b.CreateFCmpOLT(x[0], x[1]);
    case S::gt: return b.CreateFCmpOGT(x[0], x[1]);
    case S::le: return b.CreateFCmpOLE(x[0], x[1]);
    case S::ge: return b.CreateFCmpOGE(x[0], x[1]);
    case S::eq: return b.CreateFCmpOEQ(x[0], x[1]);
    case S::neq: return b.CreateFCmpUNE(x[0], x[1]);
    case S::isnan: return b.CreateFCmpUNO(x[0], x[0]);
    case S::isinf:
        return b.CreateFCmpOEQ(unary(llvm::Intrinsic::fabs, x[0]),
                               llvm::ConstantFP::getInfinity(register_type(dtype)));
    case S::second: return x[1];
    case S::where: return b.CreateSelect(x[0], x[1], x[2]);
    case S::clip: {
        Value* capped = b.CreateSelect(b.CreateFCmpOLT(x[2], x[0]), x[2], x[0]);
        return b.CreateSelect(b.CreateFCmpOLT(x[0], x[1]), x[1], capped);
    }
    default: break;
    }
    KILN_CHECK(false, "no float lowering for scalar op " + std::string(scalar_op_info(op).name));
}

// By squaring over every exponent bit, without branches, so it vectorizes;
// wraps like the interpreter. The caller handles negative exponents.
Value* LoopLowering::integer_pow(DType dtype, Value* base, Value* exponent) {
    auto& b = builder_;
    llvm::Type* type = register_type(dtype);
    const unsigned bits = type->getIntegerBitWidth();
    Value* result = llvm::ConstantInt::get(type, 1);
    for (unsigned k = 0; k < bits; ++k) {
        Value* bit = b.CreateTrunc(b.CreateLShr(exponent, k), b.getInt1Ty());
        result = b.CreateSelect(bit, b.CreateMul(result, base), result);
        if (k + 1 < bits) base = b.CreateMul(base, base);
    }
    return result;
}

Value* LoopLowering::apply_integer(ScalarOp op, DType dtype, const std::vector<Value*>& x) {
    auto& b = builder_;
    const bool is_signed = is_signed_int(dtype);
    const bool is_bool = dtype == DType::bool_;
    llvm::Type* type = register_type(dtype);
    auto constant = [&](std::int64_t v) { return llvm::ConstantInt::get(type, static_cast<std::uint64_t>(v), true); };
    switch (op) {
    case S::add: return is_bool ? b.CreateOr(x[0], x[1]) : b.CreateAdd(x[0], x[1]);
    case S::sub: return b.CreateSub(x[0], x[1]);
    case S::mul: return is_bool ? b.CreateAnd(x[0], x[1]) : b.CreateMul(x[0], x[1]);
    case S::int_div:
    case S::mod: {
        Value* zero_divisor = note_division(b.CreateICmpEQ(x[1], constant(0)));
        Value* divisor = b.CreateSelect(zero_divisor, constant(1), x[1]);
        if (!is_signed) return op == S::int_div ? b.CreateUDiv(x[0], divisor) : b.CreateURem(x[0], divisor);
        // x / -1 overflows for the most negative value: take it apart.
        Value* minus_one = b.CreateICmpEQ(divisor, constant(-1));
        divisor = b.CreateSelect(minus_one, constant(1), divisor);
        Value* remainder = b.CreateSRem(x[0], divisor);
        Value* signs_differ = b.CreateICmpSLT(b.CreateXor(remainder, x[1]), constant(0));
        Value* adjust = b.CreateAnd(b.CreateICmpNE(remainder, constant(0)), signs_differ);
        if (op == S::mod) {
            Value* mod = b.CreateSelect(adjust, b.CreateAdd(remainder, x[1]), remainder);
            return b.CreateSelect(minus_one, constant(0), mod);
        }
        Value* quotient = b.CreateSDiv(x[0], divisor);
        quotient = b.CreateSelect(adjust, b.CreateSub(quotient, constant(1)), quotient);
        return b.CreateSelect(minus_one, b.CreateSub(constant(0), x[0]), quotient);
    }
    case S::pow: {
        Value* power = integer_pow(dtype, x[0], x[1]);
        if (!is_signed) return power;
        Value* odd = b.CreateTrunc(x[1], b.getInt1Ty());
        Value* negative_result =
            b.CreateSelect(b.CreateICmpEQ(x[0], constant(1)), constant(1),
                           b.CreateSelect(b.CreateICmpEQ(x[0], constant(-1)),
                                          b.CreateSelect(odd, constant(-1), constant(1)), constant(0)));
        return b.CreateSelect(b.CreateICmpSLT(x[1], constant(0)), negative_result, power);
    }
    case S::neg: return b.CreateSub(constant(0), x[0]);
    case S::abs:
        if (!is_signed) return x[0];
        return b.CreateSelect(b.CreateICmpSLT(x[0], constant(0)), b.CreateSub(constant(0), x[0]), x[0]);
    case S::sign:
        if (is_bool) return x[0];
        return b.CreateSelect(is_signed ? b.CreateICmpSGT(x[0], constant(0)) : b.CreateICmpUGT(x[0], constant(0)),
                              constant(1),
                              b.CreateSelect(is_signed ? b.CreateICmpSLT(x[0], constant(0)) : b.getFalse(),
                                             constant(-1), constant(0)));
    case S::sqr: return is_bool ? x[0] : b.CreateMul(x[0], x[0]);
    case S::maximum:
        if (is_bool) return b.CreateOr(x[0], x[1]);
        return b.CreateSelect(is_signed ? b.CreateICmpSLT(x[0], x[1]) : b.CreateICmpULT(x[0], x[1]), x[1], x[0]);
    case S::minimum:
        if (is_bool) return b.CreateAnd(x[0], x[1]);
        return b.CreateSelect(is_signed ? b.CreateICmpSLT(x[1], x[0]) : b.CreateICmpULT(x[1], x[0]), x[1], x[0]);
    case S::lt: return is_signed ? b.CreateICmpSLT(x[0], x[1]) : b.CreateICmpULT(x[0], x[1]);
    case S::gt: return is_signed ? b.CreateICmpSGT(x[0], x[1]) : b.CreateICmpUGT(x[0], x[1]);
    case S::le: return is_signed ? b.CreateICmpSLE(x[0], x[1]) : b.CreateICmpULE(x[0], x[1]);
    case S::ge: return is_signed ? b.CreateICmpSGE(x[0], x[1]) : b.CreateICmpUGE(x[0], x[1]);
    case S::eq: return b.CreateICmpEQ(x[0], x[1]);
    case S::neq: return b.CreateICmpNE(x[0], x[1]);
    case S::isnan:
    case S::isinf: return b.getFalse();
    case S::and_: return b.CreateAnd(x[0], x[1]);
    case S::or_: return b.CreateOr(x[0], x[1]);
    case S::xor_: return b.CreateXor(x[0], x[1]);
    case S::invert: return b.CreateNot(x[0]);
    case S::second: return x[1];
    case S::where: return b.CreateSelect(x[0], x[1], x[2]);
    case S::clip: {
        auto less = [&](Value* p, Value* q) { return is_signed ? b.CreateICmpSLT(p, q) : b.CreateICmpULT(p, q); };
        Value* capped = b.CreateSelect(less(x[2], x[0]), x[2], x[0]);
        return b.CreateSelect(less(x[0], x[1]), x[1], capped);
    }
    default: break;
    }
    KILN_CHECK(false, "no integer lowering for scalar op " + std::string(scalar_op_info(op).name));
}

Value* LoopLowering::apply(const KernelValue& value, const std::vector<Value*>& operands) {
    const KernelValue& first = kernel_.values()[value.operands[value.op == S::where ? 1 : 0]];
    const DType compute = first.dtype;
    return is_float(compute) ? apply_float(value.op, compute, operands) : apply_integer(value.op, compute, operands);
}

} // namespace kiln::jit
