// The tutorial's "Adding Two Scalars".
#include <kiln/kiln.hpp>

#include <iostream>

int main() {
    using namespace kiln;

    // Symbols are typed: dscalar is the type "0-d float64 tensor", and
    // calling it makes a variable of that type.
    Var x = dscalar("x");
    Var y = dscalar("y");
    std::cout << x.type() << "\n";
    std::cout << dscalar << "\n";
    std::cout << (x.type() == dscalar ? "True" : "False") << "\n";

    Var z = x + y;
    std::cout << pp(z) << "\n";

    Function f = compile({x, y}, z);
    std::cout << f(2, 3) << "\n";
}
