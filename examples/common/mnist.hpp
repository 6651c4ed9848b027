// MNIST-style data sets (MNIST, Fashion-MNIST) as the tutorial's load_data
// returns them: training, validation and test sets of images scaled to
// [0, 1] and integer labels.
#pragma once

#include <kiln/kiln.hpp>

#include <string>

namespace kiln::examples {

/// Where Debian's dataset-fashion-mnist package installs its files.
inline const std::string fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";

struct LabelledImages {
    Array images; // (n, rows * cols) of floatX, pixels / 255
    Array labels; // (n,) int32
};

struct MnistSplits {
    LabelledImages train, valid, test;
};

/// Reads train-images-idx3-ubyte, train-labels-idx1-ubyte and the t10k files
/// (each plain or with .gz) from dir. The first 50,000 training images train,
/// the remaining 10,000 validate, as the tutorial splits MNIST. Throws
/// ValueError naming the missing or malformed file.
MnistSplits load_mnist(const std::string& dir, DType floatX);

} // namespace kiln::examples
