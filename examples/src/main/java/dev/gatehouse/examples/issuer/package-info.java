/**
 * An example central issuer of service tokens (a registry service): workloads authenticated by
 * Gatehouse (X.509-SVID or mesh identity) call {@code issuer.v1.IssuerService/IssueToken}, the
 * issuer looks them up in a registration file (desired state: SPIFFE ID → workload name, cluster,
 * audiences it may request) and mints a short-lived ES256 token; its keys are published as a JWKS
 * on 127.0.0.1 with rotation. {@link dev.gatehouse.examples.issuer.IssuerTokenFetcher} binds
 * gatehouse-client's {@code fetchFrom} to it, and {@link
 * dev.gatehouse.examples.issuer.RegistrationDemo} plays the registration story. Example code, not
 * API.
 */
package dev.gatehouse.examples.issuer;
