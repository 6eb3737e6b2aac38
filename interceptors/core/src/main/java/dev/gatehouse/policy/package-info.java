/**
 * Public API: the resolved authorization policy of each gRPC method.
 *
 * <p>Values here are plain immutable Java types without {@code io.grpc} imports. {@link
 * dev.gatehouse.policy.PolicyResolver} is the only class that reads protobuf descriptors; it runs
 * once at startup, never per call.
 */
package dev.gatehouse.policy;
