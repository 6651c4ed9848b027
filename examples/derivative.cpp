// The tutorial's "Derivative in Theano": d(x^2)/dx, printed before and after
// compile() rewrites it.
#include <kiln/kiln.hpp>

#include <iostream>

int main() {
    using namespace kiln;

    Var x = dscalar("x");
    Var y = pow(x, 2);
    Var gy = grad(y, x);
    std::cout << pp(gy) << "\n"; // the gradient as built, before optimization

    Function f = compile({x}, gy);
    std::cout << f(4) << "\n";
    std::cout << pp(f.outputs()[0]) << "\n"; // after optimization
}
