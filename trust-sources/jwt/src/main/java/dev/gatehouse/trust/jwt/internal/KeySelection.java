package dev.gatehouse.trust.jwt.internal;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.Reason;

/**
 * What a {@link KeySelector} chose for one unverified token: the keys of one {@link TrustAnchor}
 * (with the word that names its kind in details, {@code "issuer "} or {@code "trust domain "}), or
 * a refusal with a {@link Reason} and a log-safe detail.
 */
final class KeySelection {
  final IssuerKeys keys;
  final String label;
  final Reason reason;
  final String detail;

  private KeySelection(IssuerKeys keys, String label, Reason reason, String detail) {
    this.keys = keys;
    this.label = label;
    this.reason = reason;
    this.detail = detail;
  }

  static KeySelection found(IssuerKeys keys, String label) {
    return new KeySelection(requireNonNull(keys), requireNonNull(label), Reason.OK, "");
  }

  static KeySelection refused(Reason reason, String detail) {
    return new KeySelection(null, null, requireNonNull(reason), requireNonNull(detail));
  }

  boolean isFound() {
    return keys != null;
  }
}
