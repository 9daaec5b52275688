#!/usr/bin/env bash
# Submits a scan as a SLURM array of N shards and the merge that waits for it.
#
#   bash scans/cluster/submit.sh CONFIG.json N OUT.h5 [extra sbatch options...]
#
# Extra options (--partition, --account, --time, ...) go to both jobs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
config=${1:?usage: submit.sh CONFIG.json N OUT.h5 [sbatch options...]}
n=${2:?usage: submit.sh CONFIG.json N OUT.h5 [sbatch options...]}
out=${3:?usage: submit.sh CONFIG.json N OUT.h5 [sbatch options...]}
shift 3
# Fail here, not in the queue, if the config or the output place is bad.
"${PORTALSCAN:-portalscan}" run "$config" --shard "1/$n" --resume --dry-run \
  -o "${out%.h5}.shard-1-of-$n.h5" > /dev/null
array=$(sbatch --parsable --array="1-$n" "$@" "$here/array.sbatch" "$config" "$out")
merge=$(sbatch --parsable --dependency="afterok:${array%%;*}" "$@" "$here/merge.sbatch" "$out" "$n")
echo "submitted array job $array ($n shards) and merge job $merge -> $out"
