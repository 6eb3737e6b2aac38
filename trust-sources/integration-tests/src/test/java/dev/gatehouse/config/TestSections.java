package dev.gatehouse.config;

import dev.gatehouse.trust.insecure.InsecureSharedSecretSection;
import dev.gatehouse.trust.jwt.SignedTokenSection;
import dev.gatehouse.trust.jwt.UserJwtSection;
import dev.gatehouse.trust.mesh.MeshIdentitySection;
import dev.gatehouse.trust.spiffe.PeerCertificateSection;
import dev.gatehouse.trust.spiffe.SpiffeJwtSection;

/** Every section provider of the documented file format, as a server taking any file registers. */
public final class TestSections {
  /** The six documented sections. */
  public static final ConfigSections ALL =
      ConfigSections.of(
          UserJwtSection.provider(),
          SignedTokenSection.provider(),
          PeerCertificateSection.provider(),
          SpiffeJwtSection.provider(),
          MeshIdentitySection.provider(),
          InsecureSharedSecretSection.provider());

  private TestSections() {}
}
