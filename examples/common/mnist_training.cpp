#include "mnist_training.hpp"

#include "learning_curve.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

namespace kiln::examples {

void add_training_options(CommandLine& command_line, TrainingSettings& settings) {
    command_line.option("epochs", settings.stopping.n_epochs, "most epochs to train (early stopping may end sooner)")
        .option("batch", settings.batch_size, "examples per minibatch")
        .option("lr", settings.learning_rate, "learning rate")
        .option("data", settings.dataset, "folder of the IDX files (train-images-idx3-ubyte[.gz], ...)")
        .option("floatX", settings.floatX, "float32 or float64")
        .option("csv", settings.csv_path, "where to write the validation curve as CSV")
        .option("svg", settings.svg_path, "where to plot the validation curve as SVG");
}

namespace {

// Settings that would only fail after training are refused before it.
void check_settings(const TrainingSettings& settings) {
    if (settings.stopping.n_epochs < 1)
        throw ValueError("--epochs must be at least 1, not " + std::to_string(settings.stopping.n_epochs));
    for (const std::string& path : {settings.csv_path, settings.svg_path}) {
        const std::filesystem::path folder = std::filesystem::absolute(path).parent_path();
        if (!std::filesystem::is_directory(folder) || ::access(folder.c_str(), W_OK) != 0)
            throw ValueError("cannot write " + path + ": " + folder.string() + " is not a writable folder");
    }
}

} // namespace

SharedSplits load_shared_splits(const TrainingSettings& settings) {
    check_settings(settings);
    std::printf("... loading data from %s\n", settings.dataset.c_str());
    std::fflush(stdout);
    const MnistSplits data = load_mnist(settings.dataset, config().floatX());
    return {shared_dataset(data.train, "train", settings.batch_size),
            shared_dataset(data.valid, "valid", settings.batch_size),
            shared_dataset(data.test, "test", settings.batch_size), data.train.images.shape()[1]};
}

SharedDataset shared_dataset(const LabelledImages& set, const std::string& name, std::int64_t batch_size) {
    if (batch_size < 1) throw ValueError("the minibatch size must be at least 1, not " + std::to_string(batch_size));
    const std::int64_t n = set.labels.size();
    if (n < batch_size)
        throw ValueError("the " + name + " set holds " + std::to_string(n) + " examples, fewer than one minibatch of " +
                         std::to_string(batch_size));
    return {shared(set.images, name + "_set_x"), shared(set.labels, name + "_set_y"), n / batch_size};
}

std::vector<std::pair<Var, Var>> minibatch_givens(const Var& index, std::int64_t batch_size, const SharedDataset& set,
                                                  const Var& x, const Var& y) {
    const Slice rows = slice(index * batch_size, (index + 1) * batch_size);
    return {{x, set.x[rows]}, {y, set.y[rows]}};
}

std::function<void(const ValidationRecord&)> progress_printer(std::int64_t n_train_batches) {
    return [n_train_batches](const ValidationRecord& r) {
        std::printf("epoch %d, minibatch %lld/%lld, validation error %.3f %%, %.2f s\n", r.epoch,
                    static_cast<long long>(r.minibatch), static_cast<long long>(n_train_batches),
                    100 * r.validation_error, r.elapsed_s);
        if (!std::isnan(r.test_error))
            std::printf("     epoch %d, minibatch %lld/%lld, test error of best model %.3f %%\n", r.epoch,
                        static_cast<long long>(r.minibatch), static_cast<long long>(n_train_batches),
                        100 * r.test_error);
        std::fflush(stdout);
    };
}

void report(const TrainingResult& result, const std::string& csv_path, const std::string& svg_path,
            const std::string& title) {
    write_curve_csv(csv_path, result.curve);
    write_curve_svg(svg_path, result.curve, title);
    std::printf("Optimization complete with best validation score of %.3f %% (epoch %d)\n",
                100 * result.best_validation_error, result.best_epoch);
    std::printf("The code ran for %d epochs in %.1f s, %.3f s per epoch\n", result.epochs, result.elapsed_s,
                result.elapsed_s / result.epochs);
    std::printf("Validation curve written to %s and %s\n", csv_path.c_str(), svg_path.c_str());
    std::printf("test error %.3f%%\n", 100 * result.test_error);
}

} // namespace kiln::examples
