// kiln's graph text format: any graph written out op by op, and read back
// into a graph with the same structural hash.
//
//   kiln-graph 1
//   input x: float64[:, :]
//   input y: float64[:]
//   shared w: float64[:] = (2,) [0.5, -1]
//   constant %0: int8[] = 2
//   %1: float64[1, :] = DimShuffle{x,0|0}(y)
//   %2: float64[:, :] = Elemwise{mul}(x, %1)
//   out: float64[:] = Reduce{sum, axes=[1], ndim=2, acc_dtype=float64}(%2)
//   output out
//   update w = %5
//
// One statement per line; '#' starts a comment. The first statement is the
// header `kiln-graph 1`. Every variable has an identifier: its name when the
// name is a plain identifier not used before, else %N (followed by the name
// in double quotes when it has one, as in `%3 "x.T": ...`).
//
//   input ID: TYPE               a graph input, in order
//   shared ID: TYPE = VALUE      a shared variable and its current value
//   constant ID: TYPE = VALUE    a constant
//   ID: TYPE, ... = OP(ID, ...)  a node: its outputs and their types, the
//                                op, and its inputs
//   output ID                    the outputs, in order
//   update ID = ID               a shared variable and its new value
//
// TYPE is dtype[dims], dims ':' or 1 (broadcastable): float64[1, :] is a
// row. OP is Kind{params} (the op's identity, as structural hashes see it)
// or Kind alone when it has no parameters. A VALUE is a number for a 0-d
// value, else the shape and the values in C order: (2, 3) [1, 2, 3, 4, 5,
// 6]. Numbers are exact: integers in decimal, floats in their shortest
// round-trip form or inf, -inf, nan, -nan (a NaN with other bits is
// written by them: nan(0x7ff8000000000001)); bools are True and False.
//
// A Jacobian node carries its inner graph in a block after its inputs:
//
//   %9: float64[:, :] = Jacobian{<hash>}(%4, x) {
//     input %5 "jacobian_seed": float64[:]
//     ...nodes of the gradient that read the seed; they may use identifiers
//     from outside, and their own end with the block...
//     wrt x
//     output %8
//   }
#pragma once

#include "parsed_graph.hpp"

#include "../api/var.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln {

/// The graph of `outputs` as text. Its inputs are `inputs` in that order,
/// then any other input it depends on; updates are (shared, new value).
std::string write_graph_text(const std::vector<Var>& outputs, const std::vector<Var>& inputs = {},
                             const std::vector<std::pair<Var, Var>>& updates = {});

/// Reads the text back into a graph. Throws kiln::SyntaxError with the line
/// and column for text that is not the format, and for a node whose op,
/// inputs or types are not what kiln builds from them; never crashes or
/// hangs on bad input.
ParsedGraph read_graph_text(std::string_view text);

/// True when the text starts (after comments and blank lines) with the
/// graph text header, so tools can tell it from the expression syntax.
bool is_graph_text(std::string_view text);

} // namespace kiln
