package lint

import "github.com/lade-dev/lade/pkg/chart/lint/rules"

// RuleInfo describes one rule: its id, default severity and a one-line why.
type RuleInfo struct {
	ID       string
	Severity Severity
	Why      string
}

// Rules lists lade's rules (Helm's rules are grouped under helm/* ids).
func Rules() []RuleInfo { return ruleTable }

var ruleTable = []RuleInfo{}

func ladeRules(r *rules.Rendered, o Options) []Message { return nil }
