// What the MNIST examples share around their models: the data sets as
// shared variables, the progress lines, and the closing report.
#pragma once

#include "command_line.hpp"
#include "early_stopping.hpp"
#include "mnist.hpp"

#include <functional>
#include <string>

namespace kiln::examples {

/// The settings every MNIST training program takes from its command line.
struct TrainingSettings {
    EarlyStoppingOptions stopping;
    std::int64_t batch_size;
    double learning_rate;
    std::string dataset = fashion_mnist_dir;
    std::string floatX = config().get("floatX");
    std::string csv_path, svg_path;
};

/// Adds --epochs, --batch, --lr, --data, --floatX, --csv and --svg.
void add_training_options(CommandLine& command_line, TrainingSettings& settings);

/// One data set held in shared variables, as the tutorial's shared_dataset
/// makes them, and how many whole minibatches it holds.
struct SharedDataset {
    SharedVar x, y;
    std::int64_t n_batches;
};

/// Throws ValueError when the set holds no whole minibatch.
SharedDataset shared_dataset(const LabelledImages& set, const std::string& name, std::int64_t batch_size);

struct SharedSplits {
    SharedDataset train, valid, test;
    std::int64_t n_in; // pixels per image
};

/// Loads the data set named by settings (printing where from) in floatX
/// and moves each split into shared variables. First refuses, with a
/// ValueError, settings that would fail only after training: fewer than
/// one epoch, or a curve file in a folder that cannot be written.
SharedSplits load_shared_splits(const TrainingSettings& settings);

/// givens that slice minibatch `index` of set into x and y.
std::vector<std::pair<Var, Var>> minibatch_givens(const Var& index, std::int64_t batch_size, const SharedDataset& set,
                                                  const Var& x, const Var& y);

/// Prints each validation as it happens: "epoch 3, minibatch 83/83,
/// validation error 15.240 %, 0.82 s", and the test error at a new best.
std::function<void(const ValidationRecord&)> progress_printer(std::int64_t n_train_batches);

/// Writes the curve as CSV and SVG and prints the summary, whose last line
/// is "test error <percent>%".
void report(const TrainingResult& result, const std::string& csv_path, const std::string& svg_path,
            const std::string& title);

} // namespace kiln::examples
