/** Test helpers for the trust-source tests (vectors, peers, log capture). Not API. */
package dev.gatehouse.trust.testing;
