// The natural next step after softmax regression: a multilayer perceptron
// with one hidden layer of tanh units and L1/L2 penalties, trained by
// minibatch SGD with early stopping as the tutorial trains its MLP.
#include "common/command_line.hpp"
#include "common/early_stopping.hpp"
#include "common/mlp.hpp"
#include "common/mnist_training.hpp"

#include <kiln/kiln.hpp>

#include <iostream>

int main(int argc, char** argv) try {
    using namespace kiln;
    using namespace kiln::examples;

    double learning_rate = 0.01, L1_reg = 0.00, L2_reg = 0.0001;
    std::int64_t batch_size = 20, n_hidden = 500, seed = 1234;
    EarlyStoppingOptions stopping{.n_epochs = 10, .patience = 10000};
    std::string dataset = fashion_mnist_dir, floatX = config().get("floatX");
    std::string csv_path = "mlp.csv", svg_path = "mlp.svg";
    CommandLine command_line("mlp", "Trains a one-hidden-layer perceptron on MNIST-style images by minibatch SGD "
                                    "with early stopping.");
    command_line.option("epochs", stopping.n_epochs, "most epochs to train (early stopping may end sooner)")
        .option("batch", batch_size, "examples per minibatch")
        .option("lr", learning_rate, "learning rate")
        .option("hidden", n_hidden, "hidden units")
        .option("l1", L1_reg, "weight of the L1 penalty")
        .option("l2", L2_reg, "weight of the squared L2 penalty")
        .option("seed", seed, "seed of the initial weights")
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
    Var index = lscalar("index");
    Var x = matrix("x");
    Var y = ivector("y");
    std::mt19937 rng(static_cast<std::mt19937::result_type>(seed));
    MLP classifier(rng, x, data.train.images.shape()[1], n_hidden, 10);

    // The cost: negative log-likelihood plus the regularization terms.
    Var cost = classifier.negative_log_likelihood(y) + L1_reg * classifier.L1 + L2_reg * classifier.L2_sqr;

    Function test_model = compile({index}, classifier.errors(y),
                                  {.givens = minibatch_givens(index, batch_size, test_set, x, y)});
    Function validate_model = compile({index}, classifier.errors(y),
                                      {.givens = minibatch_givens(index, batch_size, valid_set, x, y)});

    // One gradient per parameter, and one update each.
    std::vector<Var> params(classifier.params.begin(), classifier.params.end());
    std::vector<Var> gparams = grad(cost, params);
    std::vector<std::pair<Var, Var>> updates;
    for (std::size_t i = 0; i < params.size(); ++i)
        updates.emplace_back(classifier.params[i], params[i] - learning_rate * gparams[i]);
    Function train_model = compile({index}, cost,
                                   {.updates = updates, .givens = minibatch_givens(index, batch_size, train_set, x, y)});

    std::cout << "... training the model\n";
    const TrainingResult result =
        train_with_early_stopping(train_model, train_set.n_batches, validate_model, valid_set.n_batches, test_model,
                                  test_set.n_batches, stopping, progress_printer(train_set.n_batches));
    report(result, csv_path, svg_path,
           "MLP, " + std::to_string(n_hidden) + " tanh units, minibatches of " + std::to_string(batch_size) + ", " + floatX);
} catch (const kiln::Error& e) {
    std::cerr << "mlp: " << e.what() << "\n";
    return 1;
}
