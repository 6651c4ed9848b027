// kiln's expression syntax: a graph written in one line of Python-like text,
// for the command line and for tests.
//
//   x: f64[:,:]; y: f64[:]; out = sum(exp(x) * y, axis=1)
//
// Declarations `name: dtype[dims]` make inputs: the dtype is a NumPy name
// (float64), a short one (f64, f32, i32, u8, b) or floatX; each dim is ':'
// or 1 for a broadcastable dimension (`f64[1,:]` is a row, `f32[]` a
// scalar). Assignments `name = expression` (or `a, b = expression` for a
// list) follow, separated by ';' or newlines; the last statement, an
// assignment or a bare expression, gives the outputs (an unnamed output
// takes the name it was assigned to).
//
// Expressions follow Python: operators with Python's precedence (** + - * /
// // % @ & | ^ ~ < <= > >= == !=; == and != compare elementwise), numbers
// as literals with Theano's autocasting, lists, strings, calls with keyword
// arguments (sum(x, axis=1, keepdims=True)), attributes .T .shape .ndim
// .dtype, methods (x.sum(axis=0), x.reshape(2, -1), x.dimshuffle('x', 0)),
// and NumPy indexing (x[0], x[1:-1], x[::-1, i], lp[arange(n), y]).
// expression_functions() lists every function.
#pragma once

#include "parsed_graph.hpp"

#include "../api/arg.hpp"
#include "../api/var.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kiln {

/// Parses and builds the graph (its inputs are the declarations, in order;
/// it has no updates). Throws kiln::SyntaxError (with line and
/// column) for text that is not the syntax; errors the API raises while
/// building (a wrong axis, mismatched dtypes) keep their type and gain the
/// line and column of the call.
ParsedGraph parse_expression(std::string_view source);

/// A Python literal (a number, True/False, nan, inf, or nested lists of
/// them, arithmetic on numbers allowed: "[[1, 2], [3, -4.5]]") as the Arg
/// C++ braces would give, so it converts to an input by the same exact
/// rules. Throws SyntaxError, or TypeError for anything but numbers.
Arg parse_literal(std::string_view text);

/// Every function of the syntax with its signature, one per line; methods
/// marked.
std::string expression_functions();

} // namespace kiln
