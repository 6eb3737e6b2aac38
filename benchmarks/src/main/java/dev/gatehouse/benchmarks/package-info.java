/**
 * JMH benchmarks of the Gatehouse chain. Not API: never deployed, compiled by {@code mvn verify}
 * and run by hand (see the module README).
 */
package dev.gatehouse.benchmarks;
