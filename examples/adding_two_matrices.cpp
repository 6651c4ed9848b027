// The tutorial's "Adding Two Matrices".
#include <kiln/kiln.hpp>

#include <iostream>

int main() {
    using namespace kiln;

    Var x = dmatrix("x");
    Var y = dmatrix("y");
    Var z = x + y;
    Function f = compile({x, y}, z);

    // Nested braces play the part of Python lists...
    std::cout << f({{1, 2}, {3, 4}}, {{10, 20}, {30, 40}}) << "\n";

    // ...and Arrays the part of NumPy arrays (int64 here, upcast safely).
    Array a = Array::from_values<std::int64_t>({1, 2, 3, 4}, {2, 2});
    Array b = Array::from_values<std::int64_t>({10, 20, 30, 40}, {2, 2});
    std::cout << f(a, b) << "\n";
}
