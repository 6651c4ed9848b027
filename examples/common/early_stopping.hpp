// The tutorial's training loop: minibatch SGD with early stopping. The
// validation error is checked every validation_frequency minibatches;
// while it improves by more than improvement_threshold, the patience (in
// minibatches) grows to patience_increase times the minibatches done so
// far, and training stops once that many are done without such a gain.
#pragma once

#include <kiln/kiln.hpp>

#include <functional>
#include <limits>
#include <vector>

namespace kiln::examples {

struct EarlyStoppingOptions {
    int n_epochs = 1000;
    std::int64_t patience = 5000;
    std::int64_t patience_increase = 2;
    double improvement_threshold = 0.995;
};

/// One validation of the model during training.
struct ValidationRecord {
    int epoch;
    std::int64_t minibatch;        // within the epoch, counted from 1
    double validation_error;       // fraction misclassified
    double test_error;             // measured when the validation error was a new best; else NaN
    double elapsed_s;              // since training started
};

struct TrainingResult {
    std::vector<ValidationRecord> curve;
    double best_validation_error = std::numeric_limits<double>::infinity();
    int best_epoch = 0;
    double test_error = std::numeric_limits<double>::quiet_NaN(); // at the best validation
    int epochs = 0;
    double elapsed_s = 0;
};

/// Each function takes a minibatch index. train_model takes one SGD step;
/// validate_model and test_model return their minibatch's error fraction.
/// on_validation sees every record as soon as it is made.
TrainingResult train_with_early_stopping(const Function& train_model, std::int64_t n_train_batches,
                                         const Function& validate_model, std::int64_t n_valid_batches,
                                         const Function& test_model, std::int64_t n_test_batches,
                                         const EarlyStoppingOptions& options,
                                         const std::function<void(const ValidationRecord&)>& on_validation = {});

} // namespace kiln::examples
