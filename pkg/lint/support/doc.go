// Package support holds the message types every lint rule reports with.
// Severities and the text form of a message are Helm's, so CI parsers that
// read `helm lint` output read lade's too.
//
// It imports nothing of lade.
package support
