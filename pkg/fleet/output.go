package fleet

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/lade-dev/lade/internal/table"
	"github.com/lade-dev/lade/pkg/diff"
)

// chartColumn is "old → new", or the one chart when it does not change.
func (it *Item) chartColumn() string {
	switch {
	case it.ChartFrom == "":
		return it.ChartTo
	case it.ChartTo == "" || it.ChartTo == it.ChartFrom:
		return it.ChartFrom
	}
	return it.ChartFrom + " → " + it.ChartTo
}

// changesColumn is "+created ~updated -deleted".
func (it *Item) changesColumn() string {
	if it.Report == nil {
		return ""
	}
	s := it.Changes
	return fmt.Sprintf("+%d ~%d -%d", s.Create, s.Update, s.Delete)
}

// WritePlan writes the plan as a table (release, namespace, chart old →
// new, objects + ~ -, conflicts, action, why), a line counting the actions, and
// under it the releases that could not be planned with their errors.
func WritePlan(w io.Writer, p *Plan) error {
	rows := [][]string{{"RELEASE", "NAMESPACE", "CHART", "OBJECTS", "CONFLICTS", "ACTION", "NOTE"}}
	count := map[Action]int{}
	for _, it := range p.Items {
		count[it.Action]++
		conflicts := ""
		if it.Report != nil {
			conflicts = strconv.Itoa(it.Conflicts)
			if it.Changes.Blocked > 0 {
				conflicts += fmt.Sprintf(" (%d blocked)", it.Changes.Blocked)
			}
		}
		rows = append(rows, []string{it.Name, it.Namespace, it.chartColumn(), it.changesColumn(), conflicts, string(it.Action), it.Note})
	}
	var b strings.Builder
	b.WriteString(table.Format(rows, 0))
	b.WriteByte('\n')
	fmt.Fprintf(&b, "Plan: %d to install, %d to upgrade, %d unchanged", count[ActionInstall], count[ActionUpgrade], count[ActionUnchanged])
	if count[ActionPrune] > 0 {
		fmt.Fprintf(&b, ", %d to prune", count[ActionPrune])
	}
	if count[ActionNone] > 0 {
		fmt.Fprintf(&b, ", %d failed to plan", count[ActionNone])
	}
	b.WriteString(".\n")
	for _, it := range p.Errors() {
		fmt.Fprintf(&b, "Error: release %s: %v\n", it.Key, it.Err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteDiffs writes the object diffs of every release that changes, each
// under a "# RELEASE namespace/name (action)" line, as `lade diff` writes
// them (diff.WriteText: same format, Secrets masked unless the engine's
// Diff.ShowSecrets).
func WriteDiffs(w io.Writer, p *Plan, o diff.TextOptions) error {
	first := true
	for _, it := range p.Items {
		if it.Report == nil || !it.Report.HasChanges() {
			continue
		}
		if !first {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		first = false
		if _, err := fmt.Fprintf(w, "# RELEASE %s (%s)\n", it.Key, it.Action); err != nil {
			return err
		}
		if err := diff.WriteText(w, it.Report, o); err != nil {
			return err
		}
	}
	return nil
}

// WriteSummary writes the outcome of an applied plan: one row per release
// (action, result, revision, time taken, and why it failed or was skipped).
func WriteSummary(w io.Writer, p *Plan) error {
	rows := [][]string{{"RELEASE", "NAMESPACE", "ACTION", "RESULT", "REVISION", "ELAPSED", "DETAIL"}}
	count := map[State]int{}
	for _, it := range p.Items {
		count[it.State]++
		rev := ""
		if it.Revision > 0 && it.State != StateSkipped {
			rev = strconv.Itoa(it.Revision)
		}
		detail := ""
		if it.State == StateFailed || it.State == StateSkipped {
			detail = firstLine(it.Detail)
		}
		rows = append(rows, []string{it.Name, it.Namespace, string(it.Action), string(it.State), rev, it.Elapsed.Round(100 * time.Millisecond).String(), detail})
	}
	var b strings.Builder
	b.WriteString(table.Format(rows, 0))
	b.WriteByte('\n')
	fmt.Fprintf(&b, "Applied: %d ready, %d pruned, %d failed, %d skipped.\n", count[StateReady], count[StatePruned], count[StateFailed], count[StateSkipped])
	for _, it := range p.Items {
		if it.State == StateFailed && strings.Contains(it.Detail, "\n") {
			fmt.Fprintf(&b, "Error: release %s: %s\n", it.Key, it.Detail)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// firstLine is the first line of s.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// WriteJSON writes the plan (and, after Apply, the outcome) as indented
// JSON: {"fleet", "releases": [{"namespace", "name", "dependsOn",
// "action", "chartFrom", "chartTo", "revision", "changes": {"create",
// "update", "delete", "unchanged", "blocked"}, "conflicts", "state",
// "detail", "error", "elapsedSeconds"}]}.
func WriteJSON(w io.Writer, p *Plan) error {
	type item struct {
		*Item
		Error   string  `json:"error,omitempty"`
		Elapsed float64 `json:"elapsedSeconds,omitempty"`
	}
	out := struct {
		Fleet string `json:"fleet"`
		Items []item `json:"releases"`
	}{Fleet: p.Fleet, Items: []item{}}
	for _, it := range p.Items {
		x := item{Item: it, Elapsed: it.Elapsed.Round(time.Millisecond).Seconds()}
		if it.Err != nil {
			x.Error = it.Err.Error()
		}
		out.Items = append(out.Items, x)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
