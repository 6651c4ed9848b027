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

    TrainingSettings settings{.stopping = {.n_epochs = 10, .patience = 10000}, .batch_size = 20, .learning_rate = 0.01,
                              .csv_path = "mlp.csv", .svg_path = "mlp.svg"};
    double L1_reg = 0.00, L2_reg = 0.0001;
    std::int64_t n_hidden = 500, seed = 1234;
    CommandLine command_line("mlp", "Trains a one-hidden-layer perceptron on MNIST-style images by minibatch SGD "
                                    "with early stopping.");
    add_training_options(command_line, settings);
    command_line.option("hidden", n_hidden, "hidden units")
        .option("l1", L1_reg, "weight of the L1 penalty")
        .option("l2", L2_reg, "weight of the squared L2 penalty")
        .option("seed", seed, "seed of the initial weights");
    if (!command_line.parse(argc, argv)) return 0;
    config().set("floatX", settings.floatX);

    const SharedSplits data = load_shared_splits(settings);
    const std::int64_t batch_size = settings.batch_size;
    const double learning_rate = settings.learning_rate;

    std::cout << "... building the model\n";
    Var index = lscalar("index");
    Var x = matrix("x");
    Var y = ivector("y");
    std::mt19937 rng(static_cast<std::mt19937::result_type>(seed));
    MLP classifier(rng, x, data.n_in, n_hidden, 10);

    // The cost: negative log-likelihood plus the regularization terms.
    Var cost = classifier.negative_log_likelihood(y) + L1_reg * classifier.L1 + L2_reg * classifier.L2_sqr;

    Function test_model = compile({index}, classifier.errors(y),
                                  {.givens = minibatch_givens(index, batch_size, data.test, x, y)});
    Function validate_model = compile({index}, classifier.errors(y),
                                      {.givens = minibatch_givens(index, batch_size, data.valid, x, y)});

    // One gradient per parameter, and one update each.
    std::vector<Var> params(classifier.params.begin(), classifier.params.end());
    std::vector<Var> gparams = grad(cost, params);
    std::vector<std::pair<Var, Var>> updates;
    for (std::size_t i = 0; i < params.size(); ++i)
        updates.emplace_back(classifier.params[i], params[i] - learning_rate * gparams[i]);
    Function train_model = compile({index}, cost,
                                   {.updates = updates, .givens = minibatch_givens(index, batch_size, data.train, x, y)});

    std::cout << "... training the model\n";
    const TrainingResult result =
        train_with_early_stopping(train_model, data.train.n_batches, validate_model, data.valid.n_batches, test_model,
                                  data.test.n_batches, settings.stopping, progress_printer(data.train.n_batches));
    report(result, settings.csv_path, settings.svg_path,
           "MLP, " + std::to_string(n_hidden) + " tanh units, minibatches of " + std::to_string(batch_size) + ", " +
               settings.floatX);
} catch (const kiln::Error& e) {
    std::cerr << "mlp: " << e.what() << "\n";
    return 1;
}
