package dev.gatehouse.spring;

import dev.gatehouse.config.ConfigSectionProvider;
import dev.gatehouse.config.ConfigSections;
import java.lang.reflect.InvocationTargetException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The section providers of the Gatehouse trust-source artifacts on the class path, plus those the
 * application declares as beans (a bean wins over the class-path provider of the same section).
 */
final class ClasspathSections {
  /** The documented providers: class name of the section type with a static provider(). */
  static final List<String> KNOWN =
      List.of(
          "dev.gatehouse.trust.jwt.UserJwtSection",
          "dev.gatehouse.trust.jwt.SignedTokenSection",
          "dev.gatehouse.trust.spiffe.PeerCertificateSection",
          "dev.gatehouse.trust.spiffe.SpiffeJwtSection",
          "dev.gatehouse.trust.mesh.MeshIdentitySection",
          "dev.gatehouse.trust.insecure.InsecureSharedSecretSection");

  private ClasspathSections() {}

  static ConfigSections collect(List<ConfigSectionProvider<?>> beans, ClassLoader loader) {
    ConfigSections.Builder b = ConfigSections.newBuilder();
    Set<String> paths = new HashSet<>();
    for (ConfigSectionProvider<?> p : beans) {
      b.add(p);
      paths.add(p.path());
    }
    for (String className : KNOWN) {
      ConfigSectionProvider<?> p = load(className, loader);
      if (p != null && !paths.contains(p.path())) {
        b.add(p);
        paths.add(p.path());
      }
    }
    return b.build();
  }

  private static ConfigSectionProvider<?> load(String className, ClassLoader loader) {
    Class<?> type;
    try {
      type = Class.forName(className, true, loader);
    } catch (ClassNotFoundException | LinkageError e) {
      return null; // the artifact is not on the class path
    }
    try {
      Object provider = type.getMethod("provider").invoke(null);
      return (ConfigSectionProvider<?>) provider;
    } catch (NoSuchMethodException | IllegalAccessException | ClassCastException e) {
      throw new IllegalStateException(className + ".provider() cannot be called", e);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException(className + ".provider() failed", e.getCause());
    }
  }
}
