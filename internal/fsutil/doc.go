// Package fsutil holds small file-system helpers shared by lade's packages.
//
// It imports nothing of lade.
package fsutil
