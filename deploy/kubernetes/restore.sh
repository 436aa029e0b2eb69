#!/bin/bash
# The three Jobs in order (Kubernetes has no dependencies between Jobs): plan, workers, join.
# Build and push the image first (deploy/Containerfile) and set image: in the three files.
# Exits 0 once the join is complete, 1 as soon as a Job fails or outlasts its time.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")

# Waits for job/$1 to end, for at most $2 seconds: returns 0 once it is Complete, 1 once it is
# Failed or the time is up. A Job that reaches its failure limits (backoffLimit,
# backoffLimitPerIndex, maxFailedIndexes) is Failed and never Complete, so `kubectl wait
# --for=condition=complete` alone would sit out its whole timeout; the conditions are polled
# instead, for both. A kubectl that fails (no such Job, no API server) ends the script.
finished() {
  local job=$1 deadline=$((SECONDS + $2)) conditions
  while ((SECONDS < deadline)); do
    conditions=$(kubectl get "job/$job" -o jsonpath='{.status.conditions[?(@.status=="True")].type}')
    case " $conditions " in
      *" Complete "*) return 0 ;;
      *" Failed "*)
        echo "restore.sh: job/$job failed (kubectl describe job/$job says why)" >&2
        return 1 ;;
    esac
    sleep 10
  done
  echo "restore.sh: job/$job did not finish within $2 s" >&2
  return 1
}

kubectl apply -f "$here/volume.yaml"
kubectl apply -f "$here/plan-job.yaml"
finished reel-plan $((24 * 3600))
kubectl apply -f "$here/restore-job.yaml"
finished reel-restore $((720 * 3600))
kubectl apply -f "$here/join-job.yaml"
finished reel-join $((24 * 3600))
