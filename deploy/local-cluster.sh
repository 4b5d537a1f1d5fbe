#!/usr/bin/env bash
# Multi-worker training on one machine: starts N `tokenlearner train` processes as one TF_CONFIG
# cluster (a chief and N-1 workers on 127.0.0.1), all writing into the same workdir (only the
# chief writes), and waits for them. Exits non-zero if any task fails; rerun with --resume.
#
#   deploy/local-cluster.sh N WORKDIR [train options, e.g. --config tiny --stop-after 60]
#
# TensorFlow's gRPC servers listen on ALL interfaces without authentication. On a machine others
# can reach, run this inside a private network namespace:
#   unshare -n -- bash -c 'ip link set lo up && deploy/local-cluster.sh 2 /tmp/run --config tiny'
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:?usage: local-cluster.sh N WORKDIR [train options]}"
workdir="${2:?usage: local-cluster.sh N WORKDIR [train options]}"
shift 2
port="${TOKENLEARNER_BASE_PORT:-22220}"
mkdir -p "$workdir"

workers=""
for ((i = 1; i < n; i++)); do
  workers+="${workers:+, }\"127.0.0.1:$((port + i))\""
done
pids=()
for ((i = 0; i < n; i++)); do
  if ((i == 0)); then type=chief; index=0; else type=worker; index=$((i - 1)); fi
  tf_config="{\"cluster\": {\"chief\": [\"127.0.0.1:$port\"], \"worker\": [$workers]},"
  tf_config+=" \"task\": {\"type\": \"$type\", \"index\": $index}}"
  TF_CONFIG="$tf_config" TOKENLEARNER_JAVA_OPTS="${TOKENLEARNER_JAVA_OPTS:--Xmx2g}" \
    "$here/tokenlearner" train --workdir "$workdir" "$@" >"$workdir/$type-$index.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { echo "task $i exited with $?; see $workdir/*.log" >&2; status=1; }
done
exit $status
