/** The smallest Gatehouse server and client, wired in code (an example, not API). */
package dev.gatehouse.examples.quickstart;
