package dev.gatehouse.spring;

import dev.gatehouse.config.ConfigSectionProvider;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.server.AuditListener;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.grpc.server.service.GrpcServiceDiscoverer;

/**
 * Puts Gatehouse in front of every gRPC service Spring Boot serves.
 *
 * <ul>
 *   <li>builds a {@link ConfiguredGatehouse} from {@code gatehouse.config-file}, protecting every
 *       service Spring binds (the {@link GrpcServiceDiscoverer}'s services, health and reflection
 *       included), with the section providers of the Gatehouse artifacts on the class path and any
 *       {@link ConfigSectionProvider} beans;
 *   <li>applies the health preset (public) and the reflection preset (internal) when those services
 *       are bound; an override in the file for one of their methods wins;
 *   <li>installs the chain's global form on the server builder itself ({@code
 *       ServerBuilder.intercept}), so it runs before every per-service interceptor, Spring's global
 *       interceptors included, and no interceptor filter can remove it;
 *   <li>fails startup, naming the methods, when the started server serves a method Gatehouse did
 *       not resolve, and when Spring Security's gRPC authentication is configured too without
 *       {@code gatehouse.spring-security=compose}.
 * </ul>
 */
@AutoConfiguration(after = GrpcServerAutoConfiguration.class)
@ConditionalOnClass({GrpcServiceDiscoverer.class, ConfiguredGatehouse.class})
@ConditionalOnBean(GrpcServiceDiscoverer.class)
@EnableConfigurationProperties(GatehouseProperties.class)
public final class GatehouseAutoConfiguration {

  /** For Spring. */
  public GatehouseAutoConfiguration() {}

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  ConfiguredGatehouse gatehouse(
      GatehouseProperties properties,
      GrpcServiceDiscoverer discoverer,
      ObjectProvider<ConfigSectionProvider<?>> sectionProviders,
      ObjectProvider<AuditListener> auditListener,
      ApplicationContext context) {
    ConfigSections sections =
        ClasspathSections.collect(
            sectionProviders.orderedStream().toList(), context.getClassLoader());
    return GatehouseFactory.create(
        properties, discoverer.findServices(), sections, auditListener.getIfAvailable());
  }

  @Bean
  @Order(Ordered.LOWEST_PRECEDENCE)
  GatehouseServerBuilderCustomizer<?> gatehouseServerBuilderCustomizer(
      ConfiguredGatehouse gatehouse) {
    return new GatehouseServerBuilderCustomizer<>(gatehouse.serverInterceptor());
  }

  @Bean
  GatehouseStartupCheck gatehouseStartupCheck(ConfiguredGatehouse gatehouse) {
    return new GatehouseStartupCheck(gatehouse);
  }

  @Bean
  static SpringSecurityGuard gatehouseSpringSecurityGuard(
      ObjectProvider<GatehouseProperties> properties, ApplicationContext context) {
    return new SpringSecurityGuard(properties, context);
  }

  /** The Actuator endpoint, when Actuator is on the class path. */
  @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
  static final class EndpointConfiguration {
    @Bean
    @ConditionalOnMissingBean
    GatehouseEndpoint gatehouseEndpoint(ConfiguredGatehouse gatehouse) {
      return new GatehouseEndpoint(gatehouse);
    }
  }

  /** The key-set health indicator, when Spring Boot's health support is on the class path. */
  @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  static final class HealthConfiguration {
    @Bean
    @ConditionalOnMissingBean
    GatehouseKeySetsHealthIndicator gatehouseKeySetsHealthIndicator(ConfiguredGatehouse gatehouse) {
      return new GatehouseKeySetsHealthIndicator(gatehouse);
    }
  }
}
