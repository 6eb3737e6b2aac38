/**
 * The Gatehouse testing kit, for test scope: an in-process identity provider that is also a JUnit 5
 * extension ({@link dev.gatehouse.testkit.TestIdentityProvider}), minters of user JWTs, service
 * tokens and JWT-SVIDs ({@link dev.gatehouse.testkit.TestToken}), XFCC headers ({@link
 * dev.gatehouse.testkit.Xfcc}) and X.509-SVIDs ({@link dev.gatehouse.testkit.TestCa}), an
 * in-process server behind Gatehouse ({@link dev.gatehouse.testkit.TestServer}), run-as-caller for
 * handler unit tests ({@link dev.gatehouse.testkit.TestCaller}) and a pack of hostile credentials
 * ({@link dev.gatehouse.testkit.HostileCredentials}). Never put it on a production classpath.
 */
package dev.gatehouse.testkit;
