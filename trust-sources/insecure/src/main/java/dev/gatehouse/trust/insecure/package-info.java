/**
 * The dev-only {@code shared_secret} trust source. Public API, insecure by name: every type here is
 * {@code Insecure…} and building the source requires the grep-able capability object {@link
 * dev.gatehouse.trust.insecure.InsecureDevMode#acknowledge()}. The configuration section {@link
 * dev.gatehouse.trust.insecure.InsecureSharedSecretSection} reads {@code internal.shared_secret}
 * and is refused unless the file says {@code dev_mode: true}. Never use it in production: anyone
 * who learns the one secret is trusted as the configured service.
 */
package dev.gatehouse.trust.insecure;
