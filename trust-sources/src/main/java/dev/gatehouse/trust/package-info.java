/**
 * Public API: the internal trust sources (mesh identity, signed service tokens, JWT-SVIDs, dev
 * shared secret) and the client side that mints service tokens.
 */
package dev.gatehouse.trust;
