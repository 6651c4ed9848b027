// The validation curve of a training run, written for people: a CSV table
// and an SVG plot that any browser opens.
#pragma once

#include "early_stopping.hpp"

#include <string>

namespace kiln::examples {

/// Columns epoch, minibatch, validation_error, test_error (empty where it
/// was not measured), elapsed_s; errors as fractions.
void write_curve_csv(const std::string& path, const std::vector<ValidationRecord>& curve);

/// Validation error (a line) and test error at each new best (dots) in
/// percent against epochs, with axes, ticks and a legend.
void write_curve_svg(const std::string& path, const std::vector<ValidationRecord>& curve, const std::string& title);

} // namespace kiln::examples
