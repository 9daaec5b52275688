#include "portalscan/scanner/Cli.hpp"

#include <iostream>

int main(int argc, char** argv) {
  return portalscan::scanner::runCli(argc, argv, std::cout, std::cerr);
}
