/**
 * The car-sharing demo's service implementation ({@link
 * dev.gatehouse.examples.trips.TripServiceImpl}). Example code, not API: copy it, do not depend on
 * it.
 */
package dev.gatehouse.examples.trips;
