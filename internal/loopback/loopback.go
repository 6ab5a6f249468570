// Package loopback gives tests a loopback address that refuses connections for as long as the
// test runs, so a "connection refused" case cannot meet another test's server on a reused port.
package loopback
