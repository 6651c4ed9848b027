// The tutorial's LogisticRegression class: multi-class logistic regression
// (softmax regression) with weights W and biases b, both shared.
#pragma once

#include <kiln/kiln.hpp>

#include <vector>

namespace kiln::examples {

class LogisticRegression {
public:
    /// input is the symbolic minibatch (one example per row) with n_in
    /// columns; there are n_out classes. W and b start at zero, in floatX.
    LogisticRegression(const Var& input, std::int64_t n_in, std::int64_t n_out);

    /// The mean over the minibatch of -log P(y | x): the cost to minimize.
    Var negative_log_likelihood(const Var& y) const;
    /// The fraction of the minibatch misclassified. y must be an integer
    /// vector; anything else throws TypeError naming its type.
    Var errors(const Var& y) const;

    SharedVar W, b;
    Var p_y_given_x; // class probabilities, one row per example
    Var y_pred;      // the most probable class of each example
    std::vector<SharedVar> params;
    Var input;
};

} // namespace kiln::examples
