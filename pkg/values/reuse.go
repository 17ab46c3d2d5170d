package values

import "log/slog"

// CoalesceTables merges src into dst with dst taking priority (a null in dst
// deletes src's value), as Helm's util.CoalesceTables; used by upgrade's
// --reuse-values and --reset-then-reuse-values. dst is modified and returned.
func CoalesceTables(dst, src map[string]any) map[string]any {
	return coalesceTables(logger{l: slog.Default()}, dst, src, false)
}
