// The examples' support code: the MNIST loader on synthetic IDX files, the
// learning-curve files and the command lines.
#include "common/command_line.hpp"
#include "common/learning_curve.hpp"
#include "common/mnist.hpp"
#include "common/mnist_training.hpp"

#include "../engine/test_helpers.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <zlib.h>

using namespace kiln;
using namespace kiln::examples;

using test::TempDir;

namespace {

std::string idx_bytes(unsigned char type_code, const std::vector<std::uint32_t>& dims, const std::string& data) {
    std::string bytes = {'\0', '\0', static_cast<char>(type_code), static_cast<char>(dims.size())};
    for (std::uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((d >> shift) & 0xff);
    return bytes + data;
}

void write_gzip(const std::string& path, const std::string& bytes) {
    gzFile out = gzopen(path.c_str(), "wb");
    REQUIRE(out != nullptr);
    gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(out);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// A data set in MNIST's files with 1x2 images: image i has pixels (i % 256, 255) and label i % 10.
void write_tiny_mnist(const TempDir& dir, std::uint32_t n_train, std::uint32_t n_test) {
    for (const auto& [prefix, n] : {std::pair{"train", n_train}, std::pair{"t10k", n_test}}) {
        std::string pixels, labels;
        for (std::uint32_t i = 0; i < n; ++i) {
            pixels += static_cast<char>(i % 256);
            pixels += '\xff';
            labels += static_cast<char>(i % 10);
        }
        write_gzip(dir.file(std::string(prefix) + "-images-idx3-ubyte.gz"), idx_bytes(0x08, {n, 1, 2}, pixels));
        // Plain (uncompressed) files are found too.
        std::ofstream(dir.file(std::string(prefix) + "-labels-idx1-ubyte"), std::ios::binary)
            << idx_bytes(0x08, {n}, labels);
    }
}

} // namespace

TEST_CASE("load_mnist splits the training file 50,000-style and scales pixels to [0, 1] in floatX") {
    TempDir dir;
    write_tiny_mnist(dir, 10005, 7);
    for (DType floatX : {DType::float64, DType::float32}) {
        CAPTURE(dtype_name(floatX));
        const MnistSplits data = load_mnist(dir.path.string(), floatX);
        // The last 10,000 training images validate; the rest train.
        CHECK(data.train.images.shape() == Shape{5, 2});
        CHECK(data.valid.images.shape() == Shape{10000, 2});
        CHECK(data.test.images.shape() == Shape{7, 2});
        CHECK(data.train.images.dtype() == floatX);
        CHECK(data.train.labels.dtype() == DType::int32);
        CHECK(data.train.labels.to_vector<std::int32_t>() == std::vector<std::int32_t>{0, 1, 2, 3, 4});
        // Validation image 0 is training-file image 5; image 251 is file image 256, pixel 0.
        CHECK(data.valid.labels.value_at<std::int32_t>(0) == 5);
        CHECK(data.valid.images.value_at<double>(0) == doctest::Approx(5.0 / 255));
        CHECK(data.valid.images.value_at<double>(2 * 251) == 0.0);
        CHECK(data.valid.images.value_at<double>(1) == 1.0);
        CHECK(data.test.images.value_at<double>(2 * 6) == doctest::Approx(6.0 / 255));
        CHECK(data.test.labels.value_at<std::int32_t>(6) == 6);
    }
}

TEST_CASE("load_mnist names the file that is missing or does not fit") {
    TempDir dir;
    CHECK_THROWS_WITH_AS(load_mnist(dir.path.string(), DType::float64),
                         ("load_mnist(): " + dir.path.string() +
                          " has neither train-images-idx3-ubyte.gz nor train-images-idx3-ubyte")
                             .c_str(),
                         ValueError);
    write_tiny_mnist(dir, 100, 7);
    CHECK_THROWS_WITH_AS(load_mnist(dir.path.string(), DType::float64),
                         ("load_mnist(): " + dir.path.string() +
                          ": the training file holds 100 images; more than 10000 are needed to hold out a validation "
                          "set")
                             .c_str(),
                         ValueError);
    write_tiny_mnist(dir, 10005, 7);
    std::ofstream(dir.file("t10k-labels-idx1-ubyte"), std::ios::binary) << idx_bytes(0x08, {6}, "abcdef");
    CHECK_THROWS_WITH_AS(load_mnist(dir.path.string(), DType::float64),
                         ("load_mnist(): " + dir.file("t10k-labels-idx1-ubyte") +
                          " holds uint8 of shape (6,), not one uint8 label per image of " +
                          dir.file("t10k-images-idx3-ubyte.gz"))
                             .c_str(),
                         ValueError);
    CHECK_THROWS_WITH_AS(load_mnist(dir.path.string(), DType::int32),
                         "load_mnist(): floatX must be float32 or float64, not int32", ValueError);
}

TEST_CASE("training settings that would fail only after training are refused before the data loads") {
    TempDir dir;
    TrainingSettings settings{.batch_size = 10, .learning_rate = 0.1, .dataset = dir.file("no-data"),
                              .csv_path = dir.file("c.csv"), .svg_path = dir.file("c.svg")};
    settings.stopping.n_epochs = 0;
    CHECK_THROWS_WITH_AS(load_shared_splits(settings), "--epochs must be at least 1, not 0", ValueError);
    settings.stopping.n_epochs = 1;
    settings.svg_path = dir.file("missing/c.svg");
    CHECK_THROWS_WITH_AS(load_shared_splits(settings),
                         ("cannot write " + dir.file("missing/c.svg") + ": " + dir.file("missing") +
                          " is not a writable folder")
                             .c_str(),
                         ValueError);
    // With good settings, the next complaint is the data's.
    settings.svg_path = dir.file("c.svg");
    CHECK_THROWS_WITH_AS(load_shared_splits(settings),
                         ("load_mnist(): " + dir.file("no-data") +
                          " has neither train-images-idx3-ubyte.gz nor train-images-idx3-ubyte")
                             .c_str(),
                         ValueError);
}

TEST_CASE("the learning curve is written as CSV and as an SVG plot") {
    TempDir dir;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<ValidationRecord> curve = {
        {1, 83, 0.25, 0.26, 0.5}, {2, 83, 0.2, 0.21, 1.0}, {3, 83, 0.22, nan, 1.5}};
    write_curve_csv(dir.file("c.csv"), curve);
    CHECK(read_text(dir.file("c.csv")) == "epoch,minibatch,validation_error,test_error,elapsed_s\n"
                                          "1,83,0.25,0.26,0.5\n2,83,0.2,0.21,1\n3,83,0.22,,1.5\n");

    write_curve_svg(dir.file("c.svg"), curve, "a <title> & more");
    const std::string svg = read_text(dir.file("c.svg"));
    CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
    CHECK(svg.find("a &lt;title&gt; &amp; more") != std::string::npos);
    // One polyline point per validation, one dot per test measurement.
    const std::size_t points_at = svg.find("points=\"");
    REQUIRE(points_at != std::string::npos);
    const std::string points = svg.substr(points_at + 8, svg.find('"', points_at + 8) - points_at - 8);
    std::istringstream pairs(points);
    int pair_count = 0;
    for (std::string p; pairs >> p;) ++pair_count;
    CHECK(pair_count == 3);
    std::size_t dots = 0;
    for (std::size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1)) ++dots;
    CHECK(dots == 2 + 1); // two test errors and the legend's dot
    CHECK(svg.find("</svg>") != std::string::npos);

    CHECK_THROWS_WITH_AS(write_curve_csv(dir.file("no/such/dir/c.csv"), curve),
                         ("cannot open " + dir.file("no/such/dir/c.csv") + " for writing").c_str(), ValueError);
}

TEST_CASE("command lines take --name VALUE and --name=VALUE, and name what they cannot read") {
    int epochs = 1000;
    double lr = 0.13;
    std::int64_t batch = 600;
    std::string data = "/default";
    CommandLine cl("prog", "Does things.");
    cl.option("epochs", epochs, "most epochs").option("lr", lr, "learning rate").option("batch", batch, "size").option(
        "data", data, "folder");
    std::ostringstream help_out;
    const auto parse = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "prog");
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        return cl.parse(static_cast<int>(argv.size()), argv.data(), help_out);
    };
    CHECK(cl.help().find("  --epochs VALUE      most epochs (default: 1000)\n") != std::string::npos);
    CHECK(parse({"--epochs", "5", "--lr=0.5", "--data", "/d"}));
    CHECK(epochs == 5);
    CHECK(lr == 0.5);
    CHECK(batch == 600);
    CHECK(data == "/d");
    CHECK_THROWS_WITH_AS(parse({"--epoch", "5"}), "unknown option --epoch (see --help)", ValueError);
    CHECK_THROWS_WITH_AS(parse({"--batch"}), "option --batch needs a value", ValueError);
    CHECK_THROWS_WITH_AS(parse({"--batch", "6x"}), "option --batch: cannot read '6x' as a number", ValueError);
    CHECK_THROWS_WITH_AS(parse({"extra"}), "unexpected argument 'extra' (see --help)", ValueError);
    CHECK_FALSE(parse({"--help"}));
    // The defaults, as registered, whatever was parsed since.
    CHECK(help_out.str() == "Does things.\n\nusage: prog [options]\n\noptions:\n"
                            "  --epochs VALUE      most epochs (default: 1000)\n"
                            "  --lr VALUE          learning rate (default: 0.13)\n"
                            "  --batch VALUE       size (default: 600)\n"
                            "  --data VALUE        folder (default: /default)\n"
                            "  --help              print this and exit\n");
}
