// The tutorial's "Classifying MNIST Digits": the LogisticRegression class
// trained by minibatch SGD, the whole data set in shared variables and each
// minibatch sliced from it by givens, with early stopping on the
// validation error. The data is Fashion-MNIST by default.
#include "common/command_line.hpp"
#include "common/early_stopping.hpp"
#include "common/logistic_regression.hpp"
#include "common/mnist_training.hpp"

#include <kiln/kiln.hpp>

#include <iostream>

int main(int argc, char** argv) try {
    using namespace kiln;
    using namespace kiln::examples;

    double learning_rate = 0.13;
    std::int64_t batch_size = 600;
    EarlyStoppingOptions stopping;
    std::string dataset = fashion_mnist_dir, floatX = config().get("floatX");
    std::string csv_path = "softmax_regression.csv", svg_path = "softmax_regression.svg";
    CommandLine command_line("softmax_regression",
                             "Trains a softmax regression on MNIST-style images by minibatch SGD with early stopping.");
    command_line.option("epochs", stopping.n_epochs, "most epochs to train (early stopping may end sooner)")
        .option("batch", batch_size, "examples per minibatch")
        .option("lr", learning_rate, "learning rate")
        .option("data", dataset, "folder of the IDX files (train-images-idx3-ubyte[.gz], ...)")
        .option("floatX", floatX, "float32 or float64")
        .option("csv", csv_path, "where to write the validation curve as CSV")
        .option("svg", svg_path, "where to plot the validation curve as SVG");
    if (!command_line.parse(argc, argv)) return 0;
    config().set("floatX", floatX);

    std::cout << "... loading data from " << dataset << "\n";
    const MnistSplits data = load_mnist(dataset, config().floatX());
    const SharedDataset train_set = shared_dataset(data.train, "train", batch_size);
    const SharedDataset valid_set = shared_dataset(data.valid, "valid", batch_size);
    const SharedDataset test_set = shared_dataset(data.test, "test", batch_size);

    std::cout << "... building the model\n";
    Var index = lscalar("index"); // the minibatch
    Var x = matrix("x");          // images, one per row
    Var y = ivector("y");         // their labels
    LogisticRegression classifier(x, data.train.images.shape()[1], 10);
    Var cost = classifier.negative_log_likelihood(y);

    Function test_model = compile({index}, classifier.errors(y),
                                  {.givens = minibatch_givens(index, batch_size, test_set, x, y)});
    Function validate_model = compile({index}, classifier.errors(y),
                                      {.givens = minibatch_givens(index, batch_size, valid_set, x, y)});

    Var g_W = grad(cost, classifier.W);
    Var g_b = grad(cost, classifier.b);
    Function train_model = compile({index}, cost,
                                   {.updates = {{classifier.W, classifier.W - learning_rate * g_W},
                                                {classifier.b, classifier.b - learning_rate * g_b}},
                                    .givens = minibatch_givens(index, batch_size, train_set, x, y)});

    std::cout << "... training the model\n";
    const TrainingResult result =
        train_with_early_stopping(train_model, train_set.n_batches, validate_model, valid_set.n_batches, test_model,
                                  test_set.n_batches, stopping, progress_printer(train_set.n_batches));
    report(result, csv_path, svg_path, "softmax regression, minibatches of " + std::to_string(batch_size) + ", " + floatX);
} catch (const kiln::Error& e) {
    std::cerr << "softmax_regression: " << e.what() << "\n";
    return 1;
}
