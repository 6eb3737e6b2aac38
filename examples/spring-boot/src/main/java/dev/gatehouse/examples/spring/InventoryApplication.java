package dev.gatehouse.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The inventory service on Spring Boot's gRPC server. The gatehouse-spring-boot starter puts the
 * Gatehouse chain in front of every service bean, from the file {@code gatehouse.config-file}
 * names.
 */
@SpringBootApplication
public class InventoryApplication {
  /** Starts the application. */
  public static void main(String[] args) {
    SpringApplication.run(InventoryApplication.class, args);
  }
}
