/** A Spring Boot gRPC service protected by the gatehouse-spring-boot starter. */
package dev.gatehouse.examples.spring;
