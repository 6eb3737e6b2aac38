package dev.gatehouse.client;

import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.jwk.JWK;

/**
 * One usable signing key: its {@code kid}, the signer for its private part and the public JWK to
 * publish. {@link #toString()} shows only the {@code kid}.
 *
 * @param kid the key id put in every token header
 * @param algorithm the algorithm the key signs with
 * @param publicJwk the public part only, with {@code kid}, {@code alg} and {@code use: sig}
 * @param signer signs with the private part (thread-safe)
 * @param thumbprint the RFC 7638 thumbprint of the public key, to compare key material
 */
record LoadedKey(
    String kid, SigningAlgorithm algorithm, JWK publicJwk, JWSSigner signer, String thumbprint) {
  @Override
  public String toString() {
    return "LoadedKey[kid=" + kid + ", alg=" + algorithm + "]";
  }
}
