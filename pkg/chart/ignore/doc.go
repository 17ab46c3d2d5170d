// Package ignore implements .helmignore rules with Helm's syntax and
// semantics (including its quirks), for chart directory loads and packaging.
//
// A rule is a shell glob (path.Match syntax) per line; blank lines and lines
// starting with # are skipped; "**" is rejected. A rule without "/" matches
// the base name of a path; a rule containing "/" must match the whole
// chart-relative path; a leading "/" anchors it (and is dropped); a trailing
// "/" restricts it to directories. A leading "!" negates the rule the way
// Helm does: a path that does NOT match a negated rule is ignored.
// Rules are evaluated in order and the first decision wins.
//
// It imports nothing of lade.
package ignore
