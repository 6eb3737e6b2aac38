/**
 * Public API: builds a running Gatehouse chain from the configuration file and reloads it when the
 * file's content changes.
 */
package dev.gatehouse.trust.config;
