#include <iostream>

#include "portalscan/scanner/Cli.hpp"

int main(int argc, char** argv) {
  return portalscan::scanner::runCli(argc, argv, std::cout, std::cerr);
}
