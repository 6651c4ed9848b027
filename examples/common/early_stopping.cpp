#include "early_stopping.hpp"

#include <chrono>

namespace kiln::examples {

namespace {

double mean_error(const Function& model, std::int64_t n_batches) {
    double total = 0;
    for (std::int64_t i = 0; i < n_batches; ++i) total += model(i)[0].value_at<double>(0);
    return total / static_cast<double>(n_batches);
}

} // namespace

TrainingResult train_with_early_stopping(const Function& train_model, std::int64_t n_train_batches,
                                         const Function& validate_model, std::int64_t n_valid_batches,
                                         const Function& test_model, std::int64_t n_test_batches,
                                         const EarlyStoppingOptions& options,
                                         const std::function<void(const ValidationRecord&)>& on_validation) {
    if (n_train_batches < 1 || n_valid_batches < 1 || n_test_batches < 1)
        throw ValueError("train_with_early_stopping(): every set needs at least one minibatch (train " +
                         std::to_string(n_train_batches) + ", validation " + std::to_string(n_valid_batches) +
                         ", test " + std::to_string(n_test_batches) + ")");
    const auto start = std::chrono::steady_clock::now();
    const auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };

    std::int64_t patience = options.patience;
    // At least once per epoch, and often enough to act on the patience.
    const std::int64_t validation_frequency = std::max<std::int64_t>(1, std::min(n_train_batches, patience / 2));
    TrainingResult result;
    bool done = false;
    while (result.epochs < options.n_epochs && !done) {
        const int epoch = ++result.epochs;
        for (std::int64_t minibatch = 0; minibatch < n_train_batches; ++minibatch) {
            train_model(minibatch);
            const std::int64_t iter = (epoch - 1) * n_train_batches + minibatch;
            if ((iter + 1) % validation_frequency == 0) {
                ValidationRecord record{epoch, minibatch + 1, mean_error(validate_model, n_valid_batches),
                                        std::numeric_limits<double>::quiet_NaN(), 0};
                if (record.validation_error < result.best_validation_error) {
                    if (record.validation_error < result.best_validation_error * options.improvement_threshold)
                        patience = std::max(patience, iter * options.patience_increase);
                    result.best_validation_error = record.validation_error;
                    result.best_epoch = epoch;
                    record.test_error = mean_error(test_model, n_test_batches);
                    result.test_error = record.test_error;
                }
                record.elapsed_s = seconds();
                result.curve.push_back(record);
                if (on_validation) on_validation(record);
            }
            if (patience <= iter) {
                done = true;
                break;
            }
        }
    }
    result.elapsed_s = seconds();
    return result;
}

} // namespace kiln::examples
