#pragma once
/// The HDF5 file of a scan (layout in docs/hdf5-format.md): columnar datasets
/// for parameters, observables, constraint verdicts, allowed, status and the
/// global point index, written by one writer from whole chunks. The /chunks
/// group records every committed chunk; its `range` row is written last, so a
/// chunk counts only once all its rows are in.
///
/// The whole store in one include: the layout shared by every role, the
/// writer, the reader, verification and salvage, and merge.

#include "portalscan/scanner/store/Committed.hpp"
#include "portalscan/scanner/store/Hdf5.hpp"
#include "portalscan/scanner/store/Layout.hpp"
#include "portalscan/scanner/store/Merge.hpp"
#include "portalscan/scanner/store/Reader.hpp"
#include "portalscan/scanner/store/Verify.hpp"
#include "portalscan/scanner/store/Writer.hpp"
