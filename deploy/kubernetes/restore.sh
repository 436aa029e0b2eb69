#!/bin/bash
# The three Jobs in order (Kubernetes has no dependencies between Jobs): plan, workers, join.
# Build and push the image first (deploy/Containerfile) and set image: in the three files.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
kubectl apply -f "$here/volume.yaml"
kubectl apply -f "$here/plan-job.yaml"
kubectl wait --for=condition=complete --timeout=24h job/reel-plan
kubectl apply -f "$here/restore-job.yaml"
kubectl wait --for=condition=complete --timeout=720h job/reel-restore
kubectl apply -f "$here/join-job.yaml"
kubectl wait --for=condition=complete --timeout=24h job/reel-join
