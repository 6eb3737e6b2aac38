package dev.gatehouse.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.testing.TestTokens;
import io.grpc.BindableService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.Mockito;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.grpc.server.security.AuthenticationProcessInterceptor;

/**
 * The starter's wiring without a network server: configuration errors, the services covered, and
 * the Spring Security refusal. The example's test boots a whole application on Netty.
 */
class GatehouseAutoConfigurationTest {
  @TempDir static Path dir;
  private static Path goodFile;

  @BeforeAll
  static void files() throws Exception {
    Files.writeString(
        dir.resolve("users.json"), new JWKSet(TestTokens.ecKey("u1")).toPublicJWKSet().toString());
    Files.writeString(
        dir.resolve("secret"), UUID.randomUUID().toString() + UUID.randomUUID().toString());
    goodFile = dir.resolve("good.yaml");
    Files.writeString(
        goodFile,
        """
        service_name: probe
        dev_mode: true
        user_jwt:
          issuers:
            - { issuer: "https://idp.test", jwks_file: users.json, audiences: [probe] }
        internal:
          shared_secret: { secret_file: secret }
        """);
  }

  private static ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                GrpcServerAutoConfiguration.class, GatehouseAutoConfiguration.class))
        .withUserConfiguration(ProbeService.class);
  }

  /** One gRPC service bean. */
  @Configuration(proxyBeanMethods = false)
  static class ProbeService {
    @Bean
    BindableService probe() {
      return new ProbeGrpc.ProbeImplBase() {};
    }
  }

  /** Spring Security's gRPC authentication, as an application would declare it. */
  @Configuration(proxyBeanMethods = false)
  static class SpringSecurityToo {
    @Bean
    AuthenticationProcessInterceptor springSecurity() {
      return Mockito.mock(AuthenticationProcessInterceptor.class);
    }
  }

  @Test
  void everyServiceBeanIsResolvedFromTheFile() {
    runner()
        .withPropertyValues("gatehouse.config-file=" + goodFile)
        .run(
            context -> {
              assertEquals(null, context.getStartupFailure());
              ConfiguredGatehouse g = context.getBean(ConfiguredGatehouse.class);
              assertTrue(g.gatehouse().policies().containsKey("gatehouse.test.v1.Probe/Open"));
              assertEquals(64, g.configHash().length());
            });
  }

  @Test
  void missingConfigFileFailsStartupNamingTheProperty() {
    runner()
        .run(
            context ->
                assertTrue(
                    messages(context.getStartupFailure())
                        .contains("gatehouse.config-file: is required"),
                    messages(context.getStartupFailure())));
  }

  @Test
  void unknownKeyUnderGatehouseFailsStartupNamingIt() {
    runner()
        .withPropertyValues("gatehouse.config-file=" + goodFile, "gatehouse.service-name=probe")
        .run(
            context ->
                assertTrue(
                    messages(context.getStartupFailure()).contains("[gatehouse.service-name]"),
                    messages(context.getStartupFailure())));
  }

  private static ApplicationContextRunner withEnvironmentVariable(String name, String value) {
    return runner()
        .withInitializer(
            context ->
                context
                    .getEnvironment()
                    .getPropertySources()
                    .addFirst(
                        new SystemEnvironmentPropertySource(
                            "test-" + StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                            Map.of(name, value))));
  }

  @Test
  void environmentVariablesBindUnderGatehouseStrictlyToo() {
    withEnvironmentVariable("GATEHOUSE_CONFIGFILE", goodFile.toString())
        .run(context -> assertEquals(null, context.getStartupFailure()));
    withEnvironmentVariable("GATEHOUSE_CONFIG", goodFile.toString())
        .withPropertyValues("gatehouse.config-file=" + goodFile)
        .run(
            context ->
                assertTrue(
                    messages(context.getStartupFailure()).contains("[gatehouse.config]"),
                    messages(context.getStartupFailure())));
  }

  @Test
  void misspelledFieldInTheFileFailsStartupNamingTheField() throws Exception {
    Path bad = dir.resolve("typo.yaml");
    Files.writeString(bad, Files.readString(goodFile).replace("service_name", "service_nmae"));
    runner()
        .withPropertyValues("gatehouse.config-file=" + bad)
        .run(
            context ->
                assertTrue(
                    messages(context.getStartupFailure()).contains("service_nmae"),
                    messages(context.getStartupFailure())));
  }

  @Test
  void springSecurityAlongsideFailsStartupUnlessComposeIsStated() {
    runner()
        .withUserConfiguration(SpringSecurityToo.class)
        .withPropertyValues("gatehouse.config-file=" + goodFile)
        .run(
            context ->
                assertTrue(
                    messages(context.getStartupFailure())
                        .contains(
                            "gatehouse.spring-security: Spring Security's gRPC authentication"),
                    messages(context.getStartupFailure())));
    runner()
        .withUserConfiguration(SpringSecurityToo.class)
        .withPropertyValues(
            "gatehouse.config-file=" + goodFile, "gatehouse.spring-security=compose")
        .run(context -> assertEquals(null, context.getStartupFailure()));
  }

  private static String messages(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c.getMessage()).append('\n');
    }
    return sb.toString();
  }
}
