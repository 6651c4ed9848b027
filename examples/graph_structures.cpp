// The tutorial's "Graph Structures" and "Traversing the graph": Variables,
// Apply nodes and Ops, walked from an output down to its inputs.
#include <kiln/kiln.hpp>

#include <iostream>

int main() {
    using namespace kiln;

    {
        Var x = dmatrix("x");
        Var y = dmatrix("y");
        Var z = x + y;
        // z is computed by an Apply node; x and y are inputs (no owner).
        ApplyPtr apply = z.owner();
        std::cout << "z.owner()->op(): " << apply->op() << "\n";
        std::cout << "z.owner()->inputs(): [" << apply->inputs()[0] << ", " << apply->inputs()[1] << "]\n";
        std::cout << "z.owner()->outputs()[0] is z: "
                  << (apply->output(0) == z.node() ? "True" : "False") << "\n";
        std::cout << "x.owner(): " << (x.owner() ? "an Apply" : "None") << "\n";
        std::cout << "z.type(): " << z.type() << "\n";
    }

    Var x = dmatrix("x");
    Var y = x * 2;

    std::cout << "y.owner()->op().name(): '" << y.owner()->op().name() << "'\n";
    std::cout << "y.owner()->inputs().size(): " << y.owner()->inputs().size() << "\n";
    std::cout << "y.owner()->inputs()[0]: " << y.owner()->inputs()[0] << "\n";
    // The constant 2 was broadcast to a matrix by a DimShuffle.
    VariablePtr broadcast = y.owner()->inputs()[1];
    std::cout << "y.owner()->inputs()[1]: " << broadcast << "\n";
    std::cout << "y.owner()->inputs()[1]->owner()->op().kind(): " << broadcast->owner()->op().kind() << "\n";
    std::cout << "y.owner()->inputs()[1]->owner()->inputs(): [" << broadcast->owner()->inputs()[0] << "]\n";

    std::cout << "\n" << debugprint(y);
}
