package dev.gatehouse.client;

import com.nimbusds.jose.JWSAlgorithm;

/**
 * The JWS algorithms a service token can be signed with. Asymmetric only; EdDSA is not offered
 * because Nimbus needs Google Tink for it, an extra dependency Gatehouse does not ship.
 */
public enum SigningAlgorithm {
  /** ECDSA with P-256 and SHA-256: the default. Needs an EC P-256 key. */
  ES256,
  /** RSASSA-PKCS1-v1_5 with SHA-256. Needs an RSA key of at least 2048 bits. */
  RS256,
  /** RSASSA-PSS with SHA-256. Needs an RSA key of at least 2048 bits. */
  PS256;

  // A switch, not a field: an enum holds only immutable state, and JWSAlgorithm is not annotated
  // so.
  JWSAlgorithm jws() {
    return switch (this) {
      case ES256 -> JWSAlgorithm.ES256;
      case RS256 -> JWSAlgorithm.RS256;
      case PS256 -> JWSAlgorithm.PS256;
    };
  }

  boolean usesRsa() {
    return this != ES256;
  }
}
