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

    TrainingSettings settings{.batch_size = 600, .learning_rate = 0.13,
                              .csv_path = "softmax_regression.csv", .svg_path = "softmax_regression.svg"};
    CommandLine command_line("softmax_regression",
                             "Trains a softmax regression on MNIST-style images by minibatch SGD with early stopping.");
    add_training_options(command_line, settings);
    if (!command_line.parse(argc, argv)) return 0;
    config().set("floatX", settings.floatX);

    const SharedSplits data = load_shared_splits(settings);
    const std::int64_t batch_size = settings.batch_size;
    const double learning_rate = settings.learning_rate;

    std::cout << "... building the model\n";
    Var index = lscalar("index"); // the minibatch
    Var x = matrix("x");          // images, one per row
    Var y = ivector("y");         // their labels
    LogisticRegression classifier(x, data.n_in, 10);
    Var cost = classifier.negative_log_likelihood(y);

    Function test_model = compile({index}, classifier.errors(y),
                                  {.givens = minibatch_givens(index, batch_size, data.test, x, y)});
    Function validate_model = compile({index}, classifier.errors(y),
                                      {.givens = minibatch_givens(index, batch_size, data.valid, x, y)});

    Var g_W = grad(cost, classifier.W);
    Var g_b = grad(cost, classifier.b);
    Function train_model = compile({index}, cost,
                                   {.updates = {{classifier.W, classifier.W - learning_rate * g_W},
                                                {classifier.b, classifier.b - learning_rate * g_b}},
                                    .givens = minibatch_givens(index, batch_size, data.train, x, y)});

    std::cout << "... training the model\n";
    const TrainingResult result =
        train_with_early_stopping(train_model, data.train.n_batches, validate_model, data.valid.n_batches, test_model,
                                  data.test.n_batches, settings.stopping, progress_printer(data.train.n_batches));
    report(result, settings.csv_path, settings.svg_path,
           "softmax regression, minibatches of " + std::to_string(batch_size) + ", " + settings.floatX);
} catch (const kiln::Error& e) {
    std::cerr << "softmax_regression: " << e.what() << "\n";
    return 1;
}
