#!/usr/bin/env bash
# The baseline a user would otherwise write: per node, list that node's pods with kubectl, exec `cat` into its
# Multus pod, and decode the token's payload. Sequential, as such loops are.
# Usage: bench/naive-loop.sh KUBECTL KUBECONFIG NODES_FILE   (one node name per line)
# Prints one line per node: NODE POD EXP SUB (or NODE ERROR …). Needs bash, jq, base64.
set -u
kubectl=$1
export KUBECONFIG=$2
nodes_file=$3
file=/host/etc/cni/net.d/multus.d/multus.kubeconfig
while read -r node; do
  [ -n "$node" ] || continue
  pod=$("$kubectl" get pods -A --field-selector "spec.nodeName=$node" -o json |
    jq -r '.items[] | select(.metadata.labels.app == "multus") | "\(.metadata.namespace)/\(.metadata.name)"' | head -n1)
  if [ -z "$pod" ]; then echo "$node ERROR no-multus-pod"; continue; fi
  token=$("$kubectl" exec -n "${pod%%/*}" "${pod#*/}" -c kube-multus -- cat "$file" |
    sed -n 's/^ *token: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p')
  if [ -z "$token" ]; then echo "$node ERROR no-token"; continue; fi
  payload=$(printf '%s' "$token" | cut -d. -f2 | tr '_-' '/+')
  while [ $(( ${#payload} % 4 )) -ne 0 ]; do payload="$payload="; done
  printf '%s %s %s\n' "$node" "$pod" "$(printf '%s' "$payload" | base64 -d | jq -r '"\(.exp) \(.sub)"')"
done < "$nodes_file"
