package dev.gatehouse.trust.jwt;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.IncomingCall;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Optional;

/**
 * RFC 8705 {@code x5t#S256} certificate thumbprints: the unpadded base64url SHA-256 of a
 * certificate's DER encoding. Used to bind a service token to the mTLS peer that presents it.
 */
public final class CertificateThumbprint {
  private CertificateThumbprint() {}

  /**
   * The thumbprint of the call's peer leaf certificate; empty when the call has no TLS session or
   * no peer certificate. Compare with {@link MessageDigest#isEqual} on the bytes.
   */
  public static Optional<String> ofPeer(IncomingCall request) {
    requireNonNull(request, "request");
    return request
        .peerCertificates()
        .filter(certs -> certs.get(0) instanceof X509Certificate)
        .map(certs -> x5tS256((X509Certificate) certs.get(0)));
  }

  /**
   * The thumbprint of a certificate.
   *
   * @throws IllegalArgumentException if the certificate cannot be encoded
   */
  public static String x5tS256(X509Certificate certificate) {
    requireNonNull(certificate, "certificate");
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("the certificate cannot be encoded", e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
