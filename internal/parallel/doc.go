// Package parallel runs the bodies of a loop on a bounded number of
// goroutines.
//
// It imports nothing of lade.
package parallel
