// Package gcstart holds lade's garbage collector policy, the only place
// the GC target is set (the libraries leave it alone). With Go's defaults
// the first collections run while the heap is a few megabytes (package
// initialisation, loading a chart), collecting little each time. Importing
// this package (cmd/lade does) lets the heap reach 16 MiB before the first
// collection, then collects as GOGC=100 does; commands that allocate much
// short-lived garbage raise the target for their run (Set, Raise). An
// explicit GOGC in the environment is left alone.
//
// It imports nothing of lade.
package gcstart
