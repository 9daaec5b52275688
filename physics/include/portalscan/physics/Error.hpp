#pragma once
/// The small, flat hierarchy of exceptions portalscan throws. Bad
/// configuration or input is an InputError (the CLI prints its message as one
/// line and exits with code 2); a failing file system or HDF5 call at run time
/// is an IoError. Expected per-point failures are never exceptions: they are a
/// PointStatus (Status.hpp). Programming errors are assertions.

#include <stdexcept>
#include <string>

namespace portalscan {

/// Base of every portalscan exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad user input: a config, a command-line value, a name, a file that does not exist.
class InputError : public Error {
 public:
  using Error::Error;
};

/// A run-time failure of the file system or of HDF5 (disk full, torn file).
class IoError : public Error {
 public:
  using Error::Error;
};

}  // namespace portalscan
