/**
 * Spring Boot auto-configuration for Gatehouse on Spring Boot's gRPC server: the chain as the
 * server-wide interceptor, built from {@code gatehouse.config-file}, a startup check that nothing
 * is served around it, and (with Actuator) the {@code gatehouse} endpoint and a health indicator.
 */
package dev.gatehouse.spring;
