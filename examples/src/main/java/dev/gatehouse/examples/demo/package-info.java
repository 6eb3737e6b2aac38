/** The embedded car-sharing demo (not API): keys, JWKS server, saga and result table. */
package dev.gatehouse.examples.demo;
