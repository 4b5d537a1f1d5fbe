#!/bin/bash
# Both halves in lock-step: Java (TF 2.18) and Python (TF 2.21) alternate forward passes one by one.
# usage: forward_lockstep.sh REPS W (W holds export/ti and export/tl8at6, our SavedModels of Ti/16 and
# Ti/16 tl8@6, and pygraph-ti, pygraph-tl, written by forward_lockstep.py graph; see docs/performance.md)
set -euo pipefail
reps=$1; w=$2
root="$(cd "$(dirname "$0")/../.." && pwd)"
ref="$root/bench/src/main/resources/dev/tokenlearner/bench/vit_xla_reference.py"
py="${TOKENLEARNER_PYTHON:-python3}"
rm -f "$w/j2p" "$w/p2j"; mkfifo "$w/j2p" "$w/p2j"
echo "load at start: $(cat /proc/loadavg)"
TF_CPP_MIN_LOG_LEVEL=2 java -cp "$(ls "$root"/cli/target/lib/*.jar | paste -sd:)" "$root/scripts/ab/ForwardLockstep.java" \
  "$w/pygraph-ti" "$w/pygraph-tl" "$reps" "$w/p2j" "$w/j2p" 2>&1 | grep JAVA218 &
TF_CPP_MIN_LOG_LEVEL=2 "$py" "$root/scripts/ab/forward_lockstep.py" run "$ref" "$w/export/ti" "$w/export/tl8at6" "$reps" "$w/j2p" "$w/p2j" 2>&1 | grep PY221
wait
echo "load at end: $(cat /proc/loadavg)"
