// kiln: a JIT-compiling tensor engine for C++ with Theano's programming model.
// The one header a host program includes.
#pragma once

#include "engine/arg.hpp"
#include "engine/config.hpp"
#include "engine/constructors.hpp"
#include "engine/dimshuffle.hpp"
#include "engine/elemwise.hpp"
#include "engine/math.hpp"
#include "engine/function.hpp"
#include "engine/interpreter.hpp"
#include "engine/operators.hpp"
#include "engine/printing.hpp"
#include "engine/shared.hpp"
#include "engine/var.hpp"
#include "ir/array.hpp"
#include "ir/errors.hpp"
#include "ir/graph.hpp"
#include "ir/hash.hpp"
#include "ir/print.hpp"
#include "ir/walk.hpp"
