/** Server transport settings shared by the examples (not API). */
package dev.gatehouse.examples.server;
