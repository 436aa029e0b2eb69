#!/bin/bash
# Restores a film on a Slurm cluster as three jobs chained by dependencies: the plan (CPU), a job
# array of N GPU workers (one shard each), and the join (CPU), which starts only when every
# worker has succeeded. Run it on a login node; WORKDIR must be on a file system every node
# mounts at the same path (the input and the checkpoints too), with working flock (NFSv4,
# Lustre with -o flock, GPFS, CephFS).
#
#   deploy/slurm/submit.sh INPUT WORKDIR OUTPUT N [reel restore options…]
#   deploy/slurm/submit.sh /shared/in/film.mkv /shared/work/film /shared/out/film.mkv 16 --epochs 50
#
# A failed or timed-out worker loses only the shot it was making: resubmit just its task, with the
# same N (the shard count is given, not read from the array, so a partial array keeps it):
#   sbatch --array=3,7 deploy/slurm/run.sbatch WORKDIR N
# then the join: sbatch deploy/slurm/join.sbatch WORKDIR OUTPUT
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 INPUT WORKDIR OUTPUT N [reel restore options…]" >&2
    exit 2
fi
input=$1 workdir=$2 output=$3 shards=$4
shift 4
here=$(dirname "$(readlink -f "$0")")
plan=$(sbatch --parsable "$here/plan.sbatch" "$input" "$workdir" "$@")
workers=$(sbatch --parsable --dependency="afterok:$plan" --array="0-$((shards - 1))" "$here/run.sbatch" "$workdir" "$shards")
join=$(sbatch --parsable --dependency="afterok:$workers" "$here/join.sbatch" "$workdir" "$output")
echo "plan: job $plan; workers: array job $workers (shards 0-$((shards - 1)) of $shards); join: job $join"
