#!/usr/bin/env sh
# SPIRE registration entries for the SPIFFE variant of the demo, where the application itself
# terminates mTLS with X.509-SVIDs (Gatehouse source: peer_certificate) and the worker may also
# present a JWT-SVID (Gatehouse source: spiffe_jwt) instead of relying on a mesh sidecar.
#
# Run against the SPIRE server, e.g.:
#   kubectl -n spire exec -i spire-server-0 -c spire-server -- sh < register-entries.sh
#
# Trust domain: example.org (the SPIRE server's trust_domain). The node alias groups every
# agent of the cluster attested with k8s_psat; workloads are selected by namespace, service
# account AND container name, so a sidecar or debug container in the same pod does not receive
# the workload's identity.
set -eu

SPIRE_SERVER=${SPIRE_SERVER:-/opt/spire/bin/spire-server}
TD=example.org
CLUSTER=${CLUSTER:-demo-cluster}

# Node alias: all agents of this cluster.
"$SPIRE_SERVER" entry create \
  -node \
  -spiffeID "spiffe://$TD/ns/spire/sa/spire-agent/cluster/$CLUSTER" \
  -selector "k8s_psat:cluster:$CLUSTER"

# trip-server: serves TripService over mTLS with this X.509-SVID. The DNS SAN lets ordinary
# clients verify the host name; Gatehouse reads only the client's URI SAN.
"$SPIRE_SERVER" entry create \
  -parentID "spiffe://$TD/ns/spire/sa/spire-agent/cluster/$CLUSTER" \
  -spiffeID "spiffe://$TD/ns/trips/sa/trip-server" \
  -selector k8s:ns:trips \
  -selector k8s:sa:trip-server \
  -selector k8s:container-name:trip-server \
  -dns trip-server.trips.svc.cluster.local \
  -x509SVIDTTL 3600

# worker: the only identity on trip-server's allow-list for the internal methods. Its
# X.509-SVID is the client certificate (peer_certificate); its JWT-SVIDs, fetched with
# audience "trips" (trip-server's service_name), are short-lived bearer tokens (spiffe_jwt).
"$SPIRE_SERVER" entry create \
  -parentID "spiffe://$TD/ns/spire/sa/spire-agent/cluster/$CLUSTER" \
  -spiffeID "spiffe://$TD/ns/trips/sa/worker" \
  -selector k8s:ns:trips \
  -selector k8s:sa:worker \
  -selector k8s:container-name:worker \
  -x509SVIDTTL 3600 \
  -jwtSVIDTTL 300

"$SPIRE_SERVER" entry show -selector k8s:ns:trips
