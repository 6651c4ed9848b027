#include "mnist.hpp"

#include <filesystem>

namespace kiln::examples {

namespace {

// The file under dir, compressed or not.
std::string find_file(const std::string& dir, const std::string& name) {
    for (const std::string& candidate : {name + ".gz", name}) {
        const std::filesystem::path path = std::filesystem::path(dir) / candidate;
        if (std::filesystem::exists(path)) return path.string();
    }
    throw ValueError("load_mnist(): " + dir + " has neither " + name + ".gz nor " + name +
                     (dir == fashion_mnist_dir ? " (install Debian's dataset-fashion-mnist package)" : ""));
}

template <class T> Array scaled_pixels(const Array& bytes, std::int64_t rows) {
    const std::int64_t pixels = bytes.size() / std::max<std::int64_t>(rows, 1);
    Array out = Array::uninitialized(dtype_of<T>(), {rows, pixels});
    const std::uint8_t* in = bytes.data_as<std::uint8_t>();
    T* to = out.mutable_data_as<T>();
    for (std::int64_t i = 0; i < bytes.size(); ++i) to[i] = static_cast<T>(in[i]) / T(255);
    return out;
}

LabelledImages read_pair(const std::string& dir, const std::string& prefix, DType floatX) {
    const std::string images_path = find_file(dir, prefix + "-images-idx3-ubyte");
    const std::string labels_path = find_file(dir, prefix + "-labels-idx1-ubyte");
    const Array images = load_idx(images_path);
    const Array labels = load_idx(labels_path);
    if (images.dtype() != DType::uint8 || images.ndim() != 3)
        throw ValueError("load_mnist(): " + images_path + " holds " + std::string(dtype_name(images.dtype())) + " of shape " +
                         shape_text(images.shape()) + ", not uint8 images (n, rows, cols)");
    if (labels.dtype() != DType::uint8 || labels.ndim() != 1 || labels.shape()[0] != images.shape()[0])
        throw ValueError("load_mnist(): " + labels_path + " holds " + std::string(dtype_name(labels.dtype())) + " of shape " +
                         shape_text(labels.shape()) + ", not one uint8 label per image of " + images_path);
    const std::int64_t n = images.shape()[0];
    Array pixels = floatX == DType::float32 ? scaled_pixels<float>(images, n) : scaled_pixels<double>(images, n);
    return {std::move(pixels), labels.astype(DType::int32)};
}

LabelledImages rows(const LabelledImages& set, std::int64_t begin, std::int64_t end) {
    const Array& x = set.images;
    const Array& y = set.labels;
    return {x.view({end - begin, x.shape()[1]}, x.strides(), begin * x.strides()[0]).copy(),
            y.view({end - begin}, y.strides(), begin * y.strides()[0]).copy()};
}

} // namespace

MnistSplits load_mnist(const std::string& dir, DType floatX) {
    if (!is_float(floatX)) throw ValueError("load_mnist(): floatX must be float32 or float64, not " + std::string(dtype_name(floatX)));
    const LabelledImages full_train = read_pair(dir, "train", floatX);
    const std::int64_t n = full_train.labels.size();
    const std::int64_t n_valid = 10000;
    if (n <= n_valid)
        throw ValueError("load_mnist(): " + dir + ": the training file holds " + std::to_string(n) +
                         " images; more than " + std::to_string(n_valid) + " are needed to hold out a validation set");
    return {rows(full_train, 0, n - n_valid), rows(full_train, n - n_valid, n), read_pair(dir, "t10k", floatX)};
}

} // namespace kiln::examples
