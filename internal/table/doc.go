// Package table lays out rows as Helm's command tables (gosuri/uitable,
// which Helm 4 uses) do: every column as wide as its widest line in
// terminal cells, cells padded with spaces or cut to a maximum width with
// "...", separated by a tab. A cell holding newlines spans several lines.
//
// It imports nothing of lade.
package table
