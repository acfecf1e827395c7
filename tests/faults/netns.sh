# Sourced by the fault tests that run the sensor in a network namespace of their own:
#   netns_enter PREFIX   creates the namespace "$ns" (PREFIX + this shell's pid) or exits 77
#                        (skipped) when it cannot, and removes it, with every process still
#                        inside and the sensor "$pid", when the test exits;
#   in_ns CMD...         runs CMD inside it.
netns_enter() {
  ns="$1$$"
  ip netns add "$ns" 2>/dev/null || { echo "skip: cannot create a network namespace"; exit 77; }
  pid=""
  trap netns_cleanup EXIT
}
netns_cleanup() {
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null
  ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
  ip netns del "$ns" 2>/dev/null
}
in_ns() { ip netns exec "$ns" "$@"; }
