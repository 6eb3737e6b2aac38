package dev.gatehouse.spring;

import dev.gatehouse.spring.GatehouseProperties.SpringSecurity;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.context.ApplicationContext;
import org.springframework.util.ClassUtils;

/**
 * Refuses to start when Spring Security's gRPC authentication guards the services too, unless
 * {@code gatehouse.spring-security=compose} says how the two compose.
 */
final class SpringSecurityGuard implements SmartInitializingSingleton {
  /** Spring gRPC's interceptors that authenticate calls with Spring Security. */
  static final List<String> SECURITY_INTERCEPTORS =
      List.of(
          "org.springframework.grpc.server.security.AuthenticationProcessInterceptor",
          "org.springframework.grpc.server.security.SecurityContextServerInterceptor");

  private final ObjectProvider<GatehouseProperties> properties;
  private final ApplicationContext context;

  SpringSecurityGuard(ObjectProvider<GatehouseProperties> properties, ApplicationContext context) {
    this.properties = properties;
    this.context = context;
  }

  @Override
  public void afterSingletonsInstantiated() {
    GatehouseProperties p = properties.getObject();
    if (p.getSpringSecurity() == SpringSecurity.COMPOSE) {
      return;
    }
    List<String> found = new ArrayList<>();
    for (String className : SECURITY_INTERCEPTORS) {
      Class<?> type;
      try {
        type = ClassUtils.forName(className, context.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        continue; // Spring Security is not on the class path
      }
      for (String name : context.getBeanNamesForType(type, false, false)) {
        found.add(name + " (" + type.getSimpleName() + ")");
      }
    }
    if (!found.isEmpty()) {
      throw new IllegalStateException(
          "gatehouse.spring-security: Spring Security's gRPC authentication is configured too ("
              + String.join(", ", found)
              + "); set gatehouse.spring-security=compose to run both (Gatehouse first, then"
              + " Spring Security; a call must pass both), or remove one of them");
    }
  }
}
