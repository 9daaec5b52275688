#pragma once
// Reading scan files back with the plain HDF5 C API, independently of
// portalscan's own wrapper, as a user's program would.

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace portalscan::test {

struct RawFile {
  hid_t id = -1;
  std::string why;  // HDF5's messages when the file did not open
  explicit RawFile(const std::string& path) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (id < 0) {
      H5Ewalk2(
          H5E_DEFAULT, H5E_WALK_UPWARD,
          [](unsigned, const H5E_error2_t* e, void* into) -> herr_t {
            auto& text = *static_cast<std::string*>(into);
            text += (text.empty() ? "" : "; ") + std::string(e->desc ? e->desc : "");
            return 0;
          },
          &why);
      H5Eclear2(H5E_DEFAULT);
    }
  }
  ~RawFile() {
    if (id >= 0) H5Fclose(id);
  }
  RawFile(const RawFile&) = delete;
  RawFile& operator=(const RawFile&) = delete;
  bool ok() const { return id >= 0; }

  bool exists(const std::string& path) const {
    return H5Lexists(id, path.c_str(), H5P_DEFAULT) > 0;
  }

  /// Rows of a dataset (first dimension).
  std::uint64_t rows(const std::string& path) const {
    const hid_t d = H5Dopen2(id, path.c_str(), H5P_DEFAULT);
    const hid_t s = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    H5Sget_simple_extent_dims(s, dims, nullptr);
    H5Sclose(s);
    H5Dclose(d);
    return dims[0];
  }

  template <typename T>
  std::vector<T> read(const std::string& path, hid_t memType) const {
    const hid_t d = H5Dopen2(id, path.c_str(), H5P_DEFAULT);
    const hid_t s = H5Dget_space(d);
    const hssize_t n = H5Sget_simple_extent_npoints(s);
    std::vector<T> out(static_cast<std::size_t>(n));
    if (n > 0) H5Dread(d, memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data());
    H5Sclose(s);
    H5Dclose(d);
    return out;
  }
  std::vector<double> doubles(const std::string& path) const {
    return read<double>(path, H5T_NATIVE_DOUBLE);
  }

  /// The raw bytes of a dataset in its own file type (for bitwise comparison).
  std::vector<unsigned char> bytes(const std::string& path) const {
    const hid_t d = H5Dopen2(id, path.c_str(), H5P_DEFAULT);
    const hid_t t = H5Dget_type(d);
    const hid_t native = H5Tget_native_type(t, H5T_DIR_DEFAULT);
    const hid_t s = H5Dget_space(d);
    const hssize_t n = H5Sget_simple_extent_npoints(s);
    std::vector<unsigned char> out(static_cast<std::size_t>(n) * H5Tget_size(native));
    if (n > 0) H5Dread(d, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data());
    H5Sclose(s);
    H5Tclose(native);
    H5Tclose(t);
    H5Dclose(d);
    return out;
  }

  H5T_class_t typeClass(const std::string& path, std::size_t* size = nullptr) const {
    const hid_t d = H5Dopen2(id, path.c_str(), H5P_DEFAULT);
    const hid_t t = H5Dget_type(d);
    const H5T_class_t c = H5Tget_class(t);
    if (size) *size = H5Tget_size(t);
    H5Tclose(t);
    H5Dclose(d);
    return c;
  }

  /// A variable-length string attribute of an object.
  std::string stringAttribute(const std::string& object, const std::string& name) const {
    const hid_t o = H5Oopen(id, object.c_str(), H5P_DEFAULT);
    const hid_t a = H5Aopen(o, name.c_str(), H5P_DEFAULT);
    std::string value;
    if (a >= 0) {
      const hid_t t = H5Aget_type(a);  // read with the attribute's own string type
      char* s = nullptr;
      if (H5Aread(a, t, &s) >= 0 && s) value = s;
      H5free_memory(s);
      H5Tclose(t);
      H5Aclose(a);
    }
    H5Oclose(o);
    return value;
  }

  /// An integer attribute of an object (-1 when absent).
  std::int64_t intAttribute(const std::string& object, const std::string& name) const {
    const hid_t o = H5Oopen(id, object.c_str(), H5P_DEFAULT);
    const hid_t a = H5Aopen(o, name.c_str(), H5P_DEFAULT);
    std::int64_t value = -1;
    if (a >= 0) {
      H5Aread(a, H5T_NATIVE_INT64, &value);
      H5Aclose(a);
    }
    H5Oclose(o);
    return value;
  }

  bool hasAttribute(const std::string& object, const std::string& name) const {
    const hid_t o = H5Oopen(id, object.c_str(), H5P_DEFAULT);
    const bool has = H5Aexists(o, name.c_str()) > 0;
    H5Oclose(o);
    return has;
  }

  /// Names of the members of a group.
  std::vector<std::string> members(const std::string& group) const {
    std::vector<std::string> names;
    const hid_t g = H5Gopen2(id, group.c_str(), H5P_DEFAULT);
    H5G_info_t info;
    H5Gget_info(g, &info);
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      char name[256];
      H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
      names.emplace_back(name);
    }
    H5Gclose(g);
    return names;
  }

  /// Every dataset path of a scan file, for whole-file comparisons.
  std::vector<std::string> datasets() const {
    std::vector<std::string> paths = {"/allowed", "/chi2_total", "/status", "/index"};
    for (const auto& n : members("/parameters")) paths.push_back("/parameters/" + n);
    for (const auto& n : members("/observables")) paths.push_back("/observables/" + n);
    for (const auto& n : members("/constraints")) {
      paths.push_back("/constraints/" + n + "/pass");
      paths.push_back("/constraints/" + n + "/statistic");
      paths.push_back("/constraints/" + n + "/chi2");
    }
    for (const auto& n : members("/chunks")) paths.push_back("/chunks/" + n);
    return paths;
  }
};

}  // namespace portalscan::test
