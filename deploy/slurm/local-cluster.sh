#!/bin/bash
# Checks the Slurm scripts on a real Slurm without a cluster: as root on a Debian machine, starts a
# one-node Slurm (munge, slurmctld, slurmd; the node claims 16 CPUs, 64 GiB and two fake GPUs so
# run.sbatch's requests fit), submits submit.sh unchanged on a three-shot clip with two shards,
# waits for the join, and compares the result with a one-process `reel restore` of the same clip:
# every decoded frame and the audio must be identical.
#
#   deploy/slurm/local-cluster.sh [REEL]     REEL: the reel command (default: the JIT build in cli/bin)
#
# It writes /etc/slurm/slurm.conf and gres.conf, so run it on a scratch machine or container.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
root=$(readlink -f "$here/../..")
work=$(mktemp -d /tmp/reel-slurm.XXXXXX)
if [ $# -ge 1 ]; then
  reel=$1
else
  reel=$work/reel
  printf '#!/bin/sh\nexec dotnet %s/cli/bin/Release/net10.0/reel.dll "$@"\n' "$root" > "$reel"
  chmod +x "$reel"
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurmctld slurmd slurm-client munge >/dev/null

host=$(hostname -s)
mkdir -p /etc/munge /run/munge "$work/state" "$work/spool" /var/log/slurm
[ -f /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
chown -R munge:munge /etc/munge /run/munge
chmod 400 /etc/munge/munge.key
pgrep -x munged >/dev/null || munged --force
touch "$work/gpu0" "$work/gpu1"
cat > /etc/slurm/slurm.conf <<EOF
ClusterName=reel-check
SlurmctldHost=$host
AuthType=auth/munge
SlurmUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
SlurmdParameters=config_overrides
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
GresTypes=gpu
NodeName=$host CPUs=16 RealMemory=65536 Gres=gpu:2 State=UNKNOWN
PartitionName=check Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
echo "NodeName=$host Name=gpu File=$work/gpu[0-1]" > /etc/slurm/gres.conf
pkill -x slurmd || true
pkill -x slurmctld || true
sleep 1
slurmctld
slurmd
# The daemons go when the check ends, however it ends.
trap 'scontrol shutdown >/dev/null 2>&1 || true' EXIT
for _ in $(seq 30); do sinfo -h -o %t | grep -qx idle && break; sleep 1; done
sinfo -h -o %t | grep -qx idle || { echo "error: the Slurm node did not come up (see /var/log/slurm)"; exit 1; }

# Three shots (different test patterns) of 8 frames, gray, with a tone.
ffmpeg -v error -y -f lavfi -i "testsrc2=size=96x64:rate=8:duration=1" -f lavfi -i "mandelbrot=size=96x64:rate=8" \
  -f lavfi -i "smptebars=size=96x64:rate=8:duration=1" -f lavfi -i "sine=frequency=330:duration=3" \
  -filter_complex "[1]trim=duration=1,setpts=PTS-STARTPTS[m];[0][m][2]concat=n=3:v=1:a=0,format=gray[v]" \
  -map "[v]" -map 3:a -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest "$work/in.mp4"
options=(--no-denoise --no-colorize --epochs 1 --no-irt)
cd "$work"
REEL=$reel "$here/submit.sh" "$work/in.mp4" "$work/job" "$work/slurm.mp4" 2 "${options[@]}"
for _ in $(seq 600); do [ -z "$(squeue -h)" ] && break; sleep 1; done
[ -f "$work/slurm.mp4" ] || { echo "error: the join wrote nothing; logs:"; tail -n 5 "$work"/reel-*.log; exit 1; }
"$reel" restore "$work/in.mp4" "$work/single.mp4" "${options[@]}" --progress plain 2>/dev/null
digest() { ffmpeg -v error -i "$1" -map 0:v -f framemd5 - | grep -v '^#' | md5sum; ffmpeg -v error -i "$1" -map 0:a -c copy -f md5 -; }
if [ "$(digest "$work/slurm.mp4")" != "$(digest "$work/single.mp4")" ]; then
  echo "error: the Slurm restore differs from the one-process restore ($work)"
  exit 1
fi
echo "ok: plan, a two-task array and the join on Slurm $(sinfo -V | cut -d' ' -f2) equal the one-process restore, frames and audio ($work)"
